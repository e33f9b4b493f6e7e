"""Facts in advice and plan text: what is found, and how it is normalised (a spec table)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wholechild.ehcp.facts import (
    NUMBER_WORDS,
    Fact,
    FactKind,
    extract,
    fact_values,
    names,
    number_value,
    numbers,
    qualifications,
    quantities,
)

F, D, G, Q, N, NUM = (
    FactKind.FREQUENCY,
    FactKind.DURATION,
    FactKind.GROUP,
    FactKind.QUALIFICATION,
    FactKind.NAME,
    FactKind.NUMBER,
)

# text -> the facts found in it (kind, normalised value), in order.
SPEC: list[tuple[str, list[tuple[FactKind, str]]]] = [
    ("three times a week", [(F, "3 per week")]),
    ("3 times per week", [(F, "3 per week")]),
    ("3x per week", [(F, "3 per week")]),
    ("twice weekly", [(F, "2 per week")]),
    ("twice a day", [(F, "2 per day")]),
    ("once a fortnight", [(F, "1 per fortnight")]),
    ("daily", [(F, "1 per day")]),
    ("weekly", [(F, "1 per week")]),
    ("termly", [(F, "1 per term")]),
    ("every morning", [(F, "1 per day")]),
    ("each term", [(F, "1 per term")]),
    ("every 6 months", [(F, "1 per 6 month")]),
    ("every two weeks", [(F, "1 per 2 week")]),
    ("two sessions per week", [(F, "2 per week")]),
    ("2 nights a month", [(F, "2 per month")]),
    ("20 minutes a day", [(D, "20 minute"), (F, "1 per day")]),
    ("30-minute sessions", [(D, "30 minute")]),
    ("thirty minutes", [(D, "30 minute")]),
    ("forty-five minutes", [(D, "45 minute")]),
    ("45 mins", [(D, "45 minute")]),
    ("an hour", [(D, "60 minute")]),
    ("1 hour", [(D, "60 minute")]),
    ("half an hour", [(D, "30 minute")]),
    ("for 12 weeks", [(D, "12 week")]),
    ("for two terms", [(D, "2 term")]),
    ("for the next 12 months", [(D, "12 month")]),
    ("1:1", [(G, "1:1")]),
    ("one-to-one", [(G, "1:1")]),
    ("individually", [(G, "1:1")]),
    ("on an individual basis", [(G, "1:1")]),
    ("at a ratio of 1:4", [(G, "1:4")]),
    ("in a group of 4", [(G, "group of 4")]),
    ("in groups of four", [(G, "group of 4")]),
    ("a small group of no more than 6", [(G, "group of 6")]),
    ("in pairs", [(G, "group of 2")]),
    ("as a whole class", [(G, "whole class")]),
    ("an HCPC-registered speech and language therapist",
     [(Q, "hcpc-registered"), (Q, "speech and language therapist")]),
    ("a qualified teacher of the deaf", [(Q, "qualified teacher of the deaf")]),
    ("a teaching assistant", [(Q, "teaching assistant")]),
    ("the SENCo", [(Q, "senco")]),
    ("reviewed by Dr Okafor", [(N, "Okafor")]),
    ("using the Lego Therapy approach", [(N, "Lego")]),
    ("by the end of Year 4", [(NUM, "4")]),
    ("by July 2026", [(NUM, "2026")]),
    ("at the 2nd percentile", [(NUM, "2")]),
    ("read 100 words", [(NUM, "100")]),
    # nothing: a vague phrase, a descriptive sentence, "one of", a sentence-initial word
    ("small group work as required", []),
    ("She attends school regularly.", []),
    ("one of the strategies", []),
    ("individual needs", []),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SPEC, ids=[text for text, _ in SPEC])
def test_facts_found_and_normalised(text: str, expected: list[tuple[FactKind, str]]) -> None:
    assert [(fact.kind, fact.value) for fact in extract(text)] == expected


def test_a_full_provision_sentence_gives_every_fact_in_place() -> None:
    text = (
        "Sam should receive speech and language therapy from an HCPC-registered speech and "
        "language therapist, three times a week, in 30-minute sessions, individually, for 12 weeks."
    )
    found = extract(text)
    assert {(f.kind, f.value) for f in found} == {
        (Q, "hcpc-registered"),
        (Q, "speech and language therapist"),
        (F, "3 per week"),
        (D, "30 minute"),
        (G, "1:1"),
        (D, "12 week"),
    }
    for fact in found:
        assert text[fact.start : fact.end] == fact.text


def test_quantities_never_overlap_and_numbers_inside_them_are_not_counted_twice() -> None:
    text = "twice a week for 20 minutes in a group of 4, in Year 5"
    found = quantities(text)
    spans = sorted((f.start, f.end) for f in found)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    assert [f.value for f in numbers(text, outside=found)] == ["5"]


def test_names_skip_plan_words_acronyms_and_sentence_openers() -> None:
    text = "The SALT and the EP agree. She met Mrs Bennett and Priya at Oakfield School."
    assert [f.value for f in names(text)] == ["Bennett", "Priya", "Oakfield"]
    assert [f.value for f in names("Dr. Okafor will review.")] == ["Okafor"]
    assert [f.value for f in names("Reviewed with Amira's family")] == ["Amira"]


def test_qualifications_prefer_the_longest_role() -> None:
    assert [f.value for f in qualifications("a specialist dyslexia teacher")] == [
        "specialist dyslexia teacher"
    ]


def test_fact_values_count_a_quantitys_digits_as_numbers_seen() -> None:
    values = fact_values("in groups of four, twice a week")
    assert (G, "group of 4") in values
    assert (NUM, "4") in values
    assert (NUM, "2") in values
    assert (NUM, "3") not in values


NOT_CARDINAL = {"a", "an", "once", "twice", "thrice", "single", "half", "hundred", "zero"}
WORDS = {value: word for word, value in NUMBER_WORDS.items() if word not in NOT_CARDINAL}


def _in_words(n: int) -> str:
    if n in WORDS:
        return WORDS[n]
    tens, unit = divmod(n, 10)
    return f"{WORDS[tens * 10]}-{WORDS[unit]}"


@given(st.integers(min_value=2, max_value=99))
def test_numbers_in_words_and_digits_normalise_alike(n: int) -> None:
    word = _in_words(n)
    assert number_value(word) == n
    for template in ("{} times a week", "{}-minute sessions", "in groups of {}", "for {} weeks"):
        in_digits = [(f.kind, f.value) for f in extract(template.format(n))]
        in_words = [(f.kind, f.value) for f in extract(template.format(word))]
        assert in_digits == in_words
        assert len(in_digits) == 1


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=200))
def test_extract_never_fails_and_offsets_point_at_the_text(text: str) -> None:
    for fact in extract(text):
        assert isinstance(fact, Fact)
        assert text[fact.start : fact.end] == fact.text
