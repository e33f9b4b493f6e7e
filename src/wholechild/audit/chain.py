"""The audit hash chain's primitives: canonical content, the link hash, the append lock.

Each entry stores ``prev_hash`` (the previous entry's ``entry_hash``, or :data:`GENESIS_HASH`
for the first) and ``entry_hash = SHA-256(prev_hash + "\\n" + canonical content)``. Appends are
serialised (:func:`lock_chain`), so no two entries ever follow the same head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, select, text, update

from wholechild.storage.schema import AuditEvent

GENESIS_HASH: Final = "0" * 64
_PG_CHAIN_LOCK: Final = 7_031_337  # pg_advisory_xact_lock key that serialises chain appends

# The columns the hash covers, in AuditEvent; ``id`` is not hashed: order is, through the links.
CONTENT_COLUMNS: Final = (
    "occurred_at",
    "actor",
    "purpose",
    "action",
    "target_type",
    "target_id",
    "person_id",
    "flagged",
    "details",
)


def canonical_content(
    *,
    occurred_at: datetime,
    actor: str,
    purpose: str,
    action: str,
    target_type: str,
    target_id: str | None,
    person_id: int | None,
    flagged: bool,
    details: dict[str, Any],
) -> str:
    """The entry's content as the hash sees it: stable across SQLite and PostgreSQL."""
    moment = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
    return json.dumps(
        {
            "occurred_at": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": actor,
            "purpose": purpose,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "person_id": person_id,
            "flagged": bool(flagged),
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def content_of(row: Any) -> str:
    """The canonical content of a stored entry (a row or mapping with the content columns)."""
    values = row if isinstance(row, dict) else row._mapping
    return canonical_content(**{name: values[name] for name in CONTENT_COLUMNS})


@dataclass(frozen=True, slots=True)
class Head:
    """The chain's last entry: its id and hash."""

    event_id: int
    entry_hash: str


# Built once: record_audit runs these on every append.
_PG_LOCK: Final = text("SELECT pg_advisory_xact_lock(:key)")
_SQLITE_LOCK: Final = update(AuditEvent).where(AuditEvent.id < 0).values(id=AuditEvent.id)
_HEAD: Final = select(AuditEvent.id, AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1)


def lock_chain(conn: Connection) -> None:
    """Take the store's write lock on the chain for the rest of ``conn``'s transaction.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: an empty UPDATE, which makes the
    transaction a writer (SQLite allows one) before the head is read; reading first would let
    another writer commit a new head in between.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(_PG_LOCK, {"key": _PG_CHAIN_LOCK})
    else:
        conn.execute(_SQLITE_LOCK)


def chain_head(conn: Connection) -> Head | None:
    """The last entry, or None for an empty chain. Call under :func:`lock_chain`."""
    row = conn.execute(_HEAD).first()
    return Head(row.id, row.entry_hash) if row else None
