"""The quality checker's rules as a readable table: for each rule, a good and a bad sentence.

Each row drafts one sentence from the same advice and checks that the rule fires on the bad
sentence and not on the good one (other rules may fire on either: each row tests one rule).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.facts import quantities
from wholechild.ehcp.model import (
    AdviceDocument,
    AdviceKind,
    ClarificationRequest,
    DraftPlan,
    NeedArea,
    PlanSentence,
    Section,
    Span,
)
from wholechild.ehcp.quality import (
    RULES,
    VAGUE_WORDING,
    QualityFinding,
    Severity,
    check_plan,
    clarifications,
)
from wholechild.ehcp.spans import split_spans
from wholechild.synth.advice import write_advice_cases

NEED = "Sam has difficulty understanding spoken instructions, says Mrs O'Connor."
PROVISION = (
    "Sam should receive speech and language therapy from an HCPC-registered speech and language "
    "therapist, three times a week, in 30-minute sessions, individually, for 12 weeks."
)
OUTCOME = "By the end of Year 4, Sam will follow a three-part spoken instruction."
HEALTH = "Sam's epilepsy should be reviewed by a community paediatrician every 6 months."
ADVICE = AdviceDocument(
    doc_id="salt-1",
    file_name="salt-advice.txt",
    kind=AdviceKind.SPEECH_LANGUAGE,
    author="A Therapist",
    pages=(f"Speech and Language Therapy Advice\n\n{NEED}\n{PROVISION}\n{OUTCOME}\n",),
)
HEALTH_ADVICE = AdviceDocument("health-1", "health.txt", AdviceKind.HEALTH, None, (HEALTH,))
C = NeedArea.COMMUNICATION_INTERACTION


def span_of(words: str, doc: AdviceDocument = ADVICE) -> Span:
    start = doc.pages[0].index(words)
    return Span(doc.doc_id, 1, start, start + len(words), words)


def sentence(
    section: Section, text: str, cites: tuple[str, ...] = (PROVISION,), area: NeedArea | None = C
) -> PlanSentence:
    return PlanSentence(section, text, tuple(span_of(c) for c in cites), area, "s1")


def rules_on(*sentences: PlanSentence, sources: tuple[AdviceDocument, ...] = (ADVICE,)) -> set[str]:
    return {f.rule for f in check_plan(DraftPlan(list(sentences)), list(sources))}


# rule, section, good sentence, bad sentence (each cites the provision unless the rule is about
# citing). Source rules: a fact in the draft must be in the advice (paraphrase is fine).
SOURCE_RULES = [
    ("unsupported_frequency", Section.F,
     "Therapy 3 times per week.", "Therapy four times a week."),
    ("unsupported_duration", Section.F,
     "Thirty-minute sessions of therapy.", "45-minute sessions of therapy."),
    ("unsupported_group", Section.F,
     "Therapy delivered one-to-one.", "Therapy delivered in a group of 4."),
    ("unsupported_qualification", Section.F,
     "Therapy from an HCPC-registered speech and language therapist.",
     "Therapy from a specialist teacher."),
    ("unsupported_name", Section.F,
     "Therapy for Sam, three times a week.", "Therapy for Sam from Dr Okafor, three times a week."),
    ("unsupported_name", Section.F,
     "Therapy with Mrs O'Connor and Sam's class.", "Therapy with Mrs O'Brien and Sam's class."),
    ("unsupported_number", Section.F,
     "Therapy for 12 weeks.", "Therapy for 12 weeks, reviewed after 8 sessions."),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "section", "good", "bad"), SOURCE_RULES)
def test_source_rule(rule: str, section: Section, good: str, bad: str) -> None:
    assert rule not in rules_on(sentence(section, good))
    assert rule in rules_on(sentence(section, bad))


def test_unsupported_number_in_an_outcome() -> None:
    good = sentence(Section.E, OUTCOME, cites=(OUTCOME,))
    bad = sentence(Section.E, OUTCOME.replace("Year 4", "Year 5"), cites=(OUTCOME,))
    assert "unsupported_number" not in rules_on(good)
    assert "unsupported_number" in rules_on(bad)


def test_uncited_sentence() -> None:
    assert "uncited_sentence" not in rules_on(sentence(Section.B, NEED, cites=(NEED,)))
    assert "uncited_sentence" in rules_on(sentence(Section.B, NEED, cites=()))


def test_fact_not_in_citation() -> None:
    text = "Speech and language therapy three times a week."
    assert "fact_not_in_citation" not in rules_on(sentence(Section.F, text, cites=(PROVISION,)))
    found = rules_on(sentence(Section.F, text, cites=(NEED,)))
    assert "fact_not_in_citation" in found
    assert "unsupported_frequency" not in found  # it is in the advice, just not where cited


def test_dropped_quantity() -> None:
    kept = PROVISION
    dropped = PROVISION.replace(", for 12 weeks", "")
    assert "dropped_quantity" not in rules_on(sentence(Section.F, kept))
    findings = check_plan(DraftPlan([sentence(Section.F, dropped)]), [ADVICE])
    (finding,) = [f for f in findings if f.rule == "dropped_quantity"]
    assert "12 weeks" in finding.message
    assert finding.span is not None and finding.span.text == PROVISION


def test_a_vague_recommendation_is_not_a_dropped_quantity_but_a_question() -> None:
    text = "Sam should receive up to 30 minutes of handwriting practice each week."
    vague = AdviceDocument("ot-1", "ot.txt", AdviceKind.OCCUPATIONAL_THERAPY, None, (text,))
    assert "dropped_quantity" not in rules_on(sources=(vague,))
    assert len(clarifications([vague])) == 1


# Section F: what, who, how often, for how long, group size. One element missing at a time.
FULL = (
    "Speech and language therapy from an HCPC-registered speech and language therapist, "
    "three times a week, in 30-minute sessions, individually, for 12 weeks."
)
F_RULES = [
    ("provision_what", FULL,
     "An HCPC-registered speech and language therapist, three times a week, in 30-minute "
     "sessions, individually, for 12 weeks."),
    ("provision_who", FULL,
     FULL.replace(" from an HCPC-registered speech and language therapist", "")),
    ("provision_how_often", FULL, FULL.replace(" three times a week,", "")),
    ("provision_how_long", FULL,
     FULL.replace(" in 30-minute sessions,", "").replace(", for 12 weeks", "")),
    ("provision_what", "A social communication group with a teaching assistant, daily, for 12 "
     "weeks, in a group of 4.", "A teaching assistant, daily, for 12 weeks, in a group of 4."),
    ("provision_group_size", FULL, FULL.replace(" individually,", "")),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "good", "bad"), F_RULES)
def test_section_f_says_what_who_how_often_how_long_and_group_size(
    rule: str, good: str, bad: str
) -> None:
    assert rules_on(sentence(Section.F, good)) & {r for r, _, _ in F_RULES} == set()
    assert rule in rules_on(sentence(Section.F, bad))


def test_a_full_provision_item_has_no_section_f_finding_at_all() -> None:
    assert rules_on(sentence(Section.F, FULL)) == set()


# Vague wording: each phrase, a bad sentence and a good one that says exactly what is provided.
VAGUE_ROWS = [
    ("access to", "Sam will have access to a speech and language therapist.",
     "Sam will receive therapy three times a week."),
    ("opportunit", "Opportunities for social communication practice.",
     "Social communication practice three times a week."),
    ("regular", "Regular speech and language therapy.",
     "Regular speech and language therapy three times a week."),
    ("frequent", "Frequent checks of understanding.",
     "Frequent checks of understanding, daily."),
    ("as required", "Therapy as required.", "Therapy three times a week."),
    ("where appropriate", "Visual prompts where appropriate.", "Visual prompts in every lesson."),
    ("up to", "Up to 30 minutes of therapy a week.", "30 minutes of therapy a week."),
    ("would benefit from", "Sam would benefit from therapy.", "Sam will receive therapy."),
    ("small group", "Therapy in a small group.", "Therapy in a small group of no more than 4."),
    ("support from", "Support from a teaching assistant.",
     "Support from a teaching assistant for 30 minutes daily."),
    ("some support", "Some support with reading.", "Support with reading for 20 minutes daily."),
    ("consider", "School should consider a reading programme.", "A reading programme, daily."),
]  # fmt: skip


@pytest.mark.parametrize(("phrase", "bad", "good"), VAGUE_ROWS, ids=[r[0] for r in VAGUE_ROWS])
def test_vague_wording(phrase: str, bad: str, good: str) -> None:
    findings = check_plan(DraftPlan([sentence(Section.F, bad)]), [ADVICE])
    assert any(f.rule == "vague_wording" and phrase in f.message.lower() for f in findings)
    assert "vague_wording" not in rules_on(sentence(Section.F, good))


def test_every_vague_phrase_has_a_row() -> None:
    assert len(VAGUE_ROWS) == len(VAGUE_WORDING)


# The thread: every need in B has provision in F and an outcome in E.
def test_need_without_provision_and_without_outcome() -> None:
    need = sentence(Section.B, NEED, cites=(NEED,))
    provision = sentence(Section.F, FULL)
    outcome = sentence(Section.E, OUTCOME, cites=(OUTCOME,))
    thread = {"need_without_provision", "need_without_outcome"}
    assert rules_on(need, provision, outcome) & thread == set()
    assert "need_without_provision" in rules_on(need, outcome)
    assert "need_without_outcome" in rules_on(need, provision)
    other_area = sentence(Section.F, FULL, area=NeedArea.SEMH)
    assert "need_without_provision" in rules_on(need, other_area, outcome)


OUTCOME_RULES = [
    ("outcome_not_time_bound", OUTCOME, "Sam will follow a three-part spoken instruction."),
    ("outcome_not_time_bound", "Within 6 months, Sam will follow a three-part instruction.",
     "Sam will follow a three-part instruction in time."),
    ("outcome_not_specific", OUTCOME, "By the end of Year 4, Sam will improve his listening."),
    ("outcome_not_specific", "By the end of Year 4, Sam will read 100 words accurately.",
     "By the end of Year 4, Sam will develop his confidence."),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "good", "bad"), OUTCOME_RULES)
def test_outcomes_are_specific_and_time_bound(rule: str, good: str, bad: str) -> None:
    assert rule not in rules_on(sentence(Section.E, good, cites=(OUTCOME,)))
    assert rule in rules_on(sentence(Section.E, bad, cites=(OUTCOME,)))


def test_provision_that_educates_or_trains_belongs_in_f_not_g() -> None:
    good = PlanSentence(Section.G, HEALTH, (span_of(HEALTH, HEALTH_ADVICE),), None, "g1")
    bad = sentence(Section.G, FULL, area=None)
    assert "educational_provision_in_g" not in rules_on(good, sources=(HEALTH_ADVICE,))
    assert "educational_provision_in_g" in rules_on(bad)
    assert "educational_provision_in_g" not in rules_on(sentence(Section.F, FULL))


def test_an_outstanding_clarification_is_reported_as_info() -> None:
    request = ClarificationRequest("salt-1", span_of(PROVISION), "How often?")
    findings = check_plan(DraftPlan([], clarifications=[request]), [ADVICE])
    (finding,) = [f for f in findings if f.rule == "clarification_outstanding"]
    assert finding.severity is Severity.INFO
    assert finding.span == request.span
    assert "How often?" in finding.message
    assert "clarification_outstanding" not in rules_on()


def test_every_rule_is_tested_and_only_source_rules_are_critical() -> None:
    tested_by_name = {
        "uncited_sentence": test_uncited_sentence,
        "fact_not_in_citation": test_fact_not_in_citation,
        "dropped_quantity": test_dropped_quantity,
        "vague_wording": test_vague_wording,
        "need_without_provision": test_need_without_provision_and_without_outcome,
        "need_without_outcome": test_need_without_provision_and_without_outcome,
        "educational_provision_in_g": test_provision_that_educates_or_trains_belongs_in_f_not_g,
        "clarification_outstanding": test_an_outstanding_clarification_is_reported_as_info,
    }
    in_tables = {rule for rule, *_ in SOURCE_RULES + F_RULES + OUTCOME_RULES}
    assert in_tables | set(tested_by_name) == set(RULES)
    critical = {rule for rule, spec in RULES.items() if spec.severity is Severity.CRITICAL}
    assert critical == {rule for rule, *_ in SOURCE_RULES} | {"uncited_sentence"}
    assert all(spec.fix and spec.description for spec in RULES.values())


def test_findings_point_at_the_sentence_and_say_how_to_fix() -> None:
    plan = DraftPlan([PlanSentence(Section.F, "Therapy as required.", (span_of(PROVISION),), C)])
    findings = check_plan(plan, [ADVICE])
    assert findings
    assert all(isinstance(f, QualityFinding) for f in findings)
    on_sentence = [f for f in findings if f.rule != "dropped_quantity"]
    assert {f.sentence_id for f in on_sentence} == {"F-1"}  # numbered when the draft gave none
    assert all(f.section is Section.F and f.fix for f in findings)
    dropped = [f for f in findings if f.rule == "dropped_quantity"]
    assert dropped
    assert all(f.span is not None and not f.sentence_id for f in dropped)  # points at the advice


# Clarification requests: advice that is itself unspecific goes back to its author.
def _advice(text: str) -> AdviceDocument:
    return AdviceDocument("ep-1", "ep.txt", AdviceKind.EDUCATIONAL_PSYCHOLOGY, None, (text,))


CLARIFY = [
    ("Sam would benefit from regular reading support.", ["how often", "group size", "who"]),
    ("Sam should have access to small group work.", ["how often", "for how long"]),
    ("Sam should receive up to 30 minutes of phonics each week.", ["group size", "who"]),
    ("Support from a teaching assistant as required.", ["how often", "group size"]),
    ("Sam should receive counselling from a counsellor.", ["how often", "for how long"]),
    ("A phonics programme is recommended, in a group of 4.", ["how often", "who"]),
]
NO_QUESTION = [
    PROVISION,
    "Sam attends school regularly and is well liked.",  # describes the child: no question
    "Sam has access to a quiet room at lunchtime.",  # describes, recommends nothing
    "Recommendations",
    "By the end of Year 4, Sam will read 100 words in his reading lessons.",  # an outcome
    "Staff should use a visual timetable.",  # a strategy, not a programme to quantify
]


@pytest.mark.parametrize(("text", "asks"), CLARIFY)
def test_vague_advice_produces_a_question_and_never_a_number(text: str, asks: list[str]) -> None:
    (request,) = clarifications([_advice(f"Recommendations\n{text}\n")])
    assert request.span.text == text
    assert request.doc_id == "ep-1"
    for words in asks:
        assert words in request.question
    assert quantities(request.question) == []  # the question invents no frequency or duration
    if "30 minutes" in text:
        assert "how often" not in request.question  # it asks only for what is missing
    if "group of 4" in text:
        assert "group size" not in request.question


@pytest.mark.parametrize("text", NO_QUESTION)
def test_specific_or_descriptive_advice_produces_no_question(text: str) -> None:
    assert clarifications([_advice(f"{text}\n")]) == []


def test_any_passage_of_advice_copied_into_a_plan_is_supported(tmp_path: Path) -> None:
    """The property the source rules rest on: the advice's own words, however wrapped, never
    produce a critical finding (over synthetic advice in text, DOCX and PDF)."""
    write_advice_cases(tmp_path, cases=8, seed=9)
    checked = 0
    for case in sorted(tmp_path.iterdir()):
        docs = [read_advice(p) for p in sorted(case.iterdir()) if p.suffix != ".json"]
        spans = [span for doc in docs for span in split_spans(doc)]
        plan = DraftPlan(
            [PlanSentence(Section.F, " ".join(s.text.split()), (s,), C, f"s{n}")
             for n, s in enumerate(spans)]
        )  # fmt: skip
        critical = [f for f in check_plan(plan, docs) if f.severity is Severity.CRITICAL]
        assert critical == []
        assert "fact_not_in_citation" not in {f.rule for f in check_plan(plan, docs)}
        checked += len(spans)
    assert checked > 100


# Provision as advisers write it (not from the synthetic generator): which needs a question.
NEEDS_A_QUESTION = [
    "Sam will have access to speech and language therapy.",
    "Sam would benefit from a programme to develop his social skills.",
    "Sam requires regular opportunities to practise his reading.",
    "Small group support for literacy should be provided.",
    "Sam should receive support from a teaching assistant during lessons.",
    "Sam will receive input from the speech and language therapy service as required.",
    "Up to 10 hours of teaching assistant support per week is recommended.",
    "Sam should have access to a quiet space when needed.",
    "Occupational therapy advice should be sought where appropriate.",
    "Staff should consider using visual supports.",
    "A speech and language programme should be delivered by school staff.",
    "Sam should be given additional adult support at unstructured times.",
    "Sam would benefit from a structured phonics intervention.",
    "Regular liaison with the speech and language therapist is recommended.",
    "A reduced timetable may be considered.",
]
SPECIFIC_ENOUGH = [
    "Sam will receive 3 sessions per week of 30 minutes of speech and language therapy from an "
    "HCPC-registered speech and language therapist, 1:1, for the duration of the plan.",
    "A teaching assistant will deliver a phonics programme to Sam in a group of no more than 4, "
    "daily for 20 minutes, for two terms.",
    "Sam will have a 10-minute check-in with his key adult every morning.",
    "An occupational therapist will provide 6 sessions of 45 minutes, individually, over one term.",
    "Sam will attend a social skills group of 6 pupils led by the ELSA once a week for 40 minutes "
    "for 12 weeks.",
    "Precision teaching, 1:1, 10 minutes daily, with a trained teaching assistant, for 12 weeks.",
    "The speech and language therapist will train school staff for 2 hours each term.",
    "Touch-typing practice for 15 minutes three times a week, individually, supervised by a "
    "teaching assistant, until the annual review.",
]


@pytest.mark.parametrize("text", NEEDS_A_QUESTION)
def test_advisers_vague_provision_gets_a_question(text: str) -> None:
    assert len(clarifications([_advice(f"{text}\n")])) == 1


@pytest.mark.parametrize("text", SPECIFIC_ENOUGH)
def test_advisers_specific_provision_gets_none(text: str) -> None:
    assert clarifications([_advice(f"{text}\n")]) == []
