"""Persisting linkage runs: stable person ids, stored links, the review queue, reviewers'
decisions honoured by later runs. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select

from wholechild.errors import UserError
from wholechild.linkage import persist
from wholechild.linkage.clusters import accepted_pairs, cluster
from wholechild.linkage.persist import (
    RunSummary,
    choose_persons,
    load_decisions,
    record_decisions,
    save_run,
)
from wholechild.storage.schema import (
    AuditEvent,
    Event,
    IngestBatch,
    LinkageModel,
    LinkageRun,
    Person,
    RecordLink,
    ReviewItem,
    SourceRecord,
)

UPPER, LOWER = 0.95, 0.5
MODEL = {"link_type": "dedupe_only", "comparisons": [{"output_column_name": "dob"}]}
MODEL_HASH = "a" * 64


# -- helpers shared with test_review.py -------------------------------------------------------


def add_records(
    engine: Engine, count: int, *, source_system: str = "test_system", keys: bool = False
) -> list[str]:
    """``count`` minimal source records in one new batch; their ids (hex), lowest first."""
    now = datetime.now(UTC)
    ids = sorted(uuid.uuid4().hex for _ in range(count))
    with engine.begin() as conn:
        batch_id = conn.execute(
            insert(IngestBatch).returning(IngestBatch.id), _batch(source_system, now)
        ).scalar_one()
        rows = [
            {
                "id": uuid.UUID(record_id),
                "batch_id": batch_id,
                "source_system": source_system,
                "file_name": "test.csv",
                "row_number": n + 1,
                "ingested_at": now,
                "source_key": f"K{record_id[:8]}" if keys else None,
                "raw_row": "",
                "nhs_number_check": "missing",
                "upn_check": "missing",
                "uln_check": "missing",
            }
            for n, record_id in enumerate(ids)
        ]
        if rows:
            conn.execute(insert(SourceRecord), rows)
    return ids


def _batch(source_system: str, now: datetime) -> dict[str, Any]:
    return {
        "file_name": "test.csv",
        "file_sha256": uuid.uuid4().hex * 2,
        "format": "test",
        "source_system": source_system,
        "agency": "test",
        "agreement_ref": None,
        "actor": "test",
        "started_at": now,
        "completed_at": now,
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "records_loaded": 0,
        "events_loaded": 0,
        "findings_count": 0,
    }


def scored(pairs: Iterable[tuple[str, str, float]]) -> pd.DataFrame:
    """Scored pairs as the engine gives them, with two comparisons' contributions."""
    rows = []
    for left, right, p in pairs:
        weight = math.log2(p / (1 - p)) if p < 1 else 40.0
        rows.append(
            {
                "unique_id_l": left,
                "unique_id_r": right,
                "match_weight": weight,
                "match_probability": p,
                "mw_dob": weight - 1.0,
                "mw_forename": 1.0,
            }
        )
    columns = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    return pd.DataFrame(rows, columns=[*columns, "mw_dob", "mw_forename"])


def run(
    engine: Engine,
    records: list[str],
    pairs: pd.DataFrame,
    *,
    mode: persist.Mode = "full",
    honour_decisions: bool = True,
) -> RunSummary:
    """One linkage run as the pipeline does it: cluster at the upper threshold honouring the
    reviewers' decisions, then save."""
    with engine.begin() as conn:
        must, cannot = load_decisions(conn) if honour_decisions else ([], [])
        clusters = cluster(records, accepted_pairs(pairs, UPPER), must, cannot)
        return save_run(
            conn,
            actor="linkage-job",
            purpose="record linkage",
            model_hash=MODEL_HASH,
            model_json=MODEL,
            scored_pairs=pairs,
            clusters=clusters,
            upper=UPPER,
            lower=LOWER,
            mode=mode,
        )


def persons(engine: Engine, records: Iterable[str] | None = None) -> dict[str, int | None]:
    """Each record's person (hex record id -> person id)."""
    with engine.connect() as conn:
        rows = conn.execute(select(SourceRecord.id, SourceRecord.person_id)).all()
    found = {record.hex: person for record, person in rows}
    return found if records is None else {r: found[r] for r in records}


