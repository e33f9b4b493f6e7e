"""Search's candidate narrowing (the fast path) against a plain reference, on SQLite and
PostgreSQL: the distinct names read by a loose index scan are exactly SQL DISTINCT's, and
narrowing by names never drops a record that the name scorer would accept."""

from __future__ import annotations

from sqlalchemy import Engine, select

from test_read_child import council_store
from test_read_search import misspell, named
from wholechild.read.search import (
    COLUMNS,
    NAME_COLUMNS,
    Criteria,
    _distinct_names,
    _narrowing,
    name_score,
    search_words,
)
from wholechild.storage.schema import IngestBatch, SourceRecord

__all__ = ["council_store"]


def test_distinct_names_are_sql_distinct(council_store: Engine) -> None:
    with council_store.connect() as conn:
        for column in NAME_COLUMNS:
            plain = conn.scalars(select(column).distinct().where(column.is_not(None))).all()
            assert sorted(_distinct_names(conn, column)) == sorted(plain), column.key


def _ids(engine: Engine, where: list) -> set[object]:  # type: ignore[type-arg]
    query = select(*COLUMNS, SourceRecord.id).join(
        IngestBatch, IngestBatch.id == SourceRecord.batch_id
    )
    with engine.connect() as conn:
        return {row.id for row in conn.execute(query.where(*where))}


def test_name_narrowing_keeps_every_record_the_scorer_accepts(council_store: Engine) -> None:
    people = named(council_store)[:12]
    assert people
    query = select(*COLUMNS, SourceRecord.id).join(
        IngestBatch, IngestBatch.id == SourceRecord.batch_id
    )
    with council_store.connect() as conn:
        every = conn.execute(query.where(SourceRecord.person_id.is_not(None))).all()
    for _, record in people:
        for text in (
            f"{record.forename} {record.surname}",
            f"{record.forename} {misspell(record.surname)}",
            f"{record.surname} {record.forename}",
            record.surname,
        ):
            words = search_words(text)
            with council_store.connect() as conn:
                where = _narrowing(conn, Criteria(words, None, None))
            kept = _ids(council_store, where)
            accepted = {r.id for r in every if name_score(words, r) is not None}
            assert accepted, text
            assert accepted <= kept, text
