"""A plain-Python reference for the statutory clocks: the law typed out by hand, no spec.

The engine (``clocks.py``) runs the YAML spec as a state machine over the history; this module
looks ahead instead: for each step that starts a clock, the first later step that stops it or
ends it. The time limits are written here a second time, straight from the regulations, so a
mistake in the spec or in the engine shows up as a disagreement (tests/test_ehcp_clocks.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from wholechild.ehcp.clocks import Step

__all__ = ["ReferenceClock", "reference_clocks"]


@dataclass(frozen=True, slots=True)
class ReferenceClock:
    name: str
    subject: str | None
    started_on: date
    due: date
    status: str
    stopped_on: date | None
    ended_on: date | None


# name: (starts, stops, ends, per subject, warning days)
RULES: dict[str, tuple[set[str], set[str], set[str], bool, int]] = {
    "decision_whether_to_assess": (
        {"request_received"},
        {"decision_to_assess", "decision_not_to_assess"},
        set(),
        False,
        7,
    ),
    "advice": ({"advice_requested"}, {"advice_received"}, set(), True, 7),
    "notice_not_to_issue": (
        {"request_received"},
        {"decision_not_to_issue"},
        {"decision_not_to_assess", "draft_plan_issued"},
        False,
        14,
    ),
    "final_plan": (
        {"request_received"},
        {"final_plan_issued"},
        {"decision_not_to_assess", "decision_not_to_issue"},
        False,
        21,
    ),
    "annual_review": (
        {"final_plan_issued", "annual_review_meeting"},
        {"annual_review_meeting"},
        {"plan_ceased"},
        False,
        56,
    ),
    "review_decision": ({"annual_review_meeting"}, {"review_decision"}, {"plan_ceased"}, False, 7),
    "review_to_amended_plan": (
        {"annual_review_meeting"},
        {"amended_plan_issued", "review_decision:maintain", "review_decision:cease"},
        {"plan_ceased"},
        False,
        14,
    ),
    "amended_plan": ({"amendments_proposed"}, {"amended_plan_issued"}, {"plan_ceased"}, False, 14),
    "phase_transfer": (
        {"phase_transfer_planned"},
        {"amended_plan_issued", "review_decision:maintain"},
        {"plan_ceased"},
        False,
        42,
    ),
    "reassessment_decision": (
        {"reassessment_requested"},
        {"decision_to_reassess", "decision_not_to_reassess"},
        {"plan_ceased"},
        False,
        5,
    ),
}


def due(name: str, start: Step) -> date:
    """The last day in time, typed out from the regulations."""
    if name in ("decision_whether_to_assess", "advice"):  # reg 5(1), reg 8(1): 6 weeks
        return start.on + timedelta(days=42)
    if name == "notice_not_to_issue":  # reg 10(1): 16 weeks
        return start.on + timedelta(days=112)
    if name == "final_plan":  # reg 13(2): 20 weeks
        return start.on + timedelta(days=140)
    if name == "review_decision":  # reg 20(10): 4 weeks
        return start.on + timedelta(days=28)
    if name == "review_to_amended_plan":  # 4 + 8 weeks (R (L) v Devon CC [2022])
        return start.on + timedelta(days=84)
    if name == "amended_plan":  # reg 22(5): 8 weeks
        return start.on + timedelta(days=56)
    if name == "reassessment_decision":  # 15 days
        return start.on + timedelta(days=15)
    if name == "annual_review":  # CFA 2014 s.44(1): 12 months
        return _a_year_later(start.on)
    year = start.transfer_year or start.on.year  # reg 18(1): before 15 February / 31 March
    return date(year, 3, 30) if start.transfer_kind == "post16" else date(year, 2, 14)


def _a_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 2, 28)


def _matches(kinds: set[str], step: Step) -> bool:
    return step.step in kinds or f"{step.step}:{step.outcome}" in kinds


def _first_after(history: Sequence[Step], i: int, kinds: set[str], subject: str | None) -> int:
    for j in range(i + 1, len(history)):
        if _matches(kinds, history[j]) and (subject is None or history[j].subject == subject):
            return j
    return len(history)


def _exception(history: Sequence[Step], name: str, i: int, subject: str | None) -> str | None:
    """The reason of the last exception recorded against the run started at ``i``."""
    starts, _, _, per_subject, _ = RULES[name]
    reason = None
    for k, step in enumerate(history):
        if step.step != "exception_recorded" or step.clock != name:
            continue
        candidates = [
            j
            for j in range(k)
            if _matches(starts, history[j])
            and history[j].on <= step.on
            and (not per_subject or history[j].subject == step.subject)
        ]
        if candidates and candidates[-1] == i:
            reason = step.reason
    return reason


def _status(due_on: date, warn: int, stop: date | None, end: date | None, exc: str | None,
            today: date) -> str:  # fmt: skip
    if end is not None:
        return "ended"
    if stop is not None:
        if stop <= due_on:
            return "met"
        return "exception" if exc else "late"
    if today > due_on:
        return "exception" if exc else "overdue"
    return "due_soon" if today >= due_on - timedelta(days=warn) else "running"


def _run(history: Sequence[Step], name: str, i: int, today: date) -> ReferenceClock:
    _, stops, ends, per_subject, warn = RULES[name]
    start = history[i]
    subject = start.subject if per_subject else None
    j_stop = _first_after(history, i, stops, subject)
    j_end = _first_after(history, i, ends, subject)
    stop = history[j_stop].on if j_stop < j_end else None
    end = history[j_end].on if j_end < j_stop else None
    due_on = due(name, start)
    exc = _exception(history, name, i, subject)
    status = _status(due_on, warn, stop, end, exc, today)
    return ReferenceClock(name, subject, start.on, due_on, status, stop, end)


def reference_clocks(history: Sequence[Step], today: date) -> list[ReferenceClock]:
    """Every clock run in ``history`` on ``today``, sorted as the engine sorts them."""
    runs = [
        _run(history, name, i, today)
        for name, (starts, *_rest) in RULES.items()
        for i, step in enumerate(history)
        if _matches(starts, step)
    ]
    return sorted(runs, key=lambda r: (r.due, r.name, r.subject or ""))
