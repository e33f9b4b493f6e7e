"""Retention: which source records are due under the rules, and deleting or pseudonymising
them, never touching a record under a legal hold (by record or by person).

Both actions read the store, decide with ``wholechild.governance.retention``, and write a
``retention_run`` row and an audit entry with counts (never values) in one transaction: no
audit, no run. ``retention_apply`` re-decides inside its own transaction, so a hold placed a
moment before is respected, and running it again changes nothing (idempotent).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select

from wholechild.actions._disposal import delete_records, pseudonymise_records
from wholechild.actions.audit import record_audit
from wholechild.core.access import category_of
from wholechild.errors import ConfigurationError, UserError
from wholechild.governance.pseudonyms import Pseudonymiser
from wholechild.governance.retention import (
    Disposal,
    EventFacts,
    RecordFacts,
    RuleSet,
    Status,
    Verdict,
    assess,
    default_rules,
    load_rules,
)
from wholechild.linkage.truth import record_id_hex
from wholechild.settings import Settings
from wholechild.storage.schema import Event, IngestBatch, LegalHold, RetentionRun, SourceRecord

__all__ = ["RetentionReport", "RuleResult", "load_rule_set", "retention_apply", "retention_report"]

log = logging.getLogger(__name__)
_FIX_CONFIRM: Final = "run `wholechild retention report` first, then apply with --yes"


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's reading: records due (not held), due but held, and the rest counted."""

    rule_id: str
    title: str
    action: Disposal
    confirmed: bool
    due: tuple[str, ...]
    held: tuple[str, ...]
    not_due: int
    undetermined: int


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """A retention run: what is due, by rule, and (applied) what was done."""

    run_id: int
    mode: str
    as_of: date
    rules_hash: str
    rules: tuple[RuleResult, ...]
    records: int  # source records considered (not yet pseudonymised)
    no_rule: int
    already_pseudonymised: int
    deleted: int = 0
    pseudonymised: int = 0

    @property
    def due(self) -> int:
        return sum(len(r.due) for r in self.rules)

    @property
    def held(self) -> int:
        return sum(len(r.held) for r in self.rules)

    def counts(self) -> dict[str, Any]:
        """Counts only (stored with the run and in the audit entry)."""
        by_rule = {
            r.rule_id: {
                "due": len(r.due),
                "held": len(r.held),
                "not_due": r.not_due,
                "undetermined": r.undetermined,
            }
            for r in self.rules
        }
        return {
            "records": self.records,
            "due": self.due,
            "held": self.held,
            "no_rule": self.no_rule,
            "already_pseudonymised": self.already_pseudonymised,
            "deleted": self.deleted,
            "pseudonymised": self.pseudonymised,
            "by_rule": by_rule,
        }


def load_rule_set(settings: Settings) -> RuleSet:
    """The council's rules (``WHOLECHILD_RETENTION_RULES``), else the packaged defaults."""
    path: Path | None = settings.retention_rules
    if path is None:
        return default_rules()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"cannot read the retention rules {path}: {exc}",
            fix="set WHOLECHILD_RETENTION_RULES to a readable YAML file, or unset it",
        ) from None
    return load_rules(text, where=str(path))


# --- reading the store --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Record:
    id: uuid.UUID
    person_id: int | None
    source_system: str
    source_key: str | None
    pseudonymised: bool


def _records(conn: Connection) -> tuple[dict[str, _Record], list[RecordFacts]]:
    rows = conn.execute(
        select(
            SourceRecord.id, SourceRecord.person_id, SourceRecord.source_system,
            SourceRecord.source_key, SourceRecord.date_of_birth, SourceRecord.ingested_at,
            SourceRecord.pseudonymised_at, IngestBatch.format, IngestBatch.agency,
        ).join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
    ).all()  # fmt: skip
    events = _events(conn, rows)
    found: dict[str, _Record] = {}
    facts: list[RecordFacts] = []
    for r in rows:
        rid = record_id_hex(r.id)
        found[rid] = _Record(
            r.id, r.person_id, r.source_system, r.source_key, r.pseudonymised_at is not None
        )
        facts.append(
            RecordFacts(
                rid, r.format, r.source_system, category_of(r.agency).value, r.date_of_birth,
                r.ingested_at.date(), tuple(events.get(rid, ())),
            )
        )  # fmt: skip
    return found, facts


def _events(conn: Connection, records: Sequence[Any]) -> dict[str, list[EventFacts]]:
    """Each record's events: by record id, or (loaded without one) by source system and key."""
    by_subject: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in records:
        if r.source_key:
            by_subject[(r.source_system, r.source_key)].append(record_id_hex(r.id))
    found: dict[str, list[EventFacts]] = defaultdict(list)
    rows = conn.execute(
        select(
            Event.source_record_id, Event.source_system, Event.subject_key, Event.event_type,
            Event.start_date, Event.end_date,
        )
    )  # fmt: skip
    for e in rows:
        facts = EventFacts(e.event_type, e.start_date, e.end_date)
        if e.source_record_id is not None:
            found[record_id_hex(e.source_record_id)].append(facts)
        else:
            for rid in by_subject.get((e.source_system, e.subject_key or ""), ()):
                found[rid].append(facts)
    return found


def _holds(conn: Connection) -> tuple[set[int], set[str]]:
    """Persons and records under a legal hold in force (not released)."""
    rows = conn.execute(
        select(LegalHold.person_id, LegalHold.source_record_id).where(
            LegalHold.released_at.is_(None)
        )
    ).all()
    persons = {r.person_id for r in rows if r.person_id is not None}
    records = {record_id_hex(r.source_record_id) for r in rows if r.source_record_id is not None}
    return persons, records


