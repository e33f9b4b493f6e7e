"""A child's access report: who looked at or changed their record, when, and why.

Built from the audit trail (``audit_event.person_id``). Reading it is itself an access to
the child's record and is audited the same way, so it appears in the next report. A break-glass
justification is an audit note beside the chain; once erased, the report says "(erased)".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, select

from wholechild.access import Resource, record_access, require
from wholechild.audit.notes import Note, note_text, notes_for
from wholechild.core.access import Principal, Purpose
from wholechild.storage.schema import AuditEvent

__all__ = ["AccessEntry", "access_report", "access_report_csv"]

ACTION: Final = "view_access_report"


@dataclass(frozen=True, slots=True)
class AccessEntry:
    occurred_at: datetime
    actor: str
    role: str
    action: str
    purpose: str
    allowed: bool
    flagged: bool  # break-glass or otherwise for the information-governance officer
    target_type: str
    target_id: str | None
    justification: str  # the break-glass justification, when one was given; "(erased)"
    audit_id: int


def _entry(row: Any, notes: dict[tuple[int, str], Note]) -> AccessEntry:
    details = row.details or {}
    return AccessEntry(
        occurred_at=row.occurred_at,
        actor=row.actor,
        role=str(details.get("role", "")),
        action=row.action,
        purpose=row.purpose,
        allowed=bool(details.get("allowed", True)),
        flagged=bool(row.flagged),
        target_type=row.target_type,
        target_id=row.target_id,
        justification=note_text(notes, row.id, "justification", details),
        audit_id=row.id,
    )


def access_report(
    engine: Engine, principal: Principal, *, person_id: int, purpose: Purpose | None
) -> list[AccessEntry]:
    """Every audit entry about the person, newest first (the viewing of this report last)."""
    target = Resource("Person", str(person_id))
    allowed = require(engine, principal, ACTION, target, purpose=purpose, person_id=person_id)
    query = (
        select(AuditEvent).where(AuditEvent.person_id == person_id).order_by(AuditEvent.id.desc())
    )
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        notes = notes_for(conn, [row.id for row in rows if row.flagged], kinds=["justification"])
        entries = [_entry(row, notes) for row in rows]
        record_access(
            conn, principal, ACTION, target, allowed, purpose=purpose, person_id=person_id,
            details={"entries": len(entries)},
        )  # fmt: skip
    return entries


def access_report_csv(
    engine: Engine, principal: Principal, *, person_id: int, purpose: Purpose | None
) -> str:
    """The access report as CSV, for a subject access response or an IG review."""
    entries = access_report(engine, principal, person_id=person_id, purpose=purpose)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = [f.name for f in fields(AccessEntry)]
    writer.writerow(names)
    for entry in entries:
        writer.writerow(
            entry.occurred_at.isoformat() if name == "occurred_at" else getattr(entry, name)
            for name in names
        )
    return out.getvalue()
