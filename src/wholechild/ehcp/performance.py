"""20-week timeliness as the DfE computes it: of the new EHC plans issued in a period, the share
issued within 20 weeks of the request, leaving out the plans where an exception applied
(SEND Regulations 2014 reg 13(3)) from both sides of the fraction.

A plan counts in the month it was issued (the DfE counts plans by the calendar year they were
issued in). Pure: the caller supplies each plan's dates, e.g. from ``plan_timing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from wholechild.ehcp.clocks import EXCEPTION_STEP, Step

__all__ = [
    "MonthPerformance",
    "PlanTiming",
    "months",
    "plan_timing",
    "twenty_week_by_month",
    "twenty_week_summary",
    "within_20_weeks",
]

TWENTY_WEEKS: Final = timedelta(weeks=20)
FINAL_PLAN_CLOCK: Final = "final_plan"


@dataclass(frozen=True, slots=True)
class PlanTiming:
    """A new plan: when its request was received and the final plan issued, and whether an
    exception to the 20-week limit is recorded."""

    received: date
    issued: date
    exception: bool


@dataclass(frozen=True, slots=True)
class MonthPerformance:
    """Plans issued in a month (or period starting ``month``): all of them, those left out
    as exceptions, those counted, and of those the ones within 20 weeks."""

    month: date
    issued: int
    exceptions: int
    counted: int
    within_20_weeks: int

    @property
    def percent(self) -> float | None:
        """Per cent within 20 weeks, excluding exceptions; None when nothing is counted."""
        return 100.0 * self.within_20_weeks / self.counted if self.counted else None


def within_20_weeks(received: date, issued: date) -> bool:
    """On or before the last day of the 20 weeks (the request day plus 140 days)."""
    return issued <= received + TWENTY_WEEKS


def plan_timing(history: Sequence[Step]) -> PlanTiming | None:
    """The new plan of a case history, or None when no final plan has been issued."""
    received = next((s.on for s in history if s.step == "request_received"), None)
    issued = next((s.on for s in history if s.step == "final_plan_issued"), None)
    if received is None or issued is None:
        return None
    exception = any(s.step == EXCEPTION_STEP and s.clock == FINAL_PLAN_CLOCK for s in history)
    return PlanTiming(received, issued, exception)


def months(start: date, end: date) -> list[date]:
    """The first day of each month from ``start``'s month to ``end``'s, inclusive."""
    first, out = date(start.year, start.month, 1), []
    while first <= end:
        out.append(first)
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return out


def _tally(month: date, plans: Iterable[PlanTiming]) -> MonthPerformance:
    issued = exceptions = counted = on_time = 0
    for plan in plans:
        issued += 1
        if plan.exception:
            exceptions += 1
            continue
        counted += 1
        on_time += within_20_weeks(plan.received, plan.issued)
    return MonthPerformance(month, issued, exceptions, counted, on_time)


def twenty_week_by_month(
    plans: Iterable[PlanTiming], *, start: date, end: date
) -> list[MonthPerformance]:
    """One row per calendar month from ``start`` to ``end`` (empty months included)."""
    by_month: dict[date, list[PlanTiming]] = {m: [] for m in months(start, end)}
    for plan in plans:
        key = date(plan.issued.year, plan.issued.month, 1)
        if key in by_month and start <= plan.issued <= end:
            by_month[key].append(plan)
    return [_tally(m, ps) for m, ps in by_month.items()]


def twenty_week_summary(plans: Iterable[PlanTiming], *, start: date, end: date) -> MonthPerformance:
    """The period as one figure (e.g. a calendar year, as the DfE publishes it)."""
    return _tally(start, (p for p in plans if start <= p.issued <= end))
