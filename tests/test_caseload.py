"""Caseload figures (both stores) and 20-week timeliness as the DfE computes it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from wholechild.actions.ehcp_cases import open_case, record_step
from wholechild.ehcp.clocks import Step
from wholechild.ehcp.performance import (
    PlanTiming,
    months,
    twenty_week_by_month,
    twenty_week_summary,
    within_20_weeks,
)
from wholechild.read.caseload import (
    caseload,
    caseload_by_caseworker,
    twenty_week_by_month_for,
    twenty_week_for_year,
)
from wholechild.storage.schema import Person

D = date.fromisoformat
TODAY = D("2025-06-01")


def add_case(
    engine: Engine, caseworker: str, team: str, received: str, steps: Sequence[Step] = ()
) -> int:
    with engine.begin() as conn:
        stmt = insert(Person).returning(Person.id)
        person = conn.execute(stmt, {"created_at": datetime.now(UTC)}).scalar_one()
    case_id = open_case(
        engine, person_id=person, caseworker=caseworker, team=team,
        request_received_on=D(received), actor=caseworker, purpose="test", today=TODAY,
    )  # fmt: skip
    for s in steps:
        record_step(engine, case_id=case_id, step=s, actor=caseworker, purpose="test", today=TODAY)
    return case_id


def plan(decided: str, draft: str, final: str) -> list[Step]:
    return [
        Step("decision_to_assess", D(decided)),
        Step("draft_plan_issued", D(draft)),
        Step("final_plan_issued", D(final)),
    ]


@pytest.fixture
def council_cases(store: Engine) -> dict[str, int]:
    """Four cases on 2025-06-01, each with a known position on its clocks."""
    return {
        # Request 2025-05-20: decision due 2025-07-01, nothing due soon yet.
        "new": add_case(store, "cw.a", "North", "2025-05-20"),
        # Request 2025-04-24: decision due 2025-06-05, within the week's warning.
        "due soon": add_case(store, "cw.a", "North", "2025-04-24"),
        # Request 2025-01-06, assessing: 16-week notice due 2025-04-28 is overdue; the 20-week
        # final plan due 2025-05-26 is overdue too.
        "late": add_case(store, "cw.b", "North", "2025-01-06",
                         [Step("decision_to_assess", D("2025-02-10"))]),
        # Decided not to assess: closed, no clocks running.
        "closed": add_case(store, "cw.c", "South", "2025-03-03",
                           [Step("decision_not_to_assess", D("2025-04-07"))]),
    }  # fmt: skip


def test_open_cases_by_stage(store: Engine, council_cases: dict[str, int]) -> None:
    assert caseload(store, today=TODAY).by_stage == {"deciding": 2, "assessing": 1}
    assert caseload(store, today=TODAY, team="South").by_stage == {}
    assert caseload(store, today=TODAY, caseworker="cw.b").by_stage == {"assessing": 1}


def test_due_soon_and_overdue_clocks_name_case_clock_and_due_date(
    store: Engine, council_cases: dict[str, int]
) -> None:
    load = caseload(store, today=TODAY)
    due_soon = [(i.case_id, i.clock.name, i.clock.due) for i in load.due_soon]
    overdue = [(i.case_id, i.clock.name, i.clock.due) for i in load.overdue]
    assert due_soon == [(council_cases["due soon"], "decision_whether_to_assess", D("2025-06-05"))]
    assert overdue == [
        (council_cases["late"], "notice_not_to_issue", D("2025-04-28")),
        (council_cases["late"], "final_plan", D("2025-05-26")),
    ]
    assert caseload(store, today=TODAY, caseworker="cw.a").overdue == []


def test_caseload_per_caseworker(store: Engine, council_cases: dict[str, int]) -> None:
    rows = [(r.caseworker, r.team, r.open_cases, r.due_soon, r.overdue)
            for r in caseload_by_caseworker(store, today=TODAY)]  # fmt: skip
    assert rows == [
        ("cw.a", "North", 2, 1, 0),
        ("cw.b", "North", 1, 0, 2),
        ("cw.c", "South", 0, 0, 0),
    ]


def test_twenty_week_performance_by_month_leaves_exception_cases_out(store: Engine) -> None:
    exception = Step(
        "exception_recorded", D("2025-03-01"), clock="final_plan", reason="absent_from_area",
        evidence="family abroad 2025-03-01 to 2025-04-15",
    )  # fmt: skip
    # January: one plan in time (week 20 exactly). February: one a day late. March: one late
    # with an exception (left out of the figure). A decision not to assess counts nowhere.
    add_case(store, "cw.a", "North", "2024-09-02", plan("2024-10-07", "2024-12-30", "2025-01-20"))
    add_case(store, "cw.a", "North", "2024-09-16", plan("2024-10-21", "2025-01-20", "2025-02-04"))
    late_with_exception = [
        Step("decision_to_assess", D("2024-11-18")),
        exception,
        Step("draft_plan_issued", D("2025-03-10")),
        Step("final_plan_issued", D("2025-03-31")),
    ]
    add_case(store, "cw.b", "South", "2024-10-14", late_with_exception)
    add_case(
        store, "cw.b", "South", "2025-01-06", [Step("decision_not_to_assess", D("2025-02-10"))]
    )
    rows = twenty_week_by_month_for(store, start=D("2025-01-01"), end=D("2025-03-31"))
    assert [(r.month, r.issued, r.exceptions, r.counted, r.within_20_weeks) for r in rows] == [
        (D("2025-01-01"), 1, 0, 1, 1),
        (D("2025-02-01"), 1, 0, 1, 0),
        (D("2025-03-01"), 1, 1, 0, 0),
    ]
    assert [r.percent for r in rows] == [100.0, 0.0, None]
    year = twenty_week_for_year(store, year=2025)
    assert (year.issued, year.exceptions, year.counted, year.within_20_weeks) == (3, 1, 2, 1)
    assert year.percent == 50.0
    assert twenty_week_for_year(store, year=2025, team="South").counted == 0


# --- the DfE's figure, against a count done by hand ------------------------------------------

WITHIN = [
    ("2025-01-06", "2025-05-26", True),  # the last day of week 20
    ("2025-01-06", "2025-05-27", False),
    ("2024-02-01", "2024-06-20", True),  # 29 February counts as a day
    ("2024-02-01", "2024-06-21", False),
]


@pytest.mark.parametrize(("received", "issued", "expected"), WITHIN)
def test_within_20_weeks_is_calendar_days(received: str, issued: str, expected: bool) -> None:
    assert within_20_weeks(D(received), D(issued)) is expected


plans = st.builds(
    lambda r, days, exc: PlanTiming(r, date.fromordinal(r.toordinal() + days), exc),
    st.dates(date(2023, 1, 1), date(2025, 12, 31)),
    st.integers(1, 400),
    st.booleans(),
)


@given(st.lists(plans, max_size=40))
def test_the_figure_matches_a_plain_count(timings: list[PlanTiming]) -> None:
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    in_year = [p for p in timings if start <= p.issued <= end]
    counted = [p for p in in_year if not p.exception]
    on_time = [p for p in counted if (p.issued - p.received).days <= 140]
    summary = twenty_week_summary(timings, start=start, end=end)
    assert (summary.issued, summary.counted, summary.within_20_weeks) == (
        len(in_year), len(counted), len(on_time)
    )  # fmt: skip
    by_month = twenty_week_by_month(timings, start=start, end=end)
    assert [m.month for m in by_month] == months(start, end)
    assert sum(m.within_20_weeks for m in by_month) == len(on_time)