def groups(mapping: Mapping[str, Any]) -> set[frozenset[str]]:
    """Records grouped by value: the partition a mapping induces, ignoring the values."""
    by_value: dict[Any, set[str]] = {}
    for record, value in mapping.items():
        by_value.setdefault(value, set()).add(record)
    return {frozenset(members) for members in by_value.values()}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# -- the person-id rule, as a table -----------------------------------------------------------

# (what happens, current persons of records a..f, the new clusters, each record's person after;
#  "new" = a person created by this run)
PERSON_RULES = [
    (
        "clusters unchanged: every person keeps its id",
        {"a": 1, "b": 1, "c": 2},
        {"a": "a", "b": "a", "c": "c"},
        {"a": 1, "b": 1, "c": 2},
    ),
    (
        "a new record joins a cluster: it takes that cluster's person",
        {"a": 1, "b": 1},
        {"a": "a", "b": "a", "c": "a"},
        {"a": 1, "b": 1, "c": 1},
    ),
    (
        "a person splits: the larger part keeps the id, the smaller gets a new person",
        {"a": 1, "b": 1, "c": 1},
        {"a": "a", "b": "a", "c": "c"},
        {"a": 1, "b": 1, "c": "new"},
    ),
    (
        "two persons merge with equal shares: the lower id wins",
        {"a": 1, "b": 2},
        {"a": "a", "b": "a"},
        {"a": 1, "b": 1},
    ),
    (
        "two persons merge: the larger share wins even with the higher id",
        {"a": 1, "b": 2, "c": 2},
        {"a": "a", "b": "a", "c": "a"},
        {"a": 2, "b": 2, "c": 2},
    ),
    (
        "a cluster losing its first choice takes its next",
        {"a": 1, "b": 1, "c": 1, "d": 2},
        {"a": "a", "b": "a", "c": "c", "d": "c"},
        {"a": 1, "b": 1, "c": 2, "d": 2},
    ),
    (
        "records new to the store form a new person",
        {"a": 1},
        {"a": "a", "e": "e", "f": "e"},
        {"a": 1, "e": "new", "f": "new"},
    ),
]


@pytest.mark.parametrize(("case", "current", "clusters", "after"), PERSON_RULES)
def test_person_ids_are_chosen_by_the_rule(
    case: str, current: dict[str, int], clusters: dict[str, str], after: dict[str, Any]
) -> None:
    chosen = choose_persons(clusters, current)
    got = {record: chosen[key] or "new" for record, key in clusters.items()}
    assert got == after, case


# -- runs on the store ------------------------------------------------------------------------


def test_a_rerun_keeps_every_person_id(store: Engine) -> None:
    a, b, c, d = add_records(store, 4)
    pairs = scored([(a, b, 0.99), (c, d, 0.999), (a, c, 0.1)])
    first = run(store, [a, b, c, d], pairs)
    before = persons(store)
    second = run(store, [a, b, c, d], pairs)
    assert persons(store) == before
    assert groups(before) == {frozenset({a, b}), frozenset({c, d})}
    assert (first.persons_new, first.records_moved) == (2, 4)
    assert (second.persons_new, second.persons_kept, second.records_moved) == (0, 2, 0)
    assert count(store, Person) == 2


