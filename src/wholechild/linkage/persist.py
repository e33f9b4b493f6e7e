"""Persisting linkage: stable person ids, stored links with their explanations, the review queue.

Everything here runs in the caller's transaction (``conn`` from ``engine.begin()``): a run's
model, links, review items, person ids and audit entry commit together or not at all.

Person ids are stable across runs. Each cluster takes the person id that most of its records
already had (ties: the lowest id); a person id goes to one cluster only (the largest overlap
first; a cluster that loses its first choice may take its next); a cluster left without one
gets a new person. A person left with no records is kept (its history), with no records.

Record ids are ``source_record.id`` as 32-character hex strings (``uuid.hex``), as the linkage
engine gives them. Writes are bulk: executemany, and UPDATE ... FROM a temporary table.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from psycopg import sql as psycopg_sql
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    func,
    insert,
    select,
    tuple_,
    type_coerce,
    update,
)

from wholechild.actions.audit import record_audit
from wholechild.errors import UserError
from wholechild.linkage.clusters import ClusterKey, Pair, RecordId, ScoredPairs, WeightedPair
from wholechild.storage.schema import (
    Event,
    LinkageModel,
    LinkageRun,
    Person,
    RecordLink,
    ReviewDecision,
    ReviewItem,
    SourceRecord,
)

__all__ = [
    "Decision",
    "Mode",
    "RunSummary",
    "assign_person_ids",
    "choose_persons",
    "existing_records",
    "linked_pairs",
    "load_decisions",
    "move_records",
    "new_persons",
    "persons_of",
    "record_decisions",
    "records_of_persons",
    "save_run",
]

log = logging.getLogger(__name__)

Mode = Literal["full", "incremental"]
Decision = Literal["same", "not_same"]
# Record ids bound as hex strings: no uuid.UUID object per record on the way in.
HEX_ID = Uuid(as_uuid=False)
T = TypeVar("T")
_CHUNK = 500
_SCAN_ABOVE = 5000  # look records up by id below this many; scan the linked records above

_PERSON_ID = type_coerce(SourceRecord.person_id, Integer)  # read where it is not null
_TEMP = MetaData()
_ASSIGNMENT = Table(
    "linkage_tmp_assignment",
    _TEMP,
    Column("record_id", HEX_ID, primary_key=True),
    Column("person_id", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a linkage run stored and changed: ids and counts only."""

    run_id: int
    model_hash: str
    mode: str
    records: int
    clusters: int
    persons_kept: int
    persons_new: int
    records_moved: int
    events_updated: int
    links: int
    linked: int
    review_open: int
    review_withdrawn: int

    def counts(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("run_id", "model_hash")}


@dataclass(frozen=True, slots=True)
class _Assignment:
    persons: dict[RecordId, int]
    kept: int
    created: int
    moved: int
    events_updated: int


# -- a run ---------------------------------------------------------------------------------


def save_run(
    conn: Connection,
    *,
    actor: str,
    purpose: str,
    model_hash: str,
    model_json: Mapping[str, Any],
    scored_pairs: ScoredPairs,
    clusters: Mapping[RecordId, ClusterKey],
    upper: float,
    lower: float,
    mode: Mode,
    trained_on_records: int | None = None,
) -> RunSummary:
    """Store one linkage run in ``conn``'s transaction: the model (if new), the run, the links
    at or above ``lower``, the review queue, every clustered record's person (and their
    events), and the audit entry.

    ``mode`` "full": the run scored every record, so open review items it no longer scores
    between the thresholds are withdrawn; "incremental": only the pairs it scored are touched.
    """
    _check_thresholds(upper=upper, lower=lower, mode=mode)
    started = datetime.now(UTC)
    thresholds = {"upper": upper, "lower": lower}
    _save_model(conn, model_hash, model_json, thresholds, trained_on_records, started)
    run_id = _open_run(conn, actor, purpose, model_hash, mode, thresholds, started)
    links = _scored_links(scored_pairs, lower)
    assignment = _assign(conn, clusters)
    linked = _write_links(conn, run_id, model_hash, links, upper)
    review = _refresh_review_queue(conn, run_id, links, upper, mode, started)
    summary = _summarise(run_id, model_hash, mode, clusters, assignment, len(links), linked, review)
    _close_run(conn, summary)
    record_audit(
        conn,
        actor=actor,
        purpose=purpose,
        action="linkage.run",
        target_type="linkage_run",
        target_id=str(run_id),
        details=summary.counts(),
    )
    log.info("linkage run %s: %s", run_id, summary.counts())
    return summary


