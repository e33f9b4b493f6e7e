"""Writing audit entries inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert

from wholechild.storage.schema import AuditEvent


def record_audit(
    conn: Connection,
    *,
    actor: str,
    purpose: str,
    action: str,
    target_type: str,
    target_id: str | None,
    details: dict[str, Any],
) -> None:
    """Append one audit entry in ``conn``'s transaction. Details carry ids and counts only."""
    conn.execute(
        insert(AuditEvent),
        {
            "occurred_at": datetime.now(UTC),
            "actor": actor,
            "purpose": purpose,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "details": details,
        },
    )