def test_new_records_join_existing_persons_without_renumbering(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    run(store, [a, b, c], scored([(a, b, 0.99)]))
    before = persons(store)
    d, e = add_records(store, 2)
    summary = run(store, [a, b, c, d, e], scored([(a, b, 0.99), (b, d, 0.98)]))
    after = persons(store)
    assert {r: after[r] for r in (a, b, c)} == before
    assert after[d] == after[a]
    assert after[e] not in before.values()
    assert (summary.persons_kept, summary.persons_new, summary.records_moved) == (2, 1, 2)


def test_a_split_keeps_the_id_for_the_larger_part_and_keeps_the_emptied_person(
    store: Engine,
) -> None:
    a, b, c, d = add_records(store, 4)
    run(store, [a, b, c, d], scored([(a, b, 0.99), (c, d, 0.99)]))
    first = persons(store)
    run(store, [a, b, c, d], scored([(a, b, 0.99), (b, c, 0.99), (c, d, 0.99)]))
    merged = persons(store)
    assert len(set(merged.values())) == 1
    assert merged[a] == min(first[a], first[c])  # equal shares: the lower id
    assert count(store, Person) == 2  # the emptied person is kept, with no records


def test_links_are_stored_with_their_explanation_and_model(store: Engine) -> None:
    a, b, c, d = add_records(store, 4)
    pairs = scored([(b, a, 0.99), (c, d, 0.7), (a, d, 0.2)])
    summary = run(store, [a, b, c, d], pairs)
    with store.connect() as conn:
        links = conn.execute(select(RecordLink).order_by(RecordLink.match_probability)).all()
        model = conn.execute(select(LinkageModel)).one()
        stored_run = conn.execute(select(LinkageRun)).one()
    assert [(x.record_l.hex, x.record_r.hex, x.status) for x in links] == [
        (c, d, "review"),
        (a, b, "linked"),  # stored smaller id first
    ]
    assert set(links[1].contributions) == {"dob", "forename"}
    assert links[1].contributions["forename"] == 1.0
    assert {x.model_hash for x in links} == {MODEL_HASH}
    assert (model.model_hash, model.settings, model.thresholds) == (
        MODEL_HASH,
        MODEL,
        {"upper": UPPER, "lower": LOWER},
    )
    assert (stored_run.upper, stored_run.lower, stored_run.mode) == (UPPER, LOWER, "full")
    assert stored_run.completed_at is not None
    assert stored_run.counts["links"] == summary.links == 2
    run(store, [a, b, c, d], pairs)
    assert count(store, LinkageModel) == 1  # a model is stored once, however many runs use it


def test_the_audit_entry_carries_counts_only(store: Engine) -> None:
    a, b = add_records(store, 2)
    summary = run(store, [a, b], scored([(a, b, 0.99)]))
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent)).one()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "linkage.run",
        "linkage_run",
        str(summary.run_id),
    )
    assert entry.details == summary.counts()
    assert all(isinstance(v, int) or k == "mode" for k, v in entry.details.items())


