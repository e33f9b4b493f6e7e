"""Scoring a draft plan against a synthetic case's gold facts (``gold.json``).

- **Fact recall by section**: a need, provision or outcome counts as drafted when a sentence in
  its section holds its key words and, for provision, every quantity the advice gave (how
  often, session length, how long, group size), as normalised by ``wholechild.ehcp.facts``.
  Social care provision may sit in H1 or H2 (CSDPA 1970 s.2 or other): both count.
- **Unsupported statements**: the quality checker's critical source findings (a number,
  frequency, duration, group size, qualification or name in none of the advice; an uncited
  sentence).
- **Vague-provision detection**: clarification requests against the provisions the gold marks
  as written vaguely (precision and recall); and, on the draft, the Section F checker's
  findings (vague wording or a missing how often / how long / group size / who) on the
  sentences that hold a gold provision.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wholechild.ehcp.facts import quantities
from wholechild.ehcp.model import ClarificationRequest, DraftPlan, PlanSentence, Section
from wholechild.ehcp.quality import QualityFinding, Severity

SECTION_FAMILIES = {"H1": "H", "H2": "H"}
"""Sections scored as one: social care provision under CSDPA s.2 (H1) or otherwise (H2)."""


@dataclass(slots=True)
class CaseScore:
    """One case's counts; add scores together for a benchmark."""

    expected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)
    unsupported: int = 0
    vague_found: int = 0
    vague_missed: int = 0
    vague_false_alarms: int = 0
    flagged: Counter[str] = field(default_factory=Counter)  # draft F checker: tp, fn, fp
    area: Counter[str] = field(default_factory=Counter)  # drafted B/E/F facts: area right, wrong

    def __add__(self, other: CaseScore) -> CaseScore:
        return CaseScore(
            self.expected + other.expected,
            self.found + other.found,
            self.missed + other.missed,
            self.unsupported + other.unsupported,
            self.vague_found + other.vague_found,
            self.vague_missed + other.vague_missed,
            self.vague_false_alarms + other.vague_false_alarms,
            self.flagged + other.flagged,
            self.area + other.area,
        )

    def recall(self, section: str | None = None) -> float:
        expected = self.expected[section] if section else sum(self.expected.values())
        found = self.found[section] if section else sum(self.found.values())
        return found / expected if expected else 1.0

    @property
    def vague_precision(self) -> float:
        flagged = self.vague_found + self.vague_false_alarms
        return self.vague_found / flagged if flagged else 1.0

    @property
    def vague_recall(self) -> float:
        vague = self.vague_found + self.vague_missed
        return self.vague_found / vague if vague else 1.0


def normalise(text: str) -> str:
    """Lower case, one space between words, curly quotes straightened: for key matching."""
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


def _family(section: str) -> str:
    return SECTION_FAMILIES.get(section, section)


def drafted_as(fact: Mapping[str, Any], sentences: Iterable[PlanSentence]) -> list[PlanSentence]:
    """The sentences that draft a gold fact: in its section, with its key words and quantities."""
    key, wanted = normalise(fact["key"]), set(fact.get("quantities", ()))
    return [
        sentence
        for sentence in sentences
        if _family(sentence.section.value) == _family(fact["section"])
        and key in normalise(sentence.text)
        and wanted <= _quantity_values(sentence.text)
    ]


def is_drafted(fact: Mapping[str, Any], sentences: Iterable[PlanSentence]) -> bool:
    """A gold fact is drafted: a sentence in its section has its key words and quantities."""
    return bool(drafted_as(fact, sentences))


def _quantity_values(text: str) -> set[str]:
    return {fact.value for fact in quantities(text)}


def score_case(
    gold: Mapping[str, Any],
    plan: DraftPlan,
    findings: Sequence[QualityFinding],
    requests: Sequence[ClarificationRequest],
) -> CaseScore:
    """Score one draft (and its quality findings and clarification requests) against gold."""
    score = CaseScore()
    for fact in gold["facts"]:
        if fact["vague"]:
            continue
        section = _family(fact["section"])
        score.expected[section] += 1
        if drafted := drafted_as(fact, plan.sentences):
            score.found[section] += 1
            if fact["area"]:
                right = any(s.area is not None and s.area.value == fact["area"] for s in drafted)
                score.area["right" if right else "wrong"] += 1
        else:
            score.missed.append(f"{gold['case_id']} {fact['fact_id']} {fact['sentence']}")
    score.unsupported = sum(
        1
        for f in findings
        if f.severity is Severity.CRITICAL
        and (f.rule.startswith("unsupported_") or f.rule == "uncited_sentence")
    )
    _score_vague(score, gold, requests)
    score.flagged = _score_f_checker(gold, plan, findings)
    return score


F_CHECKS = frozenset(
    {"vague_wording", "provision_who", "provision_how_often", "provision_how_long",
     "provision_group_size"}
)  # fmt: skip
"""The Section F findings that say a provision is not specific."""


def _score_f_checker(
    gold: Mapping[str, Any], plan: DraftPlan, findings: Sequence[QualityFinding]
) -> Counter[str]:
    """tp / fn / fp of the Section F checker on the drafted sentences holding gold provision."""
    flagged = {f.sentence_id for f in findings if f.rule in F_CHECKS}
    numbered = [(s.sentence_id or f"F-{n}", s) for n, s in enumerate(plan.sentences, start=1)]
    counts: Counter[str] = Counter()
    for fact in (f for f in gold["facts"] if f["section"] == "F"):
        key = normalise(fact["key"])
        ids = {sid for sid, s in numbered if s.section is Section.F and key in normalise(s.text)}
        if not ids:
            continue
        hit = bool(ids & flagged)
        outcome = ("tp" if hit else "fn") if fact["vague"] else ("fp" if hit else "tn")
        counts[outcome] += 1
    return counts


def precision_recall(counts: Counter[str]) -> tuple[float, float]:
    """(precision, recall) from tp / fp / fn counts (1.0 where nothing was to be found)."""
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def _score_vague(
    score: CaseScore, gold: Mapping[str, Any], requests: Sequence[ClarificationRequest]
) -> None:
    vague = [normalise(f["key"]) for f in gold["facts"] if f["vague"]]
    asked = [normalise(request.span.text) for request in requests]
    score.vague_found = sum(1 for key in vague if any(key in text for text in asked))
    score.vague_missed = len(vague) - score.vague_found
    score.vague_false_alarms = sum(1 for text in asked if not any(key in text for key in vague))


def sections_scored(score: CaseScore) -> list[str]:
    """The sections with gold facts, in plan order (H for H1/H2)."""
    order = [_family(s.value) for s in Section]
    return sorted(score.expected, key=order.index)
