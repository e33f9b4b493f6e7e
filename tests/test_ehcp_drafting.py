"""Drafting: advice to a plan whose every sentence cites the advice that says it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholechild.ehcp.diff import advice_wording, render, sentence_diff, word_diff
from wholechild.ehcp.documents import advice_from_bytes, read_advice
from wholechild.ehcp.drafting import draft_plan, place_spans, source_check
from wholechild.ehcp.facts import FactKind, extract, fact_values
from wholechild.ehcp.model import (
    AdviceDocument,
    AdviceKind,
    DraftPlan,
    NeedArea,
    PlanSentence,
    Section,
    Span,
)
from wholechild.ehcp.sections import CueClassifier

FIXTURES = Path(__file__).parent / "fixtures" / "advice"
CI = NeedArea.COMMUNICATION_INTERACTION
CL = NeedArea.COGNITION_LEARNING
SEMH = NeedArea.SEMH
SP = NeedArea.SENSORY_PHYSICAL


@pytest.fixture(scope="module")
def advice() -> list[AdviceDocument]:
    return [read_advice(path) for path in sorted(FIXTURES.glob("*.txt"))]


@pytest.fixture(scope="module")
def plan(advice: list[AdviceDocument]) -> DraftPlan:
    return draft_plan(advice)


def cited_text(plan: DraftPlan, span: Span) -> str:
    """The words at a citation's page and offsets, read from the document, not the span."""
    doc = next(d for d in plan.advice if d.doc_id == span.doc_id)
    return doc.pages[span.page - 1][span.start : span.end]


def test_every_citation_points_at_exactly_its_words_in_the_advice(plan: DraftPlan) -> None:
    assert plan.sentences
    for sentence in plan.sentences:
        assert sentence.citations, sentence.text
        for span in sentence.citations:
            assert cited_text(plan, span) == span.text


def test_every_drafted_sentences_citation_really_contains_its_facts(plan: DraftPlan) -> None:
    checked = 0
    for sentence in plan.sentences:
        source = " \n".join(cited_text(plan, span) for span in sentence.citations)
        values, words = fact_values(source), set(re.findall(r"[a-z]+", source.lower()))
        for fact in extract(sentence.text):
            checked += 1
            if fact.kind is FactKind.NAME:
                assert fact.value.lower() in words, (fact, sentence.text)
            else:
                assert (fact.kind, fact.value.lower()) in values, (fact, sentence.text)
    assert checked >= 30  # the plan really asserts facts: the check is not vacuous


def test_no_drafted_sentence_has_a_number_its_citation_lacks(plan: DraftPlan) -> None:
    """The same promise by a plain reference: every run of digits is in the cited words."""
    for sentence in plan.sentences:
        source = " ".join(cited_text(plan, span) for span in sentence.citations)
        assert set(re.findall(r"\d+", sentence.text)) <= set(re.findall(r"\d+", source))


def test_every_sentence_is_an_extract_or_a_template_over_one(plan: DraftPlan) -> None:
    for sentence in plan.sentences:
        advice_words = advice_wording(sentence)
        if sentence.section in (Section.F, Section.G, Section.H1, Section.H2):
            assert sentence.text.startswith(f"What: {advice_words.rstrip('. ')}")
            fields = re.findall(r"; (?:Who|How often|How long|Group size): ([^;]+)", sentence.text)
            for field in fields:
                assert all(part in advice_words for part in field.rstrip(".").split(", "))
        else:
            assert sentence.text == advice_words


