"""EHCP case actions on both stores: each step checked against the statutory process, written
with who and when (enforced by the database), and audited in the same transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from wholechild.actions import ehcp_cases
from wholechild.actions.ehcp_cases import open_case, record_exception, record_step
from wholechild.ehcp.clocks import ClockStatus, Step, StepRefusedError
from wholechild.errors import UserError
from wholechild.read.caseload import case_clocks
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import AuditEvent, EhcpCase, EhcpCaseEvent, Person

TODAY = date(2025, 7, 1)
D = date.fromisoformat


def add_person(engine: Engine) -> int:
    with engine.begin() as conn:
        stmt = insert(Person).returning(Person.id)
        return int(conn.execute(stmt, {"created_at": datetime.now(UTC)}).scalar_one())


def new_case(engine: Engine, person_id: int, received: str = "2025-01-06") -> int:
    return open_case(
        engine,
        person_id=person_id,
        caseworker="cw.ahmed",
        team="North",
        request_received_on=D(received),
        actor="cw.ahmed",
        purpose="ehc_needs_assessment",
        sen_needs=("ASD", "SLCN"),
        today=TODAY,
    )


def step(engine: Engine, case_id: int, s: Step) -> int:
    return record_step(
        engine, case_id=case_id, step=s, actor="cw.ahmed", purpose="ehc_needs_assessment",
        today=TODAY,
    )  # fmt: skip


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(EhcpCase)) or 0,
            conn.scalar(select(func.count()).select_from(EhcpCaseEvent)) or 0,
            conn.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def test_a_case_runs_request_to_final_plan_with_an_audit_entry_per_action(store: Engine) -> None:
    person = add_person(store)
    case_id = new_case(store, person)
    for s in (
        Step("decision_to_assess", D("2025-02-10")),
        Step("advice_requested", D("2025-02-11"), subject="educational psychologist"),
        Step("advice_received", D("2025-03-20"), subject="educational psychologist"),
        Step("draft_plan_issued", D("2025-04-22")),
        Step("final_plan_issued", D("2025-05-07")),
    ):
        step(store, case_id, s)
    with store.connect() as conn:
        case = conn.execute(select(EhcpCase).where(EhcpCase.id == case_id)).one()
        events = conn.execute(select(EhcpCaseEvent).order_by(EhcpCaseEvent.id)).all()
        audit = conn.execute(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert (case.stage, case.sen_needs, case.request_received_on) == (
        "plan",
        "ASD SLCN",
        D("2025-01-06"),
    )
    assert events[0].step == "request_received"
    assert all(e.recorded_by == "cw.ahmed" and e.recorded_at is not None for e in events)
    assert [a.action for a in audit] == ["ehcp.open_case"] + ["ehcp.record_step"] * 5
    assert {a.person_id for a in audit} == {person}
    assert [a.details["event_id"] for a in audit] == [e.id for e in events]
    final = next(c for c in case_clocks(store, case_id, today=TODAY) if c.name == "final_plan")
    assert (final.due, final.status) == (D("2025-05-26"), ClockStatus.MET)


def test_a_step_the_process_does_not_allow_yet_is_refused_and_nothing_is_written(
    store: Engine,
) -> None:
    case_id = new_case(store, add_person(store))
    before = counts(store)
    with pytest.raises(StepRefusedError) as caught:
        step(store, case_id, Step("final_plan_issued", D("2025-03-01")))
    assert "first record one of: draft_plan_issued" in caught.value.message
    assert caught.value.fix
    assert counts(store) == before


def test_every_reason_for_a_refusal_is_given_at_once(store: Engine) -> None:
    case_id = new_case(store, add_person(store))
    with pytest.raises(StepRefusedError) as caught:
        step(store, case_id, Step("advice_received", D("2030-01-01")))
    message = caught.value.message
    assert "in the future" in message and "first record one of" in message
    assert "say who the advice is from" in message


def test_an_exception_is_recorded_with_its_reason_and_evidence_and_excuses_the_late_plan(
    store: Engine,
) -> None:
    case_id = new_case(store, add_person(store))
    step(store, case_id, Step("decision_to_assess", D("2025-02-10")))
    record_exception(
        store, case_id=case_id, clock="final_plan", reason="exceptional_personal_circumstances",
        evidence="bereavement: letter from the family 2025-04-01", occurred_on=D("2025-04-02"),
        actor="cw.ahmed", purpose="ehc_needs_assessment", today=TODAY,
    )  # fmt: skip
    step(store, case_id, Step("draft_plan_issued", D("2025-05-19")))
    step(store, case_id, Step("final_plan_issued", D("2025-06-09")))
    with store.connect() as conn:
        exc = conn.execute(
            select(EhcpCaseEvent).where(EhcpCaseEvent.step == "exception_recorded")
        ).one()
    assert (exc.clock, exc.reason) == ("final_plan", "exceptional_personal_circumstances")
    assert exc.evidence.startswith("bereavement")
    final = next(c for c in case_clocks(store, case_id, today=TODAY) if c.name == "final_plan")
    assert (final.status, final.exception_reason) == (
        ClockStatus.EXCEPTION,
        "exceptional_personal_circumstances",
    )


def test_an_exception_the_regulation_does_not_allow_is_refused(store: Engine) -> None:
    case_id = new_case(store, add_person(store))
    with pytest.raises(StepRefusedError, match=r"reg 5\(4\)"):
        record_exception(
            store, case_id=case_id, clock="decision_whether_to_assess",
            reason="missed_appointment", evidence="note", occurred_on=D("2025-02-01"),
            actor="cw.ahmed", purpose="ehc_needs_assessment", today=TODAY,
        )  # fmt: skip


@pytest.mark.parametrize("action", ["open_case", "record_step"])
def test_no_audit_no_action(store: Engine, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    person = add_person(store)
    case_id = new_case(store, person)
    before = counts(store)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(ehcp_cases, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        if action == "open_case":
            new_case(store, person)
        else:
            step(store, case_id, Step("decision_to_assess", D("2025-02-10")))
    assert counts(store) == before
    with store.connect() as conn:
        stage = conn.scalar(select(EhcpCase.stage).where(EhcpCase.id == case_id))
    assert stage == "deciding"


def _raw_event(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "step": "decision_to_assess",
        "occurred_on": D("2025-02-10"),
        "recorded_by": "cw.ahmed",
        "recorded_at": datetime.now(UTC),
    }
    return {**values, **overrides}


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"recorded_by": ""}, id="no one recorded it"),
        pytest.param({"recorded_at": None}, id="no time recorded"),
        pytest.param(
            {"step": "exception_recorded", "clock": "final_plan", "reason": "absent_from_area"},
            id="an exception without evidence",
        ),
        pytest.param(
            {
                "step": "exception_recorded",
                "clock": "final_plan",
                "reason": "absent_from_area",
                "evidence": "",
            },
            id="an exception with empty evidence",
        ),
    ],
)
def test_the_database_refuses_a_step_without_who_when_or_evidence(
    store: Engine, overrides: dict[str, object]
) -> None:
    case_id = new_case(store, add_person(store))
    with pytest.raises(IntegrityError), store.begin() as conn:
        conn.execute(insert(EhcpCaseEvent), {"case_id": case_id, **_raw_event(**overrides)})


def test_unknown_person_or_case_is_a_user_error(store: Engine) -> None:
    with pytest.raises(UserError, match="no person 999"):
        new_case(store, 999)
    with pytest.raises(UserError, match="no EHCP case 12345"):
        step(store, 12345, Step("decision_to_assess", D("2025-02-10")))
    with pytest.raises(UserError, match="missing: actor"):
        record_step(store, case_id=1, step=Step("x", TODAY), actor=" ", purpose="p")


def test_the_command_line_records_steps_refuses_with_reasons_and_shows_clocks(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrate(engine)
    person = add_person(engine)
    engine.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "WHOLECHILD_DATABASE_URL": url, "COLUMNS": "250"}
        command = [sys.executable, "-m", "wholechild.cli", *args]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120
        )

    opened = run(
        "ehcp",
        "open",
        "--person",
        str(person),
        "--received",
        "2025-01-06",
        "--caseworker",
        "cw.a",
        "--team",
        "North",
        "--actor",
        "cw.a",
        "--need",
        "ASD",
    )
    assert opened.returncode == 0, opened.stderr
    refused = run("ehcp", "step", "1", "final_plan_issued", "--on", "2025-02-01", "--actor", "cw.a")
    assert refused.returncode == 2
    assert "first record one of: draft_plan_issued" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = run("ehcp", "step", "1", "decision_to_assess", "--on", "2025-02-10", "--actor", "cw.a")
    assert done.returncode == 0, done.stderr
    clocks = run("ehcp", "clocks", "1", "--on", "2025-03-01")
    assert clocks.returncode == 0, clocks.stderr
    assert "2025-02-17" in clocks.stdout and "2025-05-26" in clocks.stdout
    assert "reg 13(2)" in clocks.stdout
    out = tmp_path / "sen2.xml"
    exported = run("sen2", "export", "--year", "2025", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "left out: case 1: missing a source record for the person" in exported.stdout
    assert out.is_file()
