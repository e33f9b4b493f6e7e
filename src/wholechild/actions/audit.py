"""Writing audit entries inside the caller's transaction, as a hash chain.

Each entry stores the SHA-256 of the previous entry's hash and its own canonical content, so
an edited, deleted, inserted or reordered entry breaks the chain (``wholechild audit verify``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select, text

from wholechild.storage.schema import AuditEvent

GENESIS_HASH: Final = "0" * 64
_PG_CHAIN_LOCK: Final = 7_031_337  # pg_advisory_xact_lock key that serialises chain appends


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


def _chain_head(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    head = conn.scalar(select(AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1))
    return head or GENESIS_HASH


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
) -> None:
    """Append one audit entry in ``conn``'s transaction. Details carry ids and counts only."""
    occurred_at = datetime.now(UTC)
    fields: dict[str, Any] = {
        "occurred_at": occurred_at,
        "actor": actor,
        "purpose": purpose,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "person_id": person_id,
        "flagged": flagged,
        "details": details,
    }
    prev_hash = _chain_head(conn)
    entry_hash = chain_hash(prev_hash, canonical_content(**fields))
    conn.execute(insert(AuditEvent), {**fields, "prev_hash": prev_hash, "entry_hash": entry_hash})
