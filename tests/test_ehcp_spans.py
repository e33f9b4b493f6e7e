"""Spans: sentence-level stretches of advice whose offsets point at exactly their text."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholechild.ehcp.model import AdviceDocument, AdviceKind, Span
from wholechild.ehcp.spans import BULLET, is_heading, is_list_item, split_page, split_spans


def texts(page: str) -> list[str]:
    return [page[start:end] for start, end in split_page(page)]


# What a page of advice is split into: one row per rule of thumb in the module's docstring.
SPLITS = [
    ("two sentences", "Sam reads well. He likes maths.", ["Sam reads well.", "He likes maths."]),
    ("question and exclamation", "Why? Because! Then.", ["Why?", "Because!", "Then."]),
    ("abbreviations do not end a sentence", "Dr. Patel saw Sam, e.g. in class. Next.",
     ["Dr. Patel saw Sam, e.g. in class.", "Next."]),
    ("an initial does not end one", "Seen by J. Smith today. Next.",
     ["Seen by J. Smith today.", "Next."]),
    ("a decimal is not a full stop", "His score was 3.5 out of 10. Good.",
     ["His score was 3.5 out of 10.", "Good."]),
    ("a number can end a sentence", "He is in Key Stage 2. He likes it.",
     ["He is in Key Stage 2.", "He likes it."]),
    ("lower case after a full stop: no new sentence", "Sam said no. then left.",
     ["Sam said no. then left."]),
    ("a heading is its own span", "Outcomes\nSam will read.", ["Outcomes", "Sam will read."]),
    ("a label line ends a block", "Name: Sam Carter\nSam reads.",
     ["Name: Sam Carter", "Sam reads."]),
    ("a soft wrap keeps the sentence whole",
     "Sam finds reading very hard and his spelling is well behind that of his\npeers in class.",
     ["Sam finds reading very hard and his spelling is well behind that of his\npeers in class."]),
    ("a blank line ends a paragraph without a full stop", "First part\n\nSecond part",
     ["First part", "Second part"]),
    ("list bullets are not part of the span", "- Visual timetable\n\u2022 Key adult\n1. Quiet room",
     ["Visual timetable", "Key adult", "Quiet room"]),
    ("closing quotes stay with their sentence", 'He said "I like it." Then he left.',
     ['He said "I like it."', "Then he left."]),
    ("indented lines", "   Sam reads.   \n\tHe writes.", ["Sam reads.", "He writes."]),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "page", "expected"), SPLITS, ids=[row[0] for row in SPLITS])
def test_a_page_is_split_into_sentences_headings_and_list_items(
    rule: str, page: str, expected: list[str]
) -> None:
    assert texts(page) == expected


HEADINGS = [
    ("Recommended provision", True),
    ("Outcomes:", True),
    ("Social, emotional and mental health", True),
    ("Sam reads well.", False),
    ("sam reads", False),  # lower case: a wrapped line, not a heading
    ("This line has far too many words to be any kind of heading in a report", False),
    ("Who?", False),
]


@pytest.mark.parametrize(("text", "heading"), HEADINGS)
def test_headings_are_short_unpunctuated_lines(text: str, heading: bool) -> None:
    assert is_heading(text) is heading


def test_a_list_item_is_known_by_its_bullet() -> None:
    page = "Provision\n- Weekly group\nPlain line"
    spans = [Span("d", 1, start, end, page[start:end]) for start, end in split_page(page)]
    assert [is_list_item(page, span) for span in spans] == [False, True, False]


def test_spans_of_a_document_carry_its_id_and_page_numbers() -> None:
    doc = AdviceDocument("abc", "a.txt", AdviceKind.OTHER, None, ("One. Two.", "", "Three."))
    spans = split_spans(doc)
    assert [(s.doc_id, s.page, s.text) for s in spans] == [
        ("abc", 1, "One."),
        ("abc", 1, "Two."),
        ("abc", 3, "Three."),
    ]


# Pages built from the pieces advice is made of: words, punctuation, line breaks, bullets,
# abbreviations, numbers, spaces and tabs.
PIECES = st.sampled_from(
    ["Sam", "reads", "the", "Outcomes", "will", "3.5", "12", ". ", "! ", "? ", ".", ", ", ": ",
     " ", "  ", "\t", "\n", "\n\n", "- ", "\u2022 ", "1. ", "a) ", "e.g. ", "Dr. ", '" ', "x"]
)  # fmt: skip
PAGES = st.lists(PIECES, max_size=60).map("".join)


def bullet_positions(page: str) -> set[int]:
    """Where list bullets are: the only visible characters a span may leave out."""
    allowed: set[int] = set()
    offset = 0
    for line in page.split("\n"):
        lead = offset + len(line) - len(line.lstrip())
        bullet = BULLET.match(page, lead, offset + len(line))
        if bullet:
            allowed.update(range(lead, bullet.end()))
        offset += len(line) + 1
    return allowed


@settings(max_examples=400, deadline=None)
@given(st.lists(PAGES, min_size=1, max_size=3))
def test_every_span_is_exactly_the_text_at_its_page_and_offsets(pages: list[str]) -> None:
    doc = AdviceDocument("d", "d.txt", AdviceKind.OTHER, None, tuple(pages))
    spans = split_spans(doc)
    for span in spans:
        assert doc.pages[span.page - 1][span.start : span.end] == span.text
        assert span.text and span.text == span.text.strip()
    for page_number, page in enumerate(pages, start=1):
        on_page = [s for s in spans if s.page == page_number]
        for before, after in itertools.pairwise(on_page):
            assert before.end <= after.start  # in order, never overlapping
        covered = {i for s in on_page for i in range(s.start, s.end)}
        visible = {i for i, char in enumerate(page) if not char.isspace()}
        assert visible - covered <= bullet_positions(page)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Sam", "reads", "well", "today", "and"]), min_size=1, max_size=8))
def test_plain_sentences_come_back_one_span_each(words: list[str]) -> None:
    sentence = " ".join(words).capitalize() + "."
    page = " ".join([sentence] * 3)
    assert texts(page) == [sentence] * 3
    assert all(re.fullmatch(r"[A-Z][a-z ]*\.", text) for text in texts(page))
