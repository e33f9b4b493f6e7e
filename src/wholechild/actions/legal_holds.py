"""Legal holds: records that retention must not touch (litigation, an inquiry, a complaint).

A hold names a person (all their source records, now and later linked) or one source record.
Placing and releasing are actions: each writes its audit entry in the same transaction (ids
only: the placing reason is in ``legal_hold``, the release reason an audit note beside the
chain). A released hold is kept, with who released it and when.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, Engine, insert, literal, select, update

from wholechild.actions.audit import record_audit
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import LegalHold, Person, SourceRecord

__all__ = ["Hold", "list_holds", "place_hold", "release_hold"]


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    person_id: int | None
    source_record_id: str | None
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None

    @property
    def in_force(self) -> bool:
        return self.released_at is None


def _record_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise UserError(
            f"not a source record id: {value!r}",
            fix="give the source record id as 32 hexadecimal characters",
        ) from None


def _exists(conn: Connection, where: ColumnElement[bool]) -> bool:
    return conn.execute(select(literal(1)).where(where).limit(1)).first() is not None


def place_hold(
    engine: Engine,
    *,
    actor: str,
    purpose: str,
    reason: str,
    person_id: int | None = None,
    source_record_id: str | None = None,
) -> int:
    """Place a hold on a person or on one source record; returns the hold's id."""
    if (person_id is None) == (source_record_id is None):
        raise UserError("a hold names a person or a source record", fix="give one of the two")
    if not reason.strip():
        raise UserError("a legal hold needs a reason", fix="say why (e.g. the claim reference)")
    record = _record_id(source_record_id) if source_record_id is not None else None
    with engine.begin() as conn:
        if person_id is not None and not _exists(conn, Person.id == person_id):
            raise UserError(f"no person {person_id}", fix="check the person id")
        if record is not None and not _exists(conn, SourceRecord.id == record):
            raise UserError(f"no source record {record.hex}", fix="check the record id")
        hold_id = conn.execute(
            insert(LegalHold).returning(LegalHold.id),
            {
                "person_id": person_id,
                "source_record_id": record,
                "reason": reason,
                "placed_by": actor,
                "placed_at": datetime.now(UTC),
            },
        ).scalar_one()
        record_audit(
            conn, actor=actor, purpose=purpose, action="legal_hold.place",
            target_type="legal_hold", target_id=str(hold_id), person_id=person_id,
            details={"hold_id": hold_id, "source_record_id": record.hex if record else None},
        )  # fmt: skip
    return int(hold_id)


def release_hold(engine: Engine, *, hold_id: int, actor: str, purpose: str, reason: str) -> None:
    """Release a hold in force: retention may reach its records again."""
    if not reason.strip():
        raise UserError("releasing a hold needs a reason", fix="say why the hold can end")
    with engine.begin() as conn:
        hold = conn.execute(select(LegalHold).where(LegalHold.id == hold_id)).first()
        if hold is None:
            raise UserError(f"no legal hold {hold_id}", fix="see `wholechild hold list`")
        if hold.released_at is not None:
            raise UserError(f"legal hold {hold_id} is already released", fix="nothing to do")
        conn.execute(
            update(LegalHold)
            .where(LegalHold.id == hold_id)
            .values(released_by=actor, released_at=datetime.now(UTC))
        )
        record_audit(
            conn, actor=actor, purpose=purpose, action="legal_hold.release",
            target_type="legal_hold", target_id=str(hold_id), person_id=hold.person_id,
            details={"hold_id": hold_id}, notes={"reason": reason.strip()},
        )  # fmt: skip


def list_holds(engine: Engine, *, include_released: bool = False) -> list[Hold]:
    """Holds, newest first (their reasons are not listed: they may describe a child)."""
    query = select(LegalHold).order_by(LegalHold.id.desc())
    if not include_released:
        query = query.where(LegalHold.released_at.is_(None))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        Hold(
            r.id, r.person_id, record_id_hex(r.source_record_id) if r.source_record_id else None,
            r.placed_by, r.placed_at, r.released_by, r.released_at,
        )
        for r in rows
    ]  # fmt: skip
