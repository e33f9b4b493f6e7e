"""Retention runs and legal holds, for the governance pages: counts and ids only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from wholechild.storage.schema import RetentionRun

__all__ = ["RetentionRunEntry", "retention_runs"]


@dataclass(frozen=True, slots=True)
class RetentionRunEntry:
    id: int
    mode: str
    as_of: date
    rules_hash: str
    counts: dict[str, Any]
    actor: str
    ran_at: datetime


def retention_runs(engine: Engine, *, limit: int = 20) -> list[RetentionRunEntry]:
    """The latest retention runs (reports and applies), newest first."""
    query = select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        RetentionRunEntry(r.id, r.mode, r.as_of, r.rules_hash, dict(r.counts), r.actor, r.ran_at)
        for r in rows
    ]