def _summarise(
    run_id: int,
    model_hash: str,
    mode: str,
    clusters: Mapping[RecordId, ClusterKey],
    assignment: _Assignment,
    links: int,
    linked: int,
    review: tuple[int, int],
) -> RunSummary:
    return RunSummary(
        run_id=run_id,
        model_hash=model_hash,
        mode=mode,
        records=len(clusters),
        clusters=len(set(clusters.values())),
        persons_kept=assignment.kept,
        persons_new=assignment.created,
        records_moved=assignment.moved,
        events_updated=assignment.events_updated,
        links=links,
        linked=linked,
        review_open=review[0],
        review_withdrawn=review[1],
    )


def _check_thresholds(*, upper: float, lower: float, mode: str) -> None:
    problems = []
    if not 0.0 <= lower <= upper <= 1.0:
        problems.append(f"thresholds must satisfy 0 <= lower <= upper <= 1 (got {lower}, {upper})")
    if mode not in ("full", "incremental"):
        problems.append(f"mode must be 'full' or 'incremental' (got {mode!r})")
    if problems:
        raise UserError("; ".join(problems), fix="correct the linkage run's settings")


def _save_model(
    conn: Connection,
    model_hash: str,
    model_json: Mapping[str, Any],
    thresholds: dict[str, float],
    trained_on_records: int | None,
    at: datetime,
) -> None:
    known = select(LinkageModel.id).where(LinkageModel.model_hash == model_hash)
    if conn.execute(known).first() is not None:
        return
    values = {
        "model_hash": model_hash,
        "settings": _json_safe(dict(model_json)),
        "created_at": at,
        "trained_on_records": trained_on_records,
        "thresholds": thresholds,
    }
    conn.execute(insert(LinkageModel), values)


def _open_run(
    conn: Connection,
    actor: str,
    purpose: str,
    model_hash: str,
    mode: str,
    thresholds: dict[str, float],
    at: datetime,
) -> int:
    values: dict[str, Any] = {
        "started_at": at,
        "completed_at": None,
        "model_hash": model_hash,
        "actor": actor,
        "purpose": purpose,
        "mode": mode,
        "counts": {},
        **thresholds,
    }
    return int(conn.execute(insert(LinkageRun).returning(LinkageRun.id), values).scalar_one())


def _close_run(conn: Connection, summary: RunSummary) -> None:
    conn.execute(
        update(LinkageRun)
        .where(LinkageRun.id == summary.run_id)
        .values(completed_at=datetime.now(UTC), counts=summary.counts())
    )