def test_no_audit_no_run(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = add_records(store, 2)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(persist, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        run(store, [a, b], scored([(a, b, 0.99), (a, b, 0.7)]))
    assert persons(store) == {a: None, b: None}
    for table in (Person, LinkageModel, LinkageRun, RecordLink, ReviewItem, AuditEvent):
        assert count(store, table) == 0, table


def test_events_follow_their_records_person(store: Engine) -> None:
    a, b = add_records(store, 2, keys=True)
    (c,) = add_records(store, 1, source_system="other", keys=True)
    with store.connect() as conn:
        keys = dict(conn.execute(select(SourceRecord.id, SourceRecord.source_key)).all())
    key_a = keys[uuid.UUID(a)]
    add_event(store, record=b)
    add_event(store, subject_key=key_a, source_system="test_system")  # names a by its key
    add_event(store, subject_key=key_a, source_system="elsewhere")  # same key, other system
    run(store, [a, b, c], scored([(a, b, 0.99)]))
    person = persons(store)[a]
    with store.connect() as conn:
        events = conn.execute(select(Event.source_system, Event.person_id)).all()
    assert sorted(events, key=str) == sorted(
        [("test_system", person), ("test_system", person), ("elsewhere", None)], key=str
    )


def add_event(
    engine: Engine,
    *,
    record: str | None = None,
    subject_key: str | None = None,
    source_system: str = "test_system",
) -> None:
    with engine.connect() as conn:
        batch_id = conn.execute(select(func.max(IngestBatch.id))).scalar_one()
    with engine.begin() as conn:
        conn.execute(
            insert(Event),
            {
                "batch_id": batch_id,
                "source_system": source_system,
                "file_name": "test.csv",
                "row_number": 1,
                "ingested_at": datetime.now(UTC),
                "source_record_id": uuid.UUID(record) if record else None,
                "subject_key": subject_key,
                "person_id": None,
                "event_type": "health_contact",
                "agency": "health",
                "details": {},
            },
        )


# -- the review queue and reviewers' decisions ------------------------------------------------


def review_queue(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ReviewItem.record_l, ReviewItem.record_r).where(ReviewItem.status == "open")
        ).all()
    return {(left.hex, right.hex) for left, right in rows}


def decide(engine: Engine, pair: tuple[str, str], decision: persist.Decision) -> None:
    with engine.begin() as conn:
        record_decisions(
            conn, [pair], decision=decision, reviewer="reviewer", reason="test", action="test"
        )


def test_the_review_queue_is_the_pairs_between_the_thresholds_less_decided_ones(
    store: Engine,
) -> None:
    a, b, c, d, e = add_records(store, 5)
    decide(store, (a, e), "not_same")
    pairs = scored(
        [
            (a, b, 0.99),  # linked
            (a, c, 0.95),  # at the upper threshold: linked
            (d, b, 0.94),  # review
            (c, d, 0.5),  # at the lower threshold: review
            (a, e, 0.7),  # between the thresholds but decided: not queued
            (b, e, 0.49),  # below the lower threshold: not stored
        ]
    )
    summary = run(store, [a, b, c, d, e], pairs)
    assert review_queue(store) == {(b, d), (c, d)}
    assert (summary.links, summary.linked, summary.review_open) == (5, 2, 2)


def test_a_full_run_withdraws_items_an_incremental_run_keeps_them(store: Engine) -> None:
    a, b, c, d = add_records(store, 4)
    run(store, [a, b, c, d], scored([(a, b, 0.7), (c, d, 0.7)]))
    run(store, [a, b, c, d], scored([(a, b, 0.7)]), mode="incremental")
    assert review_queue(store) == {(a, b), (c, d)}
    summary = run(store, [a, b, c, d], scored([(a, b, 0.7)]), mode="full")
    assert review_queue(store) == {(a, b)}
    assert summary.review_withdrawn == 1
    run(store, [a, b, c, d], scored([(a, b, 0.7), (c, d, 0.8)]))
    assert review_queue(store) == {(a, b), (c, d)}  # back between the thresholds: reopened
    assert count(store, ReviewItem) == 2


def test_a_not_same_decision_keeps_records_apart_in_every_later_run(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    pairs = scored([(a, b, 0.999), (b, c, 0.99)])
    run(store, [a, b, c], pairs)
    assert len(set(persons(store).values())) == 1
    decide(store, (b, c), "not_same")
    run(store, [a, b, c], pairs)
    run(store, [a, b, c], pairs)
    after = persons(store)
    assert groups(after) == {frozenset({a, b}), frozenset({c})}


def test_a_same_decision_joins_records_the_model_would_not(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    pairs = scored([(a, b, 0.6)])
    run(store, [a, b, c], pairs)
    decide(store, (b, a), "same")
    run(store, [a, b, c], pairs)
    assert groups(persons(store)) == {frozenset({a, b}), frozenset({c})}
    assert review_queue(store) == set()


def test_the_latest_decision_on_a_pair_wins(store: Engine) -> None:
    a, b = add_records(store, 2)
    decide(store, (a, b), "same")
    decide(store, (b, a), "not_same")
    with store.connect() as conn:
        assert load_decisions(conn) == ([], [(a, b)])
    decide(store, (a, b), "same")
    with store.connect() as conn:
        assert load_decisions(conn) == ([(a, b)], [])


@pytest.mark.parametrize(
    ("upper", "lower", "mode"), [(0.5, 0.9, "full"), (1.5, 0.5, "full"), (0.9, 0.5, "partial")]
)
def test_bad_run_settings_are_refused_in_the_users_words(
    store: Engine, upper: float, lower: float, mode: Any
) -> None:
    with store.begin() as conn, pytest.raises(UserError, match="linkage run"):
        save_run(
            conn,
            actor="linkage-job",
            purpose="record linkage",
            model_hash=MODEL_HASH,
            model_json=MODEL,
            scored_pairs=scored([]),
            clusters={},
            upper=upper,
            lower=lower,
            mode=mode,
        )
