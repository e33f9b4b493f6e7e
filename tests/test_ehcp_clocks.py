"""The statutory clocks as dated scenarios: the tables double as documentation.

Time limits are calendar days from the starting step (SEND Regulations 2014): weekends,
Christmas and bank holidays count like any other day. Each scenario lists the steps recorded,
the day it is looked at, and the clocks expected: name, due date, status.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholechild.ehcp.clocks import (
    ClockStatus,
    Step,
    check_step,
    default_spec,
    evaluate,
    load_spec,
    rules_markdown,
    stage_of,
)
from wholechild.ehcp.reference_clocks import reference_clocks
from wholechild.errors import ConfigurationError

SPEC = default_spec()
D = date.fromisoformat


def steps(*rows: tuple[str, str] | Step) -> list[Step]:
    return [r if isinstance(r, Step) else Step(r[0], D(r[1])) for r in rows]


# (scenario, history, looked at on, {clock: (due, status)})
SCENARIOS: list[tuple[str, list[Step], str, dict[str, tuple[str, ClockStatus]]]] = [
    (
        "request received 2025-01-06: decision due in 6 weeks, notice not to issue by week 16, "
        "final plan by week 20",
        steps(("request_received", "2025-01-06")),
        "2025-01-07",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.RUNNING),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.RUNNING),
            "final_plan": ("2025-05-26", ClockStatus.RUNNING),
        },
    ),
    (
        "request received 2024-12-20: Christmas and New Year's bank holidays are not skipped",
        steps(("request_received", "2024-12-20")),
        "2024-12-20",
        {
            "decision_whether_to_assess": ("2025-01-31", ClockStatus.RUNNING),
            "notice_not_to_issue": ("2025-04-11", ClockStatus.RUNNING),
            "final_plan": ("2025-05-09", ClockStatus.RUNNING),
        },
    ),
    (
        "request received 2024-02-01 in a leap year: 29 February counts",
        steps(("request_received", "2024-02-01")),
        "2024-02-01",
        {
            "decision_whether_to_assess": ("2024-03-14", ClockStatus.RUNNING),
            "notice_not_to_issue": ("2024-05-23", ClockStatus.RUNNING),
            "final_plan": ("2024-06-20", ClockStatus.RUNNING),
        },
    ),
    (
        "a Saturday's due date stays on the Saturday: request 2025-03-01 → decision 2025-04-12",
        steps(("request_received", "2025-03-01")),
        "2025-03-01",
        {
            "decision_whether_to_assess": ("2025-04-12", ClockStatus.RUNNING),
            "notice_not_to_issue": ("2025-06-21", ClockStatus.RUNNING),
            "final_plan": ("2025-07-19", ClockStatus.RUNNING),
        },
    ),
    (
        "warning a week ahead: on 2025-02-10 the decision due 2025-02-17 is due soon",
        steps(("request_received", "2025-01-06")),
        "2025-02-10",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.DUE_SOON),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.RUNNING),
            "final_plan": ("2025-05-26", ClockStatus.RUNNING),
        },
    ),
    (
        "the due day itself is still in time; the day after it is overdue",
        steps(("request_received", "2025-01-06")),
        "2025-02-18",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.OVERDUE),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.RUNNING),
            "final_plan": ("2025-05-26", ClockStatus.RUNNING),
        },
    ),
    (
        "on time throughout: decision on the due day, advice in 6 weeks, final 15 days after "
        "the draft; the first annual review is due a year after the plan",
        [
            Step("request_received", D("2025-01-06")),
            Step("decision_to_assess", D("2025-02-17")),
            Step("advice_requested", D("2025-02-18"), subject="educational psychologist"),
            Step("advice_received", D("2025-04-01"), subject="educational psychologist"),
            Step("draft_plan_issued", D("2025-04-22")),
            Step("final_plan_issued", D("2025-05-07")),
        ],
        "2025-05-08",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.MET),
            "advice": ("2025-04-01", ClockStatus.MET),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.ENDED),
            "final_plan": ("2025-05-26", ClockStatus.MET),
            "annual_review": ("2026-05-07", ClockStatus.RUNNING),
        },
    ),
    (
        "final plan one day late (2025-05-27), no exception: late",
        steps(
            ("request_received", "2025-01-06"),
            ("decision_to_assess", "2025-02-03"),
            ("draft_plan_issued", "2025-05-01"),
            ("final_plan_issued", "2025-05-27"),
        ),
        "2025-06-01",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.MET),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.ENDED),
            "final_plan": ("2025-05-26", ClockStatus.LATE),
            "annual_review": ("2026-05-27", ClockStatus.RUNNING),
        },
    ),
    (
        "final plan late with a reg 13(3) exception recorded (family away 5 weeks): the due "
        "date does not move, the clock is marked as an exception",
        [
            Step("request_received", D("2025-01-06")),
            Step("decision_to_assess", D("2025-02-03")),
            Step(
                "exception_recorded",
                D("2025-04-10"),
                clock="final_plan",
                reason="absent_from_area",
                evidence="letter from the family dated 2025-04-09",
            ),
            Step("draft_plan_issued", D("2025-05-20")),
            Step("final_plan_issued", D("2025-06-09")),
        ],
        "2025-06-10",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.MET),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.ENDED),
            "final_plan": ("2025-05-26", ClockStatus.EXCEPTION),
            "annual_review": ("2026-06-09", ClockStatus.RUNNING),
        },
    ),
    (
        "decided not to assess: the 16- and 20-week clocks no longer apply",
        steps(("request_received", "2025-01-06"), ("decision_not_to_assess", "2025-02-14")),
        "2025-06-01",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.MET),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.ENDED),
            "final_plan": ("2025-05-26", ClockStatus.ENDED),
        },
    ),
    (
        "decided not to issue a plan at week 16 exactly: in time",
        steps(
            ("request_received", "2025-01-06"),
            ("decision_to_assess", "2025-02-10"),
            ("decision_not_to_issue", "2025-04-28"),
        ),
        "2025-05-01",
        {
            "decision_whether_to_assess": ("2025-02-17", ClockStatus.MET),
            "notice_not_to_issue": ("2025-04-28", ClockStatus.MET),
            "final_plan": ("2025-05-26", ClockStatus.ENDED),
        },
    ),
    (
        "annual review: decision within 4 weeks of the meeting, the amended plan within 8 weeks "
        "of the proposed amendments, the next review within 12 months of this one",
        [
            *steps(
                ("request_received", "2024-01-08"),
                ("decision_to_assess", "2024-02-12"),
                ("draft_plan_issued", "2024-04-29"),
                ("final_plan_issued", "2024-05-20"),
                ("annual_review_meeting", "2025-05-12"),
            ),
            Step("review_decision", D("2025-06-02"), outcome="amend"),
            Step("amendments_proposed", D("2025-06-02")),
        ],
        "2025-07-20",
        {
            "decision_whether_to_assess": ("2024-02-19", ClockStatus.MET),
            "notice_not_to_issue": ("2024-04-29", ClockStatus.ENDED),
            "final_plan": ("2024-05-27", ClockStatus.MET),
            "annual_review": ("2025-05-20", ClockStatus.MET),
            "review_decision": ("2025-06-09", ClockStatus.MET),
            "amended_plan": ("2025-07-28", ClockStatus.DUE_SOON),
            "review_to_amended_plan": ("2025-08-04", ClockStatus.RUNNING),
            "annual_review#2": ("2026-05-12", ClockStatus.RUNNING),
        },
    ),
    (
        "amendments after a review: the decision with its proposed amendments on day 28, the "
        "amended plan 8 weeks later, 12 weeks from the meeting: all in time (R (L) v Devon)",
        [
            *steps(
                ("request_received", "2024-01-08"),
                ("decision_to_assess", "2024-02-12"),
                ("draft_plan_issued", "2024-04-29"),
                ("final_plan_issued", "2024-05-20"),
                ("annual_review_meeting", "2025-05-12"),
            ),
            Step("review_decision", D("2025-06-09"), outcome="amend"),
            Step("amendments_proposed", D("2025-06-09")),
            Step("amended_plan_issued", D("2025-08-04")),
        ],
        "2025-08-05",
        {
            "decision_whether_to_assess": ("2024-02-19", ClockStatus.MET),
            "notice_not_to_issue": ("2024-04-29", ClockStatus.ENDED),
            "final_plan": ("2024-05-27", ClockStatus.MET),
            "annual_review": ("2025-05-20", ClockStatus.MET),
            "review_decision": ("2025-06-09", ClockStatus.MET),
            "amended_plan": ("2025-08-04", ClockStatus.MET),
            "review_to_amended_plan": ("2025-08-04", ClockStatus.MET),
            "annual_review#2": ("2026-05-12", ClockStatus.RUNNING),
        },
    ),
    (
        "a plan issued on 29 February is reviewed by 28 February the next year",
        steps(
            ("request_received", "2023-10-16"),
            ("decision_to_assess", "2023-11-20"),
            ("draft_plan_issued", "2024-02-12"),
            ("final_plan_issued", "2024-02-29"),
        ),
        "2024-03-01",
        {
            "decision_whether_to_assess": ("2023-11-27", ClockStatus.MET),
            "notice_not_to_issue": ("2024-02-05", ClockStatus.ENDED),
            "final_plan": ("2024-03-04", ClockStatus.MET),
            "annual_review": ("2025-02-28", ClockStatus.RUNNING),
        },
    ),
]


def _by_name(history: list[Step], today: str) -> dict[str, tuple[str, ClockStatus]]:
    found: dict[str, tuple[str, ClockStatus]] = {}
    for clock in evaluate(SPEC, history, D(today)):
        key, n = clock.name, 2
        while key in found:
            key, n = f"{clock.name}#{n}", n + 1
        found[key] = (clock.due.isoformat(), clock.status)
    return found


@pytest.mark.parametrize(
    ("history", "today", "expected"),
    [pytest.param(h, t, e, id=name) for name, h, t, e in SCENARIOS],
)
def test_dated_scenarios(
    history: list[Step], today: str, expected: dict[str, tuple[str, ClockStatus]]
) -> None:
    assert _by_name(history, today) == expected


def _final_plan(year: int) -> list[Step]:
    return steps(
        ("request_received", f"{year - 1}-01-08"),
        ("decision_to_assess", f"{year - 1}-02-12"),
        ("draft_plan_issued", f"{year - 1}-04-29"),
        ("final_plan_issued", f"{year - 1}-05-20"),
    )


# (transfer planned on, year of transfer, kind, due: the last day before the statutory date)
PHASE_TRANSFERS = [
    ("2025-09-01", 2026, "phase", "2026-02-14"),  # e.g. primary to secondary: before 15 Feb
    ("2025-09-01", 2026, "post16", "2026-03-30"),  # secondary to post-16: before 31 March
    ("2027-09-01", 2028, "phase", "2028-02-14"),  # leap year: still 14 February
    ("2027-09-01", 2028, "post16", "2028-03-30"),
]


@pytest.mark.parametrize(("planned", "year", "kind", "due"), PHASE_TRANSFERS)
def test_phase_transfer_deadlines(planned: str, year: int, kind: str, due: str) -> None:
    history = [
        *_final_plan(year - 1),
        Step("phase_transfer_planned", D(planned), transfer_year=year, transfer_kind=kind),
    ]
    clock = next(c for c in evaluate(SPEC, history, D(planned)) if c.name == "phase_transfer")
    assert (clock.due.isoformat(), clock.status) == (due, ClockStatus.RUNNING)


def test_phase_transfer_is_met_by_the_amended_plan_or_a_decision_to_maintain() -> None:
    planned = Step(
        "phase_transfer_planned", D("2025-09-01"), transfer_year=2026, transfer_kind="phase"
    )
    amended = [*_final_plan(2025), planned, *steps(("amendments_proposed", "2025-12-01"))]
    amended.append(Step("amended_plan_issued", D("2026-02-14")))
    kept = [*_final_plan(2025), planned, *steps(("annual_review_meeting", "2026-01-10"))]
    kept.append(Step("review_decision", D("2026-02-20"), outcome="maintain"))
    statuses = {
        name: [c.status for c in evaluate(SPEC, h, D("2026-03-01")) if c.name == "phase_transfer"]
        for name, h in (("amended", amended), ("kept", kept))
    }
    assert statuses == {"amended": [ClockStatus.MET], "kept": [ClockStatus.LATE]}


def test_reassessment_decision_is_due_in_15_days() -> None:
    history = [*_final_plan(2025), *steps(("reassessment_requested", "2026-03-02"))]
    clock = next(c for c in evaluate(SPEC, history, D("2026-03-12")) if c.name.startswith("reass"))
    assert (clock.due, clock.status) == (D("2026-03-17"), ClockStatus.DUE_SOON)


def test_each_adviser_has_their_own_clock() -> None:
    history = [
        *steps(("request_received", "2025-01-06"), ("decision_to_assess", "2025-02-03")),
        Step("advice_requested", D("2025-02-04"), subject="educational psychologist"),
        Step("advice_requested", D("2025-02-11"), subject="paediatrician"),
        Step("advice_received", D("2025-03-10"), subject="paediatrician"),
    ]
    advice = {c.subject: (c.due, c.status) for c in evaluate(SPEC, history, D("2025-03-20"))
              if c.name == "advice"}  # fmt: skip
    assert advice == {
        "educational psychologist": (D("2025-03-18"), ClockStatus.OVERDUE),
        "paediatrician": (D("2025-03-25"), ClockStatus.MET),
    }


REQUEST = steps(("request_received", "2025-01-06"))
ASSESSING = steps(("request_received", "2025-01-06"), ("decision_to_assess", "2025-02-03"))
DRAFTED = ASSESSING + steps(("draft_plan_issued", "2025-04-22"))
EXC = "exception_recorded"

# (what is refused, history, the step, words the refusal must contain)
REFUSALS = [
    ("final plan before any draft", ASSESSING, Step("final_plan_issued", D("2025-04-01")),
     "first record one of: draft_plan_issued"),
    ("final plan inside the family's 15 days", DRAFTED,
     Step("final_plan_issued", D("2025-05-06")), "reg 13(1)"),
    ("assess after deciding not to", REQUEST + steps(("decision_not_to_assess", "2025-02-01")),
     Step("decision_to_assess", D("2025-02-02")), "not possible after decision_not_to_assess"),
    ("a second decision to assess", ASSESSING, Step("decision_to_assess", D("2025-02-04")),
     "already recorded"),
    ("a step dated in the future", REQUEST, Step("decision_to_assess", D("2099-01-01")),
     "in the future"),
    ("a step dated before the last step", ASSESSING, Step("advice_requested", D("2025-01-10"),
     subject="EP"), "before the last recorded step"),
    ("advice received from someone never asked", ASSESSING,
     Step("advice_received", D("2025-02-10"), subject="EP"), "no advice_requested from 'EP'"),
    ("a missed appointment is no reg 5(4) exception", REQUEST,
     Step(EXC, D("2025-02-01"), clock="decision_whether_to_assess", reason="missed_appointment",
          evidence="letter"), "reg 5(4)"),
    ("an exception without evidence", REQUEST,
     Step(EXC, D("2025-02-01"), clock="final_plan", reason="absent_from_area", evidence=" "),
     "with its evidence"),
    ("an advice exception for an adviser never asked", ASSESSING,
     Step(EXC, D("2025-02-20"), clock="advice", subject="EP", reason="missed_appointment",
          evidence="letter"), "for 'EP' has not started"),
    ("no exceptions to the annual review", _final_plan(2025),
     Step(EXC, D("2024-06-01"), clock="annual_review", reason="absent_from_area", evidence="x"),
     "allows no exceptions"),
    ("a review outcome that does not exist", _final_plan(2025)
     + steps(("annual_review_meeting", "2025-05-01")),
     Step("review_decision", D("2025-05-02"), outcome="postpone"), "maintain, amend, cease"),
    ("a transfer without its kind", _final_plan(2025),
     Step("phase_transfer_planned", D("2025-01-01"), transfer_year=2026), "'phase' or 'post16'"),
    ("a step the process does not know", REQUEST, Step("tribunal", D("2025-02-01")),
     "not a step of the EHCP process"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "candidate", "words"), [pytest.param(h, c, w, id=n) for n, h, c, w in REFUSALS]
)
def test_refused_steps_say_why(history: list[Step], candidate: Step, words: str) -> None:
    problems = check_step(SPEC, history, candidate, D("2026-01-01"))
    assert any(words in p for p in problems), problems


ALLOWED = [
    ("final plan on day 15 after the draft", DRAFTED, Step("final_plan_issued", D("2025-05-07"))),
    ("final plan sooner once the family responded",
     DRAFTED + steps(("family_response_received", "2025-04-25")),
     Step("final_plan_issued", D("2025-04-28"))),
    ("advice requested from an adviser", ASSESSING,
     Step("advice_requested", D("2025-02-04"), subject="educational psychologist")),
    ("advice received from the adviser asked",
     [*ASSESSING, Step("advice_requested", D("2025-02-04"), subject="EP")],
     Step("advice_received", D("2025-03-04"), subject="EP")),
    ("a reg 5(4) exception with evidence", REQUEST,
     Step(EXC, D("2025-02-01"), clock="decision_whether_to_assess", reason="school_closure",
          evidence="school closed 2025-01-20 to 2025-02-24")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "candidate"), [pytest.param(h, c, id=n) for n, h, c in ALLOWED]
)
def test_allowed_steps(history: list[Step], candidate: Step) -> None:
    assert check_step(SPEC, history, candidate, D("2026-01-01")) == []


def test_stage_follows_the_latest_step_that_has_one() -> None:
    history = DRAFTED + steps(("family_response_received", "2025-04-25"))
    assert [stage_of(SPEC, history[:n]) for n in range(len(history) + 1)] == [
        None,
        "deciding",
        "assessing",
        "draft",
        "draft",
    ]


def test_a_spec_naming_undefined_steps_is_refused_with_every_problem() -> None:
    text = """