# The facts a caseworker expects in the plan, and the section (and area) each belongs in:
# needs, provision with its quantities, outcomes, views, health and social care.
GOLD: list[tuple[Section, NeedArea | None, tuple[str, ...]]] = [
    (Section.A, None, ("football", "Biscuit")),
    (Section.A, None, ("want to be a vet",)),
    (Section.A, None, ("kind and funny", "dinosaurs")),
    (Section.A, None, ("secondary school with his friends",)),
    (Section.B, CL, ("working memory", "78")),
    (Section.B, CL, ("typical 6 year old", "phonics")),
    (Section.B, CL, ("subtract",)),
    (Section.B, SEMH, ("anxious", "leaves the classroom")),
    (Section.B, CI, ("receptive language disorder", "two key words")),
    (Section.B, CI, ("expressive vocabulary", "three to four words")),
    (Section.B, CI, ("take turns in conversation",)),
    (Section.B, CL, ("below age-related expectations", "reading, writing and maths")),
    (Section.C, None, ("diagnosis of epilepsy", "medication")),
    (Section.C, None, ("difficulty falling asleep",)),
    (Section.D, None, ("lone carer", "evening routine")),
    (Section.D, None, ("community activities",)),
    (Section.E, CL, ("By the end of Key Stage 2", "Year 5")),
    (Section.E, SEMH, ("By July 2027", "calm-down plan")),
    (Section.E, CI, ("three key words",)),
    (Section.E, CL, ("three sentences independently",)),
    (Section.F, CL, ("phonics programme", "20 minutes", "daily", "trained teaching assistant")),
    (Section.F, CL, ("precision teaching", "3 times a week", "15 minutes", "teaching assistant")),
    (Section.F, CI,
     ("qualified speech and language therapist", "30 minutes", "weekly", "two terms")),
    (Section.F, CI, ("language programme", "3 times a week", "A teaching assistant")),
    (Section.F, None, ("one instruction at a time",)),
    (Section.F, None, ("1:1 reading session", "10 minutes", "daily")),
    (Section.F, None, ("Visual timetable",)),
    (Section.G, None, ("community paediatrician", "every 6 months")),
    (Section.G, None, ("epilepsy nurse", "emergency medication", "annually")),
    (Section.H1, None, ("short breaks", "6 hours each month")),
    (Section.H2, None, ("family support worker", "fortnightly")),
    (Section.J, None, ("personal budget", "swimming club")),
]  # fmt: skip


def found(plan: DraftPlan, section: Section, area: NeedArea | None, words: tuple[str, ...]) -> bool:
    return any(
        all(word in sentence.text for word in words) and (area is None or sentence.area is area)
        for sentence in plan.section(section)
    )


def test_fact_recall_each_fact_reaches_its_section(plan: DraftPlan) -> None:
    missed = [row for row in GOLD if not found(plan, *row)]
    recall = 1 - len(missed) / len(GOLD)
    assert recall >= 0.95, missed


def test_background_and_headings_stay_out_of_the_draft(plan: DraftPlan) -> None:
    drafted = " ".join(s.text for s in plan.sentences)
    assert "attends Brookfield Primary School in Year 3" not in drafted  # under "Background"
    assert "was referred by the school" not in drafted  # under "Reason for referral"
    assert "Recommended provision" not in drafted  # a heading


def test_placement_is_blank_and_every_piece_of_advice_is_listed(
    plan: DraftPlan, advice: list[AdviceDocument]
) -> None:
    assert plan.section(Section.I) == []
    listed = plan.section(Section.K)
    assert sorted(s.citations[0].doc_id for s in listed) == sorted(d.doc_id for d in advice)
    assert "Speech and Language Therapy Advice" in {s.text for s in listed}


def test_sentences_come_in_section_order_with_unique_ids(plan: DraftPlan) -> None:
    order = [list(Section).index(s.section) for s in plan.sentences]
    assert order == sorted(order)
    ids = [s.sentence_id for s in plan.sentences]
    assert len(set(ids)) == len(ids) and all(ids)


def test_the_same_words_in_two_pieces_of_advice_are_one_sentence_with_two_citations() -> None:
    ep = advice_from_bytes(
        "ep.txt", b"Educational Psychology Advice\nNeeds\nSam finds reading hard."
    )
    school = advice_from_bytes("school.txt", b"School Advice\nNeeds\nSam finds reading hard.")
    plan = draft_plan([ep, school])
    [sentence] = plan.section(Section.B)
    assert {span.doc_id for span in sentence.citations} == {ep.doc_id, school.doc_id}


