"""Deleting and pseudonymising source records, keeping the store's referential integrity.

Used only by ``wholechild.actions.retention`` (inside its audited transaction). What happens to
the rows that refer to a source record is declared per table in ``ON_DELETE``: a table that
refers to source records and is missing from it stops retention (a test checks the map is
complete), so a new table can never leave dangling references or silently keep data.

Pseudonymising is driven by the column classification (``Sensitivity.IDENTIFYING`` in
``wholechild.storage.schema``): every identifying column of the record and of the rows that
refer to it is replaced by a keyed pseudonym (keys), a district (postcodes) or removed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy import String as SqlString
from sqlalchemy import Text as SqlText

from wholechild.governance.pseudonyms import Pseudonymiser, district
from wholechild.storage.schema import Base, Event, ReviewDecision, Sensitivity, SourceRecord

__all__ = ["ON_DELETE", "delete_records", "identifying_columns", "pseudonymise_records"]

CHUNK: Final = 500
# What deleting a source record does to each table that refers to it.
ON_DELETE: Final[dict[str, str]] = {
    "source_address": "delete",
    "event": "delete",
    "ingest_finding": "unlink",  # the file's findings stay (its counts reconcile); the link goes
    "record_link": "delete",
    "review_item": "delete",
    "review_decision": "delete",
    "rectification": "delete",
    "legal_hold": "unlink",  # only released holds can refer to a record retention reaches
}
# Identifying columns replaced by a keyed pseudonym (source keys join records to events).
PSEUDONYM_COLUMNS: Final = frozenset({"source_key", "subject_key"})
DISTRICT_COLUMNS: Final = frozenset({"postcode"})


def referring_columns() -> Iterator[tuple[Table, Column[Any]]]:
    """Every (table, column) holding a foreign key to ``source_record.id``."""
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == SourceRecord.__tablename__:
                yield table, fk.parent


def identifying_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if c.info.get("sensitivity") == Sensitivity.IDENTIFYING]


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _referring_tables() -> dict[Table, list[Column[Any]]]:
    found: dict[Table, list[Column[Any]]] = {}
    for table, column in referring_columns():
        if table.name not in ON_DELETE:
            raise RuntimeError(f"retention: no ON_DELETE entry for {table.name}.{column.name}")
        found.setdefault(table, []).append(column)
    return found


def _refers(columns: list[Column[Any]], ids: list[uuid.UUID]) -> ColumnElement[bool]:
    return or_(*(c.in_(ids) for c in columns))


def _subject_events(keys: set[tuple[str, str]]) -> Iterator[ColumnElement[bool]]:
    """Events loaded without a record id but for a subject whose record this is: one
    condition per source system and chunk of keys (a bounded statement each)."""
    by_system: dict[str, list[str]] = {}
    for system, key in sorted(keys):
        by_system.setdefault(system, []).append(key)
    for system, subject_keys in by_system.items():
        for start in range(0, len(subject_keys), CHUNK):
            yield and_(
                Event.source_record_id.is_(None),
                Event.source_system == system,
                Event.subject_key.in_(subject_keys[start : start + CHUNK]),
            )


def delete_records(
    conn: Connection, ids: Sequence[uuid.UUID], orphan_subjects: set[tuple[str, str]]
) -> None:
    """Delete these records and what refers to them; ``orphan_subjects`` are (source system,
    source key) whose record-less events go too (no record keeping that key remains)."""
    tables = _referring_tables()
    for chunk in _chunks(ids):
        decisions = select(ReviewDecision.id).where(
            _refers(tables[ReviewDecision.__table__], chunk)  # type: ignore[index]
        )
        conn.execute(
            update(ReviewDecision)
            .where(ReviewDecision.superseded_by.in_(decisions))
            .values(superseded_by=None)
        )
        for table, columns in tables.items():
            if ON_DELETE[table.name] == "delete":
                conn.execute(delete(table).where(_refers(columns, chunk)))
            else:
                for column in columns:
                    conn.execute(update(table).where(column.in_(chunk)).values({column.name: None}))
        conn.execute(delete(SourceRecord).where(SourceRecord.id.in_(chunk)))
    for subjects in _subject_events(orphan_subjects):
        conn.execute(delete(Event).where(subjects))


def _replacement(column: Column[Any], value: Any, system: str, pseudonyms: Pseudonymiser) -> Any:
    if value is None:
        return None
    if column.name in PSEUDONYM_COLUMNS:
        return pseudonyms.of(f"source_key:{system}", str(value))[: _length(column)]
    if column.name in DISTRICT_COLUMNS:
        return district(str(value))
    if not column.nullable:
        if isinstance(column.type, SqlString | SqlText):
            return ""
        raise RuntimeError(f"retention cannot blank {column.table.name}.{column.name}")
    return None


def _length(column: Column[Any]) -> int | None:
    length = getattr(column.type, "length", None)
    return int(length) if length else None


def _scrub(
    conn: Connection, table: Table, where: ColumnElement[bool], pseudonyms: Pseudonymiser
) -> int:
    """Replace the identifying values of ``table``'s rows matching ``where``; returns rows."""
    columns = identifying_columns(table)
    if not columns:
        return 0
    key = next(iter(table.primary_key.columns))
    system = table.c.get("source_system")
    picked = [key, *columns, *([system] if system is not None else [])]
    rows = conn.execute(select(*picked).where(where)).mappings().all()
    if not rows:
        return 0
    params = []
    for row in rows:
        origin = str(row[system.name]) if system is not None else ""
        values = {f"v_{c.name}": _replacement(c, row[c.name], origin, pseudonyms) for c in columns}
        params.append({"pk": row[key.name], **values})
    statement = (
        update(table)
        .where(key == bindparam("pk"))
        .values({c.name: bindparam(f"v_{c.name}") for c in columns})
    )
    conn.execute(statement, params)  # one executemany, not a statement per row
    return len(rows)


def pseudonymise_records(
    conn: Connection,
    ids: Sequence[uuid.UUID],
    subjects: Iterable[tuple[str, str]],
    pseudonyms: Pseudonymiser,
    when: datetime,
) -> None:
    """Pseudonymise these records and every row that refers to them (and their record-less
    events, found by (source system, source key) in ``subjects``)."""
    tables = _referring_tables()
    for record_events in _subject_events(set(subjects)):
        _scrub(conn, Event.__table__, record_events, pseudonyms)  # type: ignore[arg-type]
    for chunk in _chunks(ids):
        for table, columns in tables.items():
            _scrub(conn, table, _refers(columns, chunk), pseudonyms)
        _scrub(conn, SourceRecord.__table__, SourceRecord.id.in_(chunk), pseudonyms)  # type: ignore[arg-type]
        conn.execute(
            update(SourceRecord).where(SourceRecord.id.in_(chunk)).values(pseudonymised_at=when)
        )
