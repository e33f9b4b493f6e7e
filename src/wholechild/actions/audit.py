"""Writing audit entries inside the caller's transaction, as a hash chain.

Each entry stores the SHA-256 of the previous entry's hash and its own canonical content, so
an edited, deleted, inserted or reordered entry breaks the chain (``wholechild audit verify``;
see ``wholechild.audit`` and docs/adr/0007-audit-hash-chain.md).

Appends are serialised: the writer takes the chain lock before reading the head (a PostgreSQL
advisory lock; SQLite's single write lock), and holds it until its transaction ends. Ingestion
and linkage call ``record_audit`` once per batch, so the lock is taken once per action.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, insert

from wholechild.audit.chain import (
    GENESIS_HASH,
    Head,
    canonical_content,
    chain_hash,
    chain_head,
    lock_chain,
)
from wholechild.audit.checkpoint import checkpoint_if_due
from wholechild.storage.schema import AuditEvent

__all__ = ["GENESIS_HASH", "canonical_content", "chain_hash", "record_audit"]

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
) -> int:
    """Append one audit entry in ``conn``'s transaction; returns its id.

    Details carry ids and counts only. If the engine signs checkpoints automatically
    (``wholechild.audit.sign_checkpoints_automatically``), a due checkpoint is signed here too,
    in the same transaction.
    """
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
        "details": details,
    }
    head = chain_head(conn)
    prev_hash = head.entry_hash if head else GENESIS_HASH
    entry_hash = chain_hash(prev_hash, canonical_content(**fields))
    new_id = conn.execute(
        _APPEND, {**fields, "prev_hash": prev_hash, "entry_hash": entry_hash}
    ).scalar_one()
    checkpoint_if_due(conn, Head(new_id, entry_hash))
    return int(new_id)