def _json_safe(value: Any) -> Any:
    """JSON that both stores accept: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


# -- links -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Link:
    match_weight: float
    match_probability: float
    contributions: dict[str, float | None]


def _scored_links(scored_pairs: ScoredPairs, lower: float) -> dict[Pair, _Link]:
    """Scored pairs at or above ``lower``, each pair as (smaller id, larger id)."""
    names = [str(c) for c in scored_pairs.columns if str(c).startswith("mw_")]
    rows = zip(
        scored_pairs["unique_id_l"].astype(str).tolist(),
        scored_pairs["unique_id_r"].astype(str).tolist(),
        scored_pairs["match_weight"].astype(float).tolist(),
        scored_pairs["match_probability"].astype(float).tolist(),
        *(scored_pairs[name].astype(float).tolist() for name in names),
        strict=True,
    )
    comparisons = [name.removeprefix("mw_") for name in names]
    links: dict[Pair, _Link] = {}
    for left, right, weight, probability, *contributions in rows:
        if probability >= lower and left != right:
            pair = (left, right) if left < right else (right, left)
            links[pair] = _Link(weight, probability, _explained(comparisons, contributions))
    return links


def _explained(comparisons: list[str], weights: list[float]) -> dict[str, float | None]:
    """{comparison: match weight}; a missing weight is null."""
    return {c: (w if math.isfinite(w) else None) for c, w in zip(comparisons, weights, strict=True)}


_LINK_COLUMNS = [
    "run_id",
    "record_l",
    "record_r",
    "match_weight",
    "match_probability",
    "contributions",
    "model_hash",
    "status",
]


def _write_links(
    conn: Connection, run_id: int, model_hash: str, links: Mapping[Pair, _Link], upper: float
) -> int:
    """Insert the run's links; returns how many are "linked" (at or above ``upper``)."""
    rows = [
        (
            run_id,
            left,
            right,
            link.match_weight,
            link.match_probability,
            json.dumps(link.contributions),
            model_hash,
            "linked" if link.match_probability >= upper else "review",
        )
        for (left, right), link in links.items()
    ]
    _bulk_insert(conn, RecordLink.__table__, _LINK_COLUMNS, rows)
    return sum(1 for row in rows if row[-1] == "linked")


def linked_pairs(conn: Connection, record_ids: Collection[RecordId]) -> list[WeightedPair]:
    """Stored links among these records whose latest scoring was "linked" (at or above its
    run's upper threshold), as weighted pairs for :func:`clusters.cluster`."""
    wanted = set(record_ids)
    latest: dict[Pair, tuple[int, str, float]] = {}
    record_l, record_r = _hex(conn, RecordLink.record_l), _hex(conn, RecordLink.record_r)
    query = select(
        record_l, record_r, RecordLink.run_id, RecordLink.status, RecordLink.match_weight
    )
    for chunk in _chunks(sorted(wanted), _CHUNK):
        restricted = query.where(type_coerce(RecordLink.record_l, HEX_ID).in_(chunk))
        for left, right, run_id, status, weight in conn.execute(restricted):
            seen = latest.get((left, right))
            if right in wanted and (seen is None or run_id > seen[0]):
                latest[(left, right)] = (run_id, status, weight)
    return [(l_, r_, w) for (l_, r_), (_, status, w) in latest.items() if status == "linked"]


# -- the review queue ------------------------------------------------------------------------


def _refresh_review_queue(
    conn: Connection,
    run_id: int,
    links: Mapping[Pair, _Link],
    upper: float,
    mode: str,
    at: datetime,
) -> tuple[int, int]:
    """Open (or refresh) an item for each pair between the thresholds that no reviewer has
    decided; a full run withdraws the open items it no longer scores there. Returns (open,
    withdrawn)."""
    decided = _decided_pairs(conn)
    wanted = {
        pair: link
        for pair, link in links.items()
        if link.match_probability < upper and pair not in decided
    }
    existing = _review_items(conn)
    _insert_review_items(conn, run_id, {p: wanted[p] for p in wanted if p not in existing}, at)
    _reopen_review_items(conn, run_id, {existing[p][0]: wanted[p] for p in wanted if p in existing})
    stale = [
        item_id
        for pair, (item_id, status) in existing.items()
        if mode == "full" and status == "open" and pair not in wanted
    ]
    for chunk in _chunks(stale, _CHUNK):
        conn.execute(
            update(ReviewItem)
            .where(ReviewItem.id.in_(chunk))
            .values(status="withdrawn", closed_at=at)
        )
    return len(wanted), len(stale)


def _insert_review_items(
    conn: Connection, run_id: int, items: Mapping[Pair, _Link], at: datetime
) -> None:
    if not items:
        return
    statement = insert(ReviewItem).values(
        record_l=bindparam("record_l", type_=HEX_ID),
        record_r=bindparam("record_r", type_=HEX_ID),
    )
    rows = [
        {
            "run_id": run_id,
            "record_l": left,
            "record_r": right,
            "match_weight": link.match_weight,
            "match_probability": link.match_probability,
            "status": "open",
            "opened_at": at,
            "closed_at": None,
        }
        for (left, right), link in items.items()
    ]
    conn.execute(statement, rows)