def test_drafting_a_case_takes_well_under_five_seconds(advice: list[AdviceDocument]) -> None:
    started = time.perf_counter()
    draft_plan(advice * 3)
    assert time.perf_counter() - started < 5


# Where a span of advice goes: kind of advice, the heading above it, the sentence -> section.
PLACEMENTS = [
    (AdviceKind.EDUCATIONAL_PSYCHOLOGY, "Needs", "Sam cannot blend sounds.", Section.B, CL),
    (AdviceKind.EDUCATIONAL_PSYCHOLOGY, "Background", "Sam cannot blend sounds.", None, None),
    (AdviceKind.EDUCATIONAL_PSYCHOLOGY, "Social, emotional and mental health",
     "Sam becomes anxious at lunchtime.", Section.B, SEMH),
    (AdviceKind.SPEECH_LANGUAGE, "Summary", "Sam stammers when tired.", Section.B, CI),
    (AdviceKind.OCCUPATIONAL_THERAPY, "Needs", "Sam has weak fine motor skills.", Section.B, SP),
    (AdviceKind.SCHOOL, "Needs",
     "By the end of Year 6, Sam will read fluently.", Section.E, CL),  # outcome wherever it is
    (AdviceKind.SCHOOL, "Needs",
     "Sam should have a social skills group weekly.", Section.F, CI),  # provision wherever it is
    (AdviceKind.SCHOOL, "Recommendations", "Sam should sit near the front.", Section.F, None),
    (AdviceKind.HEALTH, "Recommendations", "Sam should see the physiotherapist.", Section.G, None),
    (AdviceKind.HEALTH, "Needs", "Sam has asthma.", Section.C, None),
    (AdviceKind.SOCIAL_CARE, "Needs", "Sam's carer needs a break.", Section.D, None),
    (AdviceKind.SOCIAL_CARE, "Support", "Sam will have respite care monthly.", Section.H1, None),
    (AdviceKind.SOCIAL_CARE, "Support", "A youth worker will visit weekly.", Section.H2, None),
    (AdviceKind.PARENT, "About Sam", "Sam loves trains.", Section.A, None),
    (AdviceKind.PARENT, "What we want",
     "We ask for a direct payment for a carer.", Section.J, None),
    (AdviceKind.SCHOOL, "Placement", "A specialist school would suit Sam.", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "heading", "text", "section", "area"), PLACEMENTS)
def test_spans_are_placed_by_heading_wording_and_kind_of_advice(
    kind: AdviceKind, heading: str, text: str, section: Section | None, area: NeedArea | None
) -> None:
    doc = advice_from_bytes("a.txt", f"Advice\n{heading}\n{text}".encode(), kind=kind)
    placements = {span.text: p for span, p in place_spans(doc, CueClassifier())}
    placement = placements[text]
    assert placement.section is section, placement.reason
    if area is not None:
        assert placement.area is area


def test_numbered_headings_set_the_context_and_numbered_items_stay_items() -> None:
    page = (
        "Educational Psychology Advice\n1. Background\nSam reads well at home.\n"
        "2. Recommended provision\n1. Reading support\n2. Visual timetable\n"
        "3. Outcomes\nBy July 2027, Sam will read a Year 5 book."
    )
    doc = advice_from_bytes("ep.txt", page.encode())
    placed = {span.text: p.section for span, p in place_spans(doc, CueClassifier())}
    assert placed["Background"] is None and placed["Outcomes"] is None
    assert placed["Sam reads well at home."] is None  # under "1. Background"
    assert placed["Reading support"] is Section.F  # an item, though "support" names provision
    assert placed["Visual timetable"] is Section.F
    assert placed["By July 2027, Sam will read a Year 5 book."] is Section.E


def cite(text: str) -> tuple[Span, ...]:
    return (Span("d", 1, 0, len(text), text),)


