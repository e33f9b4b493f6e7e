"""EHCP case actions: open a case, record a step, record an exception to a time limit, and
load synthetic case histories (the demo).

Every step is checked against the statutory process (``ehcp/clock_spec.yaml``) before it is
written: a step the process does not allow yet is refused with every reason at once, in the
caseworker's words. Each action writes its audit entry (ids only) in the same transaction as
the change: no audit, no action.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.actions.audit import record_audit
from wholechild.ehcp.clocks import ClockSpec, Step, StepRefusedError, check_step, default_spec
from wholechild.ehcp.clocks import stage_of as spec_stage
from wholechild.errors import UserError
from wholechild.read.caseload import case_steps
from wholechild.storage.schema import EhcpCase, EhcpCaseEvent, Person, SourceRecord

__all__ = [
    "CaseHistoryIn",
    "LoadReport",
    "load_case_histories",
    "open_case",
    "record_exception",
    "record_step",
]

log = logging.getLogger(__name__)
TARGET = "ehcp_case"
LONDON = ZoneInfo("Europe/London")


def open_case(
    engine: Engine,
    *,
    person_id: int,
    caseworker: str,
    team: str,
    request_received_on: date,
    actor: str,
    purpose: str,
    sen_needs: Sequence[str] = (),
    setting_urn: str | None = None,
    today: date | None = None,
) -> int:
    """Open a case for a person from the day their request for an assessment was received."""
    _require_text(actor=actor, caseworker=caseworker, team=team)
    first = Step("request_received", request_received_on)
    _refuse_if_problems(check_step(default_spec(), [], first, _today(today)))
    with engine.begin() as conn:
        if conn.scalar(select(Person.id).where(Person.id == person_id)) is None:
            raise UserError(f"there is no person {person_id}", fix="check the person id")
        case_id = _insert_case(conn, person_id, caseworker, team, first, sen_needs, setting_urn,
                               actor)  # fmt: skip
        event_id = _insert_step(conn, case_id, first, actor)
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="ehcp.open_case",
            target_type=TARGET,
            target_id=str(case_id),
            details={"case_id": case_id, "event_id": event_id},
            person_id=person_id,
        )
    log.info("opened EHCP case %s", case_id)
    return case_id


def record_step(
    engine: Engine,
    *,
    case_id: int,
    step: Step,
    actor: str,
    purpose: str,
    today: date | None = None,
) -> int:
    """Record a step in a case, if the statutory process allows it now; its event id."""
    _require_text(actor=actor)
    with engine.begin() as conn:
        person_id = _lock_case(conn, case_id)
        history = case_steps(conn, [case_id]).get(case_id, [])
        _refuse_if_problems(check_step(default_spec(), history, step, _today(today)))
        event_id = _insert_step(conn, case_id, step, actor)
        _update_stage(conn, case_id, default_spec(), [*history, step])
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="ehcp.record_step",
            target_type=TARGET,
            target_id=str(case_id),
            details={"case_id": case_id, "event_id": event_id},
            person_id=person_id,
        )
    return event_id


def record_exception(
    engine: Engine,
    *,
    case_id: int,
    clock: str,
    reason: str,
    evidence: str,
    occurred_on: date,
    actor: str,
    purpose: str,
    subject: str | None = None,
    today: date | None = None,
) -> int:
    """Record that an exception the law allows applies to a clock, with its evidence."""
    step = Step(
        "exception_recorded",
        occurred_on,
        subject=subject,
        clock=clock,
        reason=reason,
        evidence=evidence,
    )
    return record_step(
        engine, case_id=case_id, step=step, actor=actor, purpose=purpose, today=today
    )


def _today(today: date | None) -> date:
    """The date in England (steps are dated in local time), unless a test fixes it."""
    return today or datetime.now(LONDON).date()


def _require_text(**values: str) -> None:
    missing = [name for name, value in values.items() if not value.strip()]
    if missing:
        raise UserError(f"missing: {', '.join(missing)}", fix="give a non-empty value for each")


def _refuse_if_problems(problems: list[str]) -> None:
    if problems:
        raise StepRefusedError(
            "this step cannot be recorded: " + "; ".join(problems),
            fix="record the missing steps first, or correct the date or details",
        )


def _lock_case(conn: Connection, case_id: int) -> int:
    """The case's person; the case row is locked so two steps cannot interleave (PostgreSQL)."""
    query = select(EhcpCase.person_id).where(EhcpCase.id == case_id).with_for_update()
    person_id = conn.scalar(query)
    if person_id is None:
        raise UserError(f"there is no EHCP case {case_id}", fix="check the case id")
    return int(person_id)


