"""Writing audit entries inside the caller's transaction, as a hash chain.

Each entry stores the SHA-256 of the previous entry's hash and its own canonical content, so
an edited, deleted, inserted or reordered entry breaks the chain (``wholechild audit verify``;
see ``wholechild.audit`` and docs/adr/0007-audit-hash-chain.md).

Appends are serialised: the writer takes the chain lock before reading the head (a PostgreSQL
advisory lock; SQLite's single write lock), and holds it until its transaction ends. Ingestion
and linkage call ``record_audit`` once per batch, so the lock is taken once per action.

Free text (a break-glass justification, a reason) never goes into the details: it is passed as
``notes`` and kept beside the chain in ``audit_note``, the details holding its SHA-256
(``wholechild.audit.notes``). ``erase_note`` erases a note's text, for rectification and
retention; the chain still verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.audit.chain import (
    GENESIS_HASH,
    Head,
    canonical_content,
    chain_hash,
    chain_head,
    lock_chain,
)
from wholechild.audit.checkpoint import checkpoint_if_due
from wholechild.audit.notes import ERASE_ACTION, check_notes, hash_key, note_hash, write_notes
from wholechild.errors import UserError
from wholechild.storage.schema import AuditEvent, AuditNote

__all__ = ["GENESIS_HASH", "canonical_content", "chain_hash", "erase_note", "record_audit"]

_APPEND: Final = insert(AuditEvent).returning(AuditEvent.id)


def record_audit(
    conn: Connection,
    *,
    actor: str,
    purpose: str,
    action: str,
    target_type: str,
    target_id: str | None,
    details: dict[str, Any],
    person_id: int | None = None,
    flagged: bool = False,
    notes: Mapping[str, str] | None = None,
) -> int:
    """Append one audit entry in ``conn``'s transaction; returns its id.

    Details carry ids and counts only. Free text written by staff goes in ``notes`` (kind ->
    text; kinds from ``wholechild.audit.notes.NOTE_KINDS``): each is stored beside the chain,
    and the details get ``<kind>_sha256``, so the chain commits to the text without holding it.

    If the engine signs checkpoints automatically
    (``wholechild.audit.sign_checkpoints_automatically``), a due checkpoint is signed here too,
    in the same transaction.
    """
    notes = dict(notes or {})
    check_notes(notes, details)
    lock_chain(conn)  # first: entries then follow each other in time as well as in the chain
    fields: dict[str, Any] = {
        "occurred_at": datetime.now(UTC),
        "actor": actor,
        "purpose": purpose,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "person_id": person_id,
        "flagged": flagged,
        "details": {**details, **{hash_key(k): note_hash(t) for k, t in notes.items()}},
    }
    head = chain_head(conn)
    prev_hash = head.entry_hash if head else GENESIS_HASH
    entry_hash = chain_hash(prev_hash, canonical_content(**fields))
    new_id = conn.execute(
        _APPEND, {**fields, "prev_hash": prev_hash, "entry_hash": entry_hash}
    ).scalar_one()
    write_notes(conn, new_id, notes)
    checkpoint_if_due(conn, Head(new_id, entry_hash))
    return int(new_id)


def erase_note(
    engine: Engine,
    *,
    audit_event_id: int,
    kind: str,
    actor: str,
    purpose: str,
    reason: str | None = None,
) -> None:
    """Erase the text of an entry's ``kind`` note (rectification, retention, a SAR-driven
    correction). The hash stays in the chain, which still verifies; the erasure is itself an
    audit entry (ids only; its own ``reason``, if given, is a note)."""
    why = reason.strip() if reason else ""
    with engine.begin() as conn:
        person_id = _erasable(conn, audit_event_id, kind)
        conn.execute(
            update(AuditNote)
            .where(AuditNote.audit_event_id == audit_event_id, AuditNote.kind == kind)
            .values(text=None, erased_at=datetime.now(UTC))
        )
        record_audit(
            conn, actor=actor, purpose=purpose, action=ERASE_ACTION, target_type="audit_event",
            target_id=str(audit_event_id), details={"audit_event_id": audit_event_id, "kind": kind},
            person_id=person_id, notes={"reason": why} if why else None,
        )  # fmt: skip


def _erasable(conn: Connection, audit_event_id: int, kind: str) -> int | None:
    """The person the note's entry concerns, once the note is known to be there and unerased."""
    note = conn.execute(
        select(AuditNote.erased_at, AuditEvent.person_id)
        .join(AuditEvent, AuditEvent.id == AuditNote.audit_event_id)
        .where(AuditNote.audit_event_id == audit_event_id, AuditNote.kind == kind)
    ).first()
    if note is None:
        raise UserError(
            f"audit entry {audit_event_id} has no {kind!r} note",
            fix="check the entry id and the note's kind (justification or reason)",
        )
    if note.erased_at is not None:
        raise UserError(
            f"the {kind!r} note of audit entry {audit_event_id} is already erased",
            fix="nothing to do",
        )
    return note.person_id  # type: ignore[no-any-return]
