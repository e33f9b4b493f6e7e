"""Caseload figures for SEND caseworkers and teams: cases by stage, clocks due soon and
overdue, and 20-week performance by month.

Plain functions over an Engine. They take no ``principal`` yet: the web app will put them
behind the one access choke point (``wholechild.access``), which decides who may see whose
caseload; until then only trusted callers (the CLI, tests) use them. Counts are raw: every
page or export that shows them must pass them through disclosure control
(``wholechild.core.disclosure``) first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, Engine, Select, select

from wholechild.ehcp.clocks import Clock, ClockStatus, Step, default_spec, evaluate
from wholechild.ehcp.performance import (
    MonthPerformance,
    PlanTiming,
    plan_timing,
    twenty_week_by_month,
    twenty_week_summary,
)
from wholechild.storage.schema import EhcpCase, EhcpCaseEvent

__all__ = [
    "Caseload",
    "CaseworkerLoad",
    "DueItem",
    "case_clocks",
    "case_steps",
    "caseload",
    "caseload_by_caseworker",
    "twenty_week_by_month_for",
    "twenty_week_for_year",
]


@dataclass(frozen=True, slots=True)
class DueItem:
    """One clock needing attention in one case."""

    case_id: int
    person_id: int
    caseworker: str
    team: str
    clock: Clock


@dataclass(slots=True)
class Caseload:
    """Open cases by stage, and the clocks due soon and overdue (soonest first)."""

    by_stage: dict[str, int] = field(default_factory=dict)
    due_soon: list[DueItem] = field(default_factory=list)
    overdue: list[DueItem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CaseworkerLoad:
    caseworker: str
    team: str
    open_cases: int
    due_soon: int
    overdue: int


def case_steps(conn: Connection, case_ids: Sequence[int] | None = None) -> dict[int, list[Step]]:
    """Each case's steps in the order they happened (by date, then as recorded)."""
    e = EhcpCaseEvent
    query = select(e.case_id, e.step, e.occurred_on, e.subject, e.outcome, e.transfer_year,
                   e.transfer_kind, e.clock, e.reason, e.evidence).order_by(
        e.case_id, e.occurred_on, e.id
    )  # fmt: skip
    if case_ids is not None:
        query = query.where(e.case_id.in_(case_ids))
    steps: dict[int, list[Step]] = defaultdict(list)
    for row in conn.execute(query):
        steps[row.case_id].append(
            Step(
                row.step,
                row.occurred_on,
                subject=row.subject,
                outcome=row.outcome,
                transfer_year=row.transfer_year,
                transfer_kind=row.transfer_kind,
                clock=row.clock,
                reason=row.reason,
                evidence=row.evidence,
            )
        )
    return dict(steps)


def case_clocks(engine: Engine, case_id: int, *, today: date) -> list[Clock]:
    """Every clock in one case on ``today``, by due date."""
    with engine.connect() as conn:
        history = case_steps(conn, [case_id]).get(case_id, [])
    return evaluate(default_spec(), history, today)


def _cases(caseworker: str | None, team: str | None) -> Select[int, int, str, str, str]:
    c = EhcpCase
    query = select(c.id, c.person_id, c.caseworker, c.team, c.stage).order_by(c.id)
    if caseworker is not None:
        query = query.where(c.caseworker == caseworker)
    if team is not None:
        query = query.where(c.team == team)
    return query


def _open_stages() -> set[str]:
    return {name for name, (_label, is_open) in default_spec().stages.items() if is_open}


def caseload(
    engine: Engine, *, today: date, caseworker: str | None = None, team: str | None = None
) -> Caseload:
    """A caseworker's or team's (or everyone's) open cases by stage, and their clocks due soon
    and overdue on ``today``."""
    load, spec, open_stages = Caseload(), default_spec(), _open_stages()
    with engine.connect() as conn:
        cases = [r for r in conn.execute(_cases(caseworker, team)) if r.stage in open_stages]
        steps = case_steps(conn, [r.id for r in cases])
    load.by_stage = dict(Counter(r.stage for r in cases))
    for row in cases:
        for clock in evaluate(spec, steps.get(row.id, []), today):
            item = DueItem(row.id, row.person_id, row.caseworker, row.team, clock)
            if clock.status is ClockStatus.DUE_SOON:
                load.due_soon.append(item)
            elif clock.status is ClockStatus.OVERDUE:
                load.overdue.append(item)
    load.due_soon.sort(key=lambda i: (i.clock.due, i.case_id))
    load.overdue.sort(key=lambda i: (i.clock.due, i.case_id))
    return load


def caseload_by_caseworker(
    engine: Engine, *, today: date, team: str | None = None
) -> list[CaseworkerLoad]:
    """Per caseworker: open cases, clocks due soon, clocks overdue."""
    load = caseload(engine, today=today, team=team)
    with engine.connect() as conn:
        rows = list(conn.execute(_cases(None, team)))
    open_stages = _open_stages()
    teams = {r.caseworker: r.team for r in rows}
    open_cases = Counter(r.caseworker for r in rows if r.stage in open_stages)
    soon = Counter(i.caseworker for i in load.due_soon)
    late = Counter(i.caseworker for i in load.overdue)
    return [
        CaseworkerLoad(name, teams[name], open_cases[name], soon[name], late[name])
        for name in sorted(teams)
    ]


def _plans(engine: Engine, team: str | None) -> list[PlanTiming]:
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(_cases(None, team))]
        steps = case_steps(conn, ids)
    return [plan for plan in (plan_timing(h) for h in steps.values()) if plan is not None]


def twenty_week_by_month_for(
    engine: Engine, *, start: date, end: date, team: str | None = None
) -> list[MonthPerformance]:
    """20-week performance (excluding exception cases) for each month from start to end."""
    return twenty_week_by_month(_plans(engine, team), start=start, end=end)


def twenty_week_for_year(engine: Engine, *, year: int, team: str | None = None) -> MonthPerformance:
    """20-week performance for the plans issued in a calendar year (the DfE's figure)."""
    plans = _plans(engine, team)
    return twenty_week_summary(plans, start=date(year, 1, 1), end=date(year, 12, 31))