def _insert_case(
    conn: Connection,
    person_id: int,
    caseworker: str,
    team: str,
    first: Step,
    sen_needs: Sequence[str],
    setting_urn: str | None,
    actor: str,
) -> int:
    values = {
        "person_id": person_id,
        "caseworker": caseworker,
        "team": team,
        "request_received_on": first.on,
        "stage": spec_stage(default_spec(), [first]),
        "sen_needs": " ".join(sen_needs) or None,
        "setting_urn": setting_urn,
        "opened_by": actor,
        "opened_at": datetime.now(UTC),
    }
    return int(conn.execute(insert(EhcpCase).returning(EhcpCase.id), values).scalar_one())


def _step_values(case_id: int, step: Step, actor: str) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "step": step.step,
        "occurred_on": step.on,
        "subject": step.subject,
        "outcome": step.outcome,
        "transfer_year": step.transfer_year,
        "transfer_kind": step.transfer_kind,
        "clock": step.clock,
        "reason": step.reason,
        "evidence": step.evidence,
        "recorded_by": actor,
        "recorded_at": datetime.now(UTC),
    }


def _insert_step(conn: Connection, case_id: int, step: Step, actor: str) -> int:
    values = _step_values(case_id, step, actor)
    return int(conn.execute(insert(EhcpCaseEvent).returning(EhcpCaseEvent.id), values).scalar_one())


def _update_stage(conn: Connection, case_id: int, spec: ClockSpec, history: list[Step]) -> None:
    stage = spec_stage(spec, history)
    conn.execute(update(EhcpCase).where(EhcpCase.id == case_id).values(stage=stage))


# --- loading synthetic case histories (the demo) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseHistoryIn:
    """A whole case history for the child a source system knows by ``source_key``."""

    source_system: str
    source_key: str
    caseworker: str
    team: str
    steps: tuple[Step, ...]
    sen_needs: tuple[str, ...] = ()
    setting_urn: str | None = None


@dataclass(slots=True)
class LoadReport:
    cases: int = 0
    steps: int = 0
    unmatched: int = 0  # no linked person holds the source key
    refused: list[str] = field(default_factory=list)  # "source key: problems" (a bug if any)


def load_case_histories(
    engine: Engine,
    histories: Iterable[CaseHistoryIn],
    *,
    actor: str,
    purpose: str,
    today: date,
) -> LoadReport:
    """Load whole case histories in one transaction with one audit entry (counts only).

    Each history is checked step by step against the statutory process as if recorded on
    the day; a history with a refused step is left out and reported.
    """
    _require_text(actor=actor)
    report = LoadReport()
    with engine.begin() as conn:
        persons = _persons_by_key(conn)
        for history in histories:
            _load_one(conn, history, persons, actor, today, report)
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="ehcp.load_case_histories",
            target_type=TARGET,
            target_id=None,
            details={"cases": report.cases, "steps": report.steps, "unmatched": report.unmatched,
                     "refused": len(report.refused)},
        )  # fmt: skip
    return report


def _persons_by_key(conn: Connection) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        select(SourceRecord.source_system, SourceRecord.source_key, SourceRecord.person_id).where(
            SourceRecord.person_id.is_not(None), SourceRecord.source_key.is_not(None)
        )
    )
    return {(system, key): person for system, key, person in rows if key and person}


def _history_problems(steps: Sequence[Step], today: date) -> list[str]:
    spec = default_spec()
    for n in range(len(steps)):
        problems = check_step(spec, steps[:n], steps[n], today)
        if problems:
            return problems
    return []


def _load_one(
    conn: Connection,
    history: CaseHistoryIn,
    persons: dict[tuple[str, str], int],
    actor: str,
    today: date,
    report: LoadReport,
) -> None:
    person_id = persons.get((history.source_system, history.source_key))
    if person_id is None:
        report.unmatched += 1
        return
    problems = _history_problems(history.steps, today)
    if problems or not history.steps:
        report.refused.append(f"{history.source_key}: {'; '.join(problems) or 'no steps'}")
        return
    case_id = _insert_case(conn, person_id, history.caseworker, history.team, history.steps[0],
                           history.sen_needs, history.setting_urn, actor)  # fmt: skip
    conn.execute(insert(EhcpCaseEvent), [_step_values(case_id, s, actor) for s in history.steps])
    _update_stage(conn, case_id, default_spec(), list(history.steps))
    report.cases += 1
    report.steps += len(history.steps)