version: 1
stages: {a: {label: A, open: true}}
exception_reasons: {r: R}
steps: {s: {label: S, stage: nowhere, requires_any: [ghost]}}
clocks:
  c: {label: C, starts: [s], stops: [phantom], limit: {days: 1}, regulation: x,
      exceptions: [unknown]}
"""
    with pytest.raises(ConfigurationError) as caught:
        load_spec(text)
    for words in ("unknown stage nowhere", "unknown step ghost", "unknown step phantom",
                  "unknown exception reason unknown"):  # fmt: skip
        assert words in caught.value.message


# --- the engine against the plain-Python reference -----------------------------------------

STEP_NAMES = [
    "request_received",
    "decision_to_assess",
    "decision_not_to_assess",
    "advice_requested",
    "advice_received",
    "decision_not_to_issue",
    "draft_plan_issued",
    "final_plan_issued",
    "annual_review_meeting",
    "review_decision",
    "amendments_proposed",
    "amended_plan_issued",
    "phase_transfer_planned",
    "reassessment_requested",
    "decision_to_reassess",
    "plan_ceased",
    EXC,
]


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Step], date]:
    day = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    history: list[Step] = []
    for _ in range(draw(st.integers(0, 14))):
        day += timedelta(days=draw(st.integers(0, 200)))
        name = draw(st.sampled_from(STEP_NAMES))
        history.append(
            Step(
                name,
                day,
                subject=draw(st.sampled_from(["EP", "health"])) if "advice" in name else None,
                outcome=draw(st.sampled_from(["maintain", "amend", "cease"])),
                transfer_year=day.year + draw(st.integers(0, 2)),
                transfer_kind=draw(st.sampled_from(["phase", "post16"])),
                clock=draw(st.sampled_from(list(SPEC.clocks))),
                reason="absent_from_area",
                evidence="evidence",
            )
        )
    today = day + timedelta(days=draw(st.integers(0, 400)))
    return history, today


@settings(max_examples=400, deadline=None)
@given(histories())
def test_engine_agrees_with_the_reference(case: tuple[list[Step], date]) -> None:
    history, today = case
    engine = [
        (c.name, c.subject, c.started_on, c.due, c.status.value, c.stopped_on, c.ended_on)
        for c in evaluate(SPEC, history, today)
    ]
    reference = [
        (r.name, r.subject, r.started_on, r.due, r.status, r.stopped_on, r.ended_on)
        for r in reference_clocks(history, today)
    ]
    assert engine == reference


def test_the_documented_rules_are_the_spec() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ehcp-clocks.md").read_text()
    generated = doc.split("<!-- generated: begin -->\n")[1].split("<!-- generated: end -->")[0]
    assert generated == rules_markdown(SPEC), "regenerate the tables with rules_markdown"