# --- deciding -----------------------------------------------------------------------------


@dataclass
class _Plan:
    verdicts: list[Verdict]
    records: dict[str, _Record]
    held: set[str]
    already_pseudonymised: int

    def due(self, action: Disposal) -> list[str]:
        return [
            v.record_id
            for v in self.verdicts
            if v.status is Status.DUE and v.action is action and v.record_id not in self.held
        ]


def _plan(conn: Connection, rules: RuleSet, as_of: date) -> _Plan:
    records, facts = _records(conn)
    persons, held_records = _holds(conn)
    fresh = [f for f in facts if not records[f.record_id].pseudonymised]
    verdicts = [assess(f, rules, as_of=as_of) for f in fresh]
    held = {
        rid
        for rid, r in records.items()
        if rid in held_records or (r.person_id is not None and r.person_id in persons)
    }
    return _Plan(verdicts, records, held, len(facts) - len(fresh))


def _by_rule(plan: _Plan, rules: RuleSet) -> tuple[RuleResult, ...]:
    results = []
    for rule in rules.rules:
        mine = [v for v in plan.verdicts if v.rule_id == rule.id]
        due = [v.record_id for v in mine if v.status is Status.DUE]
        results.append(
            RuleResult(
                rule.id, rule.title, rule.action, rule.confirmed,
                due=tuple(sorted(r for r in due if r not in plan.held)),
                held=tuple(sorted(r for r in due if r in plan.held)),
                not_due=sum(v.status is Status.NOT_DUE for v in mine),
                undetermined=sum(v.status is Status.UNDETERMINED for v in mine),
            )
        )  # fmt: skip
    return tuple(results)


# --- the actions --------------------------------------------------------------------------


def retention_report(
    engine: Engine, *, as_of: date, actor: str, purpose: str, rules: RuleSet | None = None
) -> RetentionReport:
    """What is due on ``as_of``, by rule (a dry run: nothing is deleted); recorded and audited."""
    rule_set = rules or default_rules()
    with engine.begin() as conn:
        plan = _plan(conn, rule_set, as_of)
        report = _report(plan, rule_set, as_of, mode="report")
        return _record_run(conn, report, actor=actor, purpose=purpose)


def retention_apply(
    engine: Engine,
    *,
    as_of: date,
    actor: str,
    purpose: str,
    confirm: bool = True,
    rules: RuleSet | None = None,
    pseudonymiser: Pseudonymiser | None = None,
) -> RetentionReport:
    """Delete or pseudonymise every record due on ``as_of`` and not under a legal hold."""
    if not confirm:
        raise UserError("retention apply deletes records and needs confirming", fix=_FIX_CONFIRM)
    rule_set = rules or default_rules()
    with engine.begin() as conn:
        plan = _plan(conn, rule_set, as_of)
        to_pseudonymise = plan.due(Disposal.PSEUDONYMISE)
        if to_pseudonymise and pseudonymiser is None:
            raise UserError(
                f"{len(to_pseudonymise)} records are due for pseudonymising but no key was given",
                fix="pass the pseudonym key (WHOLECHILD_PSEUDONYM_KEY)",
            )
        deleted = _delete(conn, plan)
        if to_pseudonymise and pseudonymiser is not None:
            ids = [plan.records[r] for r in to_pseudonymise]
            subjects = {(r.source_system, r.source_key) for r in ids if r.source_key}
            pseudonymise_records(
                conn, [r.id for r in ids], subjects, pseudonymiser, datetime.now(UTC)
            )
        report = _report(plan, rule_set, as_of, mode="apply")
        report = _with_done(report, deleted, len(to_pseudonymise))
        done = _record_run(conn, report, actor=actor, purpose=purpose)
    log.info("retention applied: %s deleted, %s pseudonymised", deleted, len(to_pseudonymise))
    return done


def _delete(conn: Connection, plan: _Plan) -> int:
    chosen = [plan.records[r] for r in plan.due(Disposal.DELETE)]
    gone = {r.id for r in chosen}
    kept = {
        (r.source_system, r.source_key)
        for r in plan.records.values()
        if r.id not in gone and r.source_key
    }
    orphans = {(r.source_system, r.source_key) for r in chosen if r.source_key} - kept
    delete_records(conn, [r.id for r in chosen], orphans)
    return len(chosen)


def _report(plan: _Plan, rules: RuleSet, as_of: date, *, mode: str) -> RetentionReport:
    return RetentionReport(
        run_id=0,
        mode=mode,
        as_of=as_of,
        rules_hash=rules.rules_hash,
        rules=_by_rule(plan, rules),
        records=len(plan.verdicts),
        no_rule=sum(v.status is Status.NO_RULE for v in plan.verdicts),
        already_pseudonymised=plan.already_pseudonymised,
    )


def _with_done(report: RetentionReport, deleted: int, pseudonymised: int) -> RetentionReport:
    return replace(report, deleted=deleted, pseudonymised=pseudonymised)


def _record_run(
    conn: Connection, report: RetentionReport, *, actor: str, purpose: str
) -> RetentionReport:
    counts = report.counts()
    run_id = conn.execute(
        insert(RetentionRun).returning(RetentionRun.id),
        {
            "mode": report.mode,
            "as_of": report.as_of,
            "rules_hash": report.rules_hash,
            "counts": counts,
            "actor": actor,
            "ran_at": datetime.now(UTC),
        },
    ).scalar_one()
    record_audit(
        conn,
        actor=actor,
        purpose=purpose,
        action=f"retention.{report.mode}",
        target_type="retention_run",
        target_id=str(run_id),
        details={"as_of": report.as_of.isoformat(), "rules_hash": report.rules_hash, **counts},
    )
    return replace(report, run_id=int(run_id))