def _reopen_review_items(conn: Connection, run_id: int, items: Mapping[int, _Link]) -> None:
    if not items:
        return
    statement = (
        update(ReviewItem)
        .where(ReviewItem.id == bindparam("item_id"))
        .values(
            run_id=run_id,
            match_weight=bindparam("weight"),
            match_probability=bindparam("probability"),
            status="open",
            closed_at=None,
        )
    )
    rows = [
        {"item_id": item_id, "weight": link.match_weight, "probability": link.match_probability}
        for item_id, link in items.items()
    ]
    conn.execute(statement, rows)


def _review_items(conn: Connection) -> dict[Pair, tuple[int, str]]:
    query = select(
        _hex(conn, ReviewItem.record_l),
        _hex(conn, ReviewItem.record_r),
        ReviewItem.id,
        ReviewItem.status,
    )
    return {
        (left, right): (item_id, status) for left, right, item_id, status in conn.execute(query)
    }


def _decided_pairs(conn: Connection) -> set[Pair]:
    query = select(_hex(conn, ReviewDecision.record_l), _hex(conn, ReviewDecision.record_r))
    return {(left, right) for left, right in conn.execute(query.distinct())}


# -- reviewers' decisions -------------------------------------------------------------------


def latest_model(conn: Connection) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The most recently stored model's settings and thresholds, if any model is stored."""
    query = select(LinkageModel.settings, LinkageModel.thresholds).order_by(LinkageModel.id.desc())
    row = conn.execute(query).first()
    return (dict(row[0]), dict(row[1])) if row else None


def load_decisions(conn: Connection) -> tuple[list[Pair], list[Pair]]:
    """(must-links, cannot-links): each pair's latest decision that nothing has superseded."""
    query = (
        select(
            _hex(conn, ReviewDecision.record_l),
            _hex(conn, ReviewDecision.record_r),
            ReviewDecision.decision,
        )
        .where(ReviewDecision.superseded_by.is_(None))
        .order_by(ReviewDecision.id)
    )
    latest = {(left, right): decision for left, right, decision in conn.execute(query)}
    must = [pair for pair, decision in latest.items() if decision == "same"]
    cannot = [pair for pair, decision in latest.items() if decision == "not_same"]
    return must, cannot


def record_decisions(
    conn: Connection,
    pairs: Iterable[Pair],
    *,
    decision: Decision,
    reviewer: str,
    reason: str,
    action: str,
) -> list[int]:
    """Store a decision on each pair, supersede earlier decisions on it and close its review
    item. Returns the new decisions' ids. The caller applies the decision and audits it."""
    at = datetime.now(UTC)
    ids = []
    for left, right in sorted({(min(p), max(p)) for p in pairs}):
        decision_id = _insert_decision(conn, (left, right), decision, reviewer, reason, action, at)
        on_pair = _pair_is(ReviewDecision.record_l, ReviewDecision.record_r, (left, right))
        conn.execute(
            update(ReviewDecision)
            .where(
                on_pair, ReviewDecision.id != decision_id, ReviewDecision.superseded_by.is_(None)
            )
            .values(superseded_by=decision_id)
        )
        conn.execute(
            update(ReviewItem)
            .where(_pair_is(ReviewItem.record_l, ReviewItem.record_r, (left, right)))
            .values(status="decided", closed_at=at)
        )
        ids.append(decision_id)
    return ids


def _insert_decision(
    conn: Connection,
    pair: Pair,
    decision: str,
    reviewer: str,
    reason: str,
    action: str,
    at: datetime,
) -> int:
    statement = (
        insert(ReviewDecision)
        .values(record_l=bindparam("record_l", type_=HEX_ID))
        .values(record_r=bindparam("record_r", type_=HEX_ID))
        .returning(ReviewDecision.id)
    )
    values = {
        "record_l": pair[0],
        "record_r": pair[1],
        "decision": decision,
        "reviewer": reviewer,
        "reason": reason,
        "action": action,
        "decided_at": at,
        "superseded_by": None,
    }
    return int(conn.execute(statement, values).scalar_one())


