"""Evaluating drafting against synthetic gold facts: the scorer itself, then a small end-to-end
run of the real drafting on synthetic advice, held to the benchmark's targets."""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.model import AdviceDocument, DraftPlan, NeedArea, PlanSentence, Section, Span
from wholechild.ehcp.quality import check_plan, clarifications
from wholechild.synth.advice import read_gold, write_advice_cases
from wholechild.synth.advice_score import CaseScore, precision_recall, score_case


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval")
    write_advice_cases(out, cases=6, seed=3)
    return out


def load(case: Path) -> tuple[dict[str, Any], dict[str, AdviceDocument]]:
    gold = read_gold(case)
    return gold, {doc["file"]: read_advice(case / doc["file"]) for doc in gold["documents"]}


def span_of(sentence: str, doc: AdviceDocument) -> Span:
    """Where the advice says the sentence (it may be wrapped over lines)."""
    pattern = r"\s+".join(map(re.escape, sentence.split()))
    for number, page in enumerate(doc.pages, start=1):
        if found := re.search(pattern, page):
            return Span(doc.doc_id, number, found.start(), found.end(), found.group(0))
    raise AssertionError(f"not in {doc.file_name}: {sentence}")


def faithful_plan(gold: dict[str, Any], docs: dict[str, AdviceDocument]) -> DraftPlan:
    """The plan a perfect drafter would write: each specific fact in its section, cited."""
    sentences = [
        PlanSentence(
            Section(fact["section"]),
            fact["sentence"],
            (span_of(fact["sentence"], docs[fact["document"]]),),
            NeedArea(fact["area"]) if fact["area"] else None,
            fact["fact_id"],
        )
        for fact in gold["facts"]
        if not fact["vague"]
    ]
    return DraftPlan(sentences, list(docs.values()))


def score(gold: dict[str, Any], plan: DraftPlan, docs: dict[str, AdviceDocument]) -> CaseScore:
    sources = list(docs.values())
    return score_case(gold, plan, check_plan(plan, sources), clarifications(sources))


def test_a_faithful_plan_scores_full_recall_and_nothing_unsupported(cases: Path) -> None:
    total = CaseScore()
    for case in sorted(cases.iterdir()):
        gold, docs = load(case)
        total = total + score(gold, faithful_plan(gold, docs), docs)
    assert total.recall() == 1.0
    assert {"A", "B", "E", "F"} <= set(total.expected)
    assert total.unsupported == 0
    assert total.vague_precision == total.vague_recall == 1.0
    assert total.vague_found > 0
    assert total.area["wrong"] == 0


def test_a_missing_or_misplaced_fact_lowers_recall(cases: Path) -> None:
    gold, docs = load(sorted(cases.iterdir())[0])
    plan = faithful_plan(gold, docs)
    need = next(s for s in plan.sentences if s.section is Section.B)
    dropped = DraftPlan([s for s in plan.sentences if s is not need], plan.advice)
    result = score(gold, dropped, docs)
    assert result.recall("B") < 1.0
    assert any(need.sentence_id in line for line in result.missed)
    moved = DraftPlan(
        [PlanSentence(Section.F, s.text, s.citations, s.area) if s is need else s
         for s in plan.sentences], plan.advice)  # fmt: skip
    assert score(gold, moved, docs).recall("B") < 1.0


def test_a_provision_missing_a_quantity_is_not_drafted(cases: Path) -> None:
    for case in sorted(cases.iterdir()):
        gold, docs = load(case)
        plan = faithful_plan(gold, docs)
        fact = next((f for f in gold["facts"] if f["section"] == "F" and not f["vague"]), None)
        if fact is None:
            continue
        cut = re.sub(r",? (for|over) [^,.]+", "", fact["sentence"], count=1)
        assert cut != fact["sentence"]
        plan.sentences = [
            PlanSentence(s.section, cut, s.citations, s.area, s.sentence_id)
            if s.sentence_id == fact["fact_id"] else s
            for s in plan.sentences
        ]  # fmt: skip
        assert score(gold, plan, docs).recall("F") < 1.0
        return
    pytest.fail("no specific provision in the cases")


def test_an_invented_name_and_number_are_unsupported_statements(cases: Path) -> None:
    gold, docs = load(sorted(cases.iterdir())[0])
    plan = faithful_plan(gold, docs)
    first = plan.sentences[0]
    plan.sentences[0] = PlanSentence(
        first.section, first.text + " Dr Zebedee will review this after 17 sessions.",
        first.citations, first.area, first.sentence_id,
    )  # fmt: skip
    assert score(gold, plan, docs).unsupported == 2


def test_precision_and_recall_from_counts() -> None:
    from collections import Counter

    assert precision_recall(Counter(tp=9, fp=1, fn=3)) == (0.9, 0.75)
    assert precision_recall(Counter()) == (1.0, 1.0)


def test_drafting_meets_the_benchmark_targets_on_synthetic_advice(cases: Path) -> None:
    total, seconds = CaseScore(), []
    for case in sorted(cases.iterdir()):
        gold = read_gold(case)
        started = time.perf_counter()
        docs = [read_advice(case / doc["file"]) for doc in gold["documents"]]
        plan = draft_plan(docs)
        seconds.append(time.perf_counter() - started)
        total = total + score_case(gold, plan, check_plan(plan, docs), clarifications(docs))
    assert total.recall() >= 0.95, total.missed
    assert total.unsupported == 0
    assert min(total.vague_precision, total.vague_recall) >= 0.9
    assert min(precision_recall(total.flagged)) >= 0.9
    assert statistics.median(seconds) <= 5.0
