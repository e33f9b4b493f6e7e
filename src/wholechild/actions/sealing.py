"""Sealing and unsealing source records (for example a child's records from before their
adoption): a sealed record and its events are shown only to the role the access policy names
(social workers in the adoption team); break-glass never opens them.

Each action writes its audit entries (one per child concerned, ids and counts; the reason is
an audit note beside the chain, ``wholechild.audit.notes``) in the same transaction as the
change: no audit, no action. Given a signed-in ``Principal`` as actor, the access policy must
allow ``seal_records`` (information-governance officers, for audit oversight); a name (the
command line, run by the store's operator) is recorded as given.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, select, update

from wholechild.access import Resource, require
from wholechild.actions.audit import record_audit
from wholechild.core.access import Category, Principal, Purpose, category_of
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import Event, IngestBatch, SourceRecord

__all__ = ["SealOutcome", "seal_adoption_records", "seal_records", "unseal_records"]

log = logging.getLogger(__name__)

# SSDA903 reasons an episode of care ceased that mean the child was adopted.
ADOPTED: Final = frozenset({"E11", "E12"})
ADOPTION_REASON: Final = "adopted: an SSDA903 episode of care ended with reason E11 or E12"


@dataclass(frozen=True, slots=True)
class SealOutcome:
    """The records whose sealing changed, and the persons they belong to."""

    records: tuple[str, ...]
    persons: tuple[int, ...]


def seal_records(
    engine: Engine,
    *,
    record_ids: Iterable[str],
    actor: str | Principal,
    purpose: str,
    reason: str,
) -> SealOutcome:
    """Seal these source records (and so their events). Already sealed ones are left as
    they are; the outcome names only records that changed."""
    return _set_sealed(engine, record_ids, actor, purpose, reason, sealed=True)


def unseal_records(
    engine: Engine,
    *,
    record_ids: Iterable[str],
    actor: str | Principal,
    purpose: str,
    reason: str,
) -> SealOutcome:
    """Unseal these source records."""
    return _set_sealed(engine, record_ids, actor, purpose, reason, sealed=False)


def seal_adoption_records(engine: Engine, *, actor: str | Principal, purpose: str) -> SealOutcome:
    """Seal the social-care records of every adopted child (SSDA903 episode ceased E11/E12)."""
    with engine.connect() as conn:
        records = _adopted_social_care_records(conn)
    if not records:
        return SealOutcome((), ())
    return seal_records(
        engine, record_ids=records, actor=actor, purpose=purpose, reason=ADOPTION_REASON
    )


# -- finding adopted children's social-care records ------------------------------------------


def _adopted(conn: Connection) -> tuple[set[int], set[tuple[str, str]]]:
    """Persons adopted, and (source system, key) of adopted children not yet linked."""
    rows = conn.execute(
        select(Event.person_id, Event.source_system, Event.subject_key, Event.details).where(
            Event.event_type == "cla_episodes"
        )
    ).all()
    persons, subjects = set(), set()
    for person, system, key, details in rows:
        if str((details or {}).get("REC") or "").upper() not in ADOPTED:
            continue
        if person is not None:
            persons.add(person)
        elif key:
            subjects.add((system, key))
    return persons, subjects


def _adopted_social_care_records(conn: Connection) -> list[str]:
    persons, subjects = _adopted(conn)
    rows = conn.execute(
        select(
            SourceRecord.id, SourceRecord.person_id, SourceRecord.source_system,
            SourceRecord.source_key, IngestBatch.agency,
        )
        .join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
        .where(SourceRecord.sealed.is_(False))
    ).all()  # fmt: skip
    return sorted(
        record_id_hex(r.id)
        for r in rows
        if category_of(r.agency) is Category.SOCIAL_CARE
        and (r.person_id in persons or (r.source_system, r.source_key) in subjects)
    )


# -- the change and its audit -------------------------------------------------------------


def _ids(values: Iterable[str]) -> list[uuid.UUID]:
    ids, bad = [], []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            bad.append(repr(value))
    if bad:
        raise UserError(
            f"not a source record id: {', '.join(bad)}",
            fix="give source record ids as 32 hexadecimal characters (uuid)",
        )
    if not ids:
        raise UserError("no source records named", fix="name one or more source record ids")
    return ids


def _authorize(engine: Engine, actor: str | Principal, purpose: str) -> str:
    if isinstance(actor, str):
        return actor
    try:
        why = Purpose(purpose)
    except ValueError:
        why = None
    require(engine, actor, "seal_records", Resource("Record"), purpose=why)
    return actor.username


def _check(reason: str, found: dict[uuid.UUID, Any], ids: list[uuid.UUID]) -> None:
    problems = []
    if not reason.strip():
        problems.append("sealing or unsealing needs a reason")
    missing = [i.hex for i in ids if i not in found]
    if missing:
        problems.append(f"no source record {', '.join(missing)}")
    if problems:
        raise UserError("; ".join(problems), fix="correct the request and try again")


def _set_sealed(
    engine: Engine,
    record_ids: Iterable[str],
    actor: str | Principal,
    purpose: str,
    reason: str,
    *,
    sealed: bool,
) -> SealOutcome:
    ids = _ids(record_ids)
    name = _authorize(engine, actor, purpose)
    with engine.begin() as conn:
        found = {
            r.id: r
            for r in conn.execute(
                select(SourceRecord.id, SourceRecord.person_id, SourceRecord.sealed).where(
                    SourceRecord.id.in_(ids)
                )
            )
        }
        _check(reason, found, ids)
        changing = [found[i] for i in dict.fromkeys(ids) if bool(found[i].sealed) != sealed]
        if changing:
            conn.execute(
                update(SourceRecord)
                .where(SourceRecord.id.in_([r.id for r in changing]))
                .values(sealed=sealed)
            )
        _audit(conn, changing, actor=name, purpose=purpose, reason=reason, sealed=sealed)
    persons = tuple(sorted({r.person_id for r in changing if r.person_id is not None}))
    done = "sealed" if sealed else "unsealed"
    log.info("%s %s records (%s persons)", done, len(changing), len(persons))
    return SealOutcome(tuple(record_id_hex(r.id) for r in changing), persons)


def _audit(
    conn: Connection, changing: list[Any], *, actor: str, purpose: str, reason: str, sealed: bool
) -> None:
    """One entry per person concerned (and one for records not linked to a person)."""
    by_person: dict[int | None, list[str]] = {}
    for row in changing:
        by_person.setdefault(row.person_id, []).append(record_id_hex(row.id))
    for person, records in sorted(by_person.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="records.seal" if sealed else "records.unseal",
            target_type="source_record",
            target_id=records[0] if len(records) == 1 else None,
            details={"records": len(records), "record_ids": records},
            person_id=person,
            notes={"reason": reason.strip()},  # free text: beside the chain, erasable
        )