def _pair_is(left: Any, right: Any, pair: Pair) -> ColumnElement[bool]:
    return (type_coerce(left, HEX_ID) == pair[0]) & (type_coerce(right, HEX_ID) == pair[1])


# -- persons ---------------------------------------------------------------------------------


def assign_person_ids(
    conn: Connection, clusters: Mapping[RecordId, ClusterKey]
) -> dict[RecordId, int]:
    """Give every clustered record its cluster's person, keeping person ids stable (see the
    module's docstring), and move the records' events with them. Returns record -> person."""
    return _assign(conn, clusters).persons


def choose_persons(
    clusters: Mapping[RecordId, ClusterKey], current: Mapping[RecordId, int]
) -> dict[ClusterKey, int | None]:
    """Each cluster's person id from its records' current persons (None: a new person).

    Largest overlap first; ties go to the lowest person id, then the lowest cluster key; a
    person id goes to one cluster only.
    """
    overlaps = Counter((key, current[r]) for r, key in clusters.items() if r in current)
    chosen: dict[ClusterKey, int | None] = dict.fromkeys(sorted(set(clusters.values())))
    taken: set[int] = set()
    for (key, person), _ in sorted(overlaps.items(), key=lambda o: (-o[1], o[0][1], o[0][0])):
        if chosen[key] is None and person not in taken:
            chosen[key] = person
            taken.add(person)
    return chosen


def _assign(conn: Connection, clusters: Mapping[RecordId, ClusterKey]) -> _Assignment:
    current = persons_of(conn, clusters.keys())
    chosen = choose_persons(clusters, current)
    unclaimed = [key for key, person in chosen.items() if person is None]
    for key, person in zip(unclaimed, new_persons(conn, len(unclaimed)), strict=True):
        chosen[key] = person
    persons = {record: _known(chosen[key]) for record, key in clusters.items()}
    changes = {r: p for r, p in persons.items() if current.get(r) != p}
    events = move_records(conn, changes)
    kept = len(chosen) - len(unclaimed)
    log.info("persons: %s kept, %s new, %s records moved", kept, len(unclaimed), len(changes))
    return _Assignment(persons, kept, len(unclaimed), len(changes), events)


def _known(person: int | None) -> int:
    assert person is not None
    return person


def new_persons(conn: Connection, count: int) -> list[int]:
    """Create ``count`` persons; their ids, lowest first."""
    if count == 0:
        return []
    rows = [{"created_at": datetime.now(UTC)}] * count
    return sorted(conn.execute(insert(Person).returning(Person.id), rows).scalars())


def persons_of(conn: Connection, record_ids: Collection[RecordId]) -> dict[RecordId, int]:
    """The current person of each of these records that has one."""
    record_id = _hex(conn, SourceRecord.id)
    query = select(record_id, _PERSON_ID).where(SourceRecord.person_id.is_not(None))
    if len(record_ids) > _SCAN_ABOVE:
        wanted = set(record_ids)
        return {r: p for r, p in conn.execute(query) if r in wanted}
    found: dict[RecordId, int] = {}
    for chunk in _chunks(list(record_ids), _CHUNK):
        restricted = query.where(type_coerce(SourceRecord.id, HEX_ID).in_(chunk))
        found.update((r, p) for r, p in conn.execute(restricted))
    return found


def existing_records(conn: Connection, record_ids: Collection[RecordId]) -> set[RecordId]:
    """Those of these record ids that are in the store."""
    found: set[RecordId] = set()
    query = select(_hex(conn, SourceRecord.id))
    for chunk in _chunks(sorted(set(record_ids)), _CHUNK):
        restricted = query.where(type_coerce(SourceRecord.id, HEX_ID).in_(chunk))
        found.update(conn.execute(restricted).scalars())
    return found