# The source check: sentence, the advice it cites -> the kinds of fact it lacks.
SOURCE_CHECKS = [
    ("Sam has weekly therapy.", "Sam has weekly therapy.", []),
    ("Sam has therapy 3 times per week.", "Sam has therapy three times a week.", []),
    ("Sessions last 45 minutes.", "Sessions last 30 minutes.", ["duration"]),
    ("Therapy is daily.", "Therapy is weekly.", ["frequency"]),
    ("Sam is in Year 5.", "Sam is in Year 4.", ["number"]),
    ("Delivered by a speech and language therapist.", "Delivered by a teaching assistant.",
     ["qualification"]),
    ("Sam will see Dr Patel.", "Sam will see the paediatrician.", ["name"]),
    ("Sam works in a group of 4.", "Sam works in groups of four.", []),
    ("Sam works 1:1.", "Sam works in a small group.", ["group"]),
]  # fmt: skip


@pytest.mark.parametrize(("sentence", "source", "lacking"), SOURCE_CHECKS)
def test_source_check_names_each_fact_the_citation_lacks(
    sentence: str, source: str, lacking: list[str]
) -> None:
    problems = source_check(sentence, cite(source))
    assert sorted({p.fact.kind.value for p in problems if p.fact}) == lacking
    assert all(p.message for p in problems)


def test_a_sentence_citing_nothing_fails_the_source_check() -> None:
    [problem] = source_check("Sam reads.", ())
    assert problem.fact is None and "cites no advice" in problem.message


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    ["Sam", "has", "3", "weekly", "sessions", "of", "30 minutes", "with", "a", "qualified",
     "speech and language therapist", "Dr Patel", "twice a day", "1:1", "in Year 4", "."]
), min_size=1, max_size=15))  # fmt: skip
def test_an_extract_always_passes_the_source_check(words: list[str]) -> None:
    text = " ".join(words)
    assert source_check(text, cite(text)) == []


def test_word_diff_shows_the_caseworkers_edit_against_the_advice() -> None:
    span = Span("d", 1, 0, 30, "Sam needs 30 minutes weekly.")
    sentence = PlanSentence(Section.F, "Sam needs 30 minutes weekly.", (span,))
    changes = sentence_diff(sentence, "Sam needs 30 minutes of therapy weekly.")
    assert [c.kind for c in changes] == ["equal", "insert", "equal"]
    assert render(changes) == "Sam needs 30 minutes {+of therapy+} weekly."
    assert render(word_diff("a b c", "a x c")) == "a [-b-] {+x+} c"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from("abcde"), max_size=12), st.lists(st.sampled_from("abcde"), max_size=12)
)
def test_a_word_diff_rebuilds_both_wordings(before: list[str], after: list[str]) -> None:
    changes = word_diff(" ".join(before), " ".join(after))
    assert [w for c in changes for w in c.advice] == before
    assert [w for c in changes for w in c.plan] == after


def test_synthetic_cases_in_docx_pdf_and_text_draft_with_their_facts_cited(
    tmp_path: Path,
) -> None:
    """End to end over the synthetic advice generator's cases (all three file formats)."""
    from wholechild.synth.advice import read_gold, write_advice_cases
    from wholechild.synth.advice_score import is_drafted

    write_advice_cases(tmp_path, cases=6, seed=11)
    expected = drafted = 0
    suffixes: set[str] = set()
    for case in sorted(p for p in tmp_path.iterdir() if p.is_dir()):
        files = [p for p in sorted(case.iterdir()) if p.name != "gold.json"]
        suffixes.update(p.suffix for p in files)
        plan = draft_plan([read_advice(p) for p in files])
        for sentence in plan.sentences:
            assert all(cited_text(plan, span) == span.text for span in sentence.citations)
            assert source_check(sentence.text, sentence.citations) == []
        gold = cast(list[dict[str, Any]], read_gold(case)["facts"])
        facts = [fact for fact in gold if not fact["vague"]]
        expected += len(facts)
        drafted += sum(is_drafted(fact, plan.sentences) for fact in facts)
    assert suffixes == {".txt", ".docx", ".pdf"}
    assert drafted / expected >= 0.95