def records_of_persons(conn: Connection, person_ids: Collection[int]) -> dict[int, list[RecordId]]:
    """Each person's records (lowest id first); a person with none is absent."""
    found: dict[int, list[RecordId]] = {}
    query = select(_PERSON_ID, _hex(conn, SourceRecord.id))
    for chunk in _chunks(sorted(set(person_ids)), _CHUNK):
        for person, record in conn.execute(query.where(SourceRecord.person_id.in_(chunk))):
            found.setdefault(person, []).append(record)
    return {person: sorted(records) for person, records in found.items()}


def move_records(conn: Connection, persons: Mapping[RecordId, int]) -> int:
    """Set these records' persons, and their events' (by record, or by the record's source
    system and source key). Returns how many events were updated."""
    if not persons:
        return 0
    with _temporary(conn, _ASSIGNMENT) as assignment:
        _bulk_insert(conn, assignment, ["record_id", "person_id"], list(persons.items()))
        _analyse(conn, assignment)
        conn.execute(
            update(SourceRecord)
            .where(SourceRecord.id == assignment.c.record_id)
            .values(person_id=assignment.c.person_id)
        )
        return _move_events(conn, assignment)


def _move_events(conn: Connection, assignment: Table) -> int:
    by_record = (
        update(Event)
        .where(Event.source_record_id == assignment.c.record_id)
        .values(person_id=assignment.c.person_id)
    )
    moved = select(SourceRecord.source_system, SourceRecord.source_key).join(
        assignment, SourceRecord.id == assignment.c.record_id
    )
    by_subject = (
        update(Event)
        .where(
            Event.source_record_id.is_(None),
            tuple_(Event.source_system, Event.subject_key).in_(moved),
        )
        .values(person_id=_subject_person())
    )
    return int(conn.execute(by_record).rowcount) + int(conn.execute(by_subject).rowcount)


def _subject_person() -> Any:
    """The person of the record an event's subject key names: the record from the event's own
    batch if there is one, else the latest batch's."""
    record = SourceRecord.__table__.alias("subject_record")
    named = select(record.c.person_id).where(
        record.c.source_system == Event.source_system,
        record.c.source_key == Event.subject_key,
        record.c.person_id.is_not(None),
    )
    same_batch = named.where(record.c.batch_id == Event.batch_id).order_by(record.c.id)
    latest = named.order_by(record.c.batch_id.desc(), record.c.id)
    return func.coalesce(same_batch.limit(1).scalar_subquery(), latest.limit(1).scalar_subquery())


# -- helpers ---------------------------------------------------------------------------------


def _hex(conn: Connection, column: Any) -> ColumnElement[str]:
    """A uuid column read as 32-character hex, computed by the database."""
    if conn.dialect.name == "postgresql":
        return func.replace(cast(column, Text), "-", "")
    return type_coerce(column, String)  # SQLite stores a Uuid as its 32-character hex


def _bulk_insert(
    conn: Connection, table: Any, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows of plain values (ids as hex, JSON as text, no datetimes): COPY on
    PostgreSQL, the driver's executemany elsewhere (no per-row work in SQLAlchemy)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        copy = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(table.name),
            psycopg_sql.SQL(", ").join(map(psycopg_sql.Identifier, columns)),
        )
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(copy) as stream:
            for row in rows:
                stream.write_row(row)
        return
    statement = insert(table).compile(dialect=conn.dialect, column_keys=columns)
    assert list(statement.positiontup or ()) == columns, "columns in the table's order"
    for chunk in _chunks(rows, 50_000):
        conn.exec_driver_sql(str(statement), chunk)


@contextmanager
def _temporary(conn: Connection, table: Table) -> Iterator[Table]:
    """A temporary table for bulk work, dropped after (a failure rolls its creation back)."""
    table.drop(conn, checkfirst=True)
    table.create(conn)
    yield table
    table.drop(conn)


def _analyse(conn: Connection, table: Table) -> None:
    """Give PostgreSQL's planner a freshly filled table's statistics (it has none)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
