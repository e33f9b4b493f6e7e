"""``verify_chain`` names every edited, deleted, inserted or reordered entry, and catches a
chain re-hashed after an edit through its signed checkpoints. Each storage test runs on SQLite
and on PostgreSQL; the classification is also property-tested against the plain reference.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, insert, select, update

from wholechild.actions.audit import record_audit
from wholechild.audit import TamperKind, create_checkpoint, sign_checkpoints_automatically
from wholechild.audit.chain import GENESIS_HASH, chain_hash, content_of
from wholechild.audit.verify import (
    ChainEntry,
    chain_entry,
    chain_is_intact,
    find_problems,
    verify_chain,
)
from wholechild.storage.schema import AuditCheckpoint, AuditEvent

KEY = Ed25519PrivateKey.generate()
HASHES = ("prev_hash", "entry_hash")
CONTENT = (
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


# -- helpers shared with test_audit_chain.py and test_audit_cli.py ------------------------------


def append(engine: Engine, count: int, *, actor: str = "tester") -> None:
    """``count`` audit entries, one transaction each, as actions write them."""
    for n in range(count):
        with engine.begin() as conn:
            record_audit(
                conn,
                actor=actor,
                purpose="test",
                action="test.step",
                target_type="test",
                target_id=str(n),
                details={"n": n, "rows": n * 10},
                person_id=n if n % 3 else None,
                flagged=n % 7 == 0,
            )


def rows(engine: Engine) -> dict[int, dict[str, Any]]:
    with engine.connect() as conn:
        found = conn.execute(select(AuditEvent).order_by(AuditEvent.id)).mappings()
        return {row["id"]: {name: row[name] for name in (*CONTENT, *HASHES)} for row in found}


def found(engine: Engine, **kwargs: Any) -> list[tuple[int | None, TamperKind]]:
    report = verify_chain(engine, **kwargs)
    return [(p.entry_id, p.kind) for p in report.problems]


def set_row(engine: Engine, event_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(**values))


def rehash_from(engine: Engine, first_id: int) -> None:
    """What an attacker with database access does after an edit: recompute every later hash."""
    chain = rows(engine)
    prev = chain[first_id - 1]["entry_hash"] if first_id > 1 else GENESIS_HASH
    for event_id in sorted(i for i in chain if i >= first_id):
        entry = chain_hash(prev, content_of(chain[event_id]))
        set_row(engine, event_id, prev_hash=prev, entry_hash=entry)
        prev = entry


# -- storage: an honest chain, and each kind of tampering ---------------------------------------


def test_an_honest_chain_with_automatic_checkpoints_verifies(store: Engine) -> None:
    sign_checkpoints_automatically(store, key=KEY, every=10)
    try:
        append(store, 95)
    finally:
        sign_checkpoints_automatically(store, key=None, every=10)

    report = verify_chain(store, public_key=KEY.public_key())

    assert report.ok, report.problems
    assert (report.entries, report.checkpoints) == (95, 9)
    assert report.signatures_checked and report.last_checkpointed_entry == 90


def test_an_edited_entry_is_named(store: Engine) -> None:
    append(store, 10)
    set_row(store, 4, details={"n": 3, "rows": 31})
    assert found(store) == [(4, TamperKind.EDITED)]


@pytest.mark.parametrize("column", ["actor", "occurred_at", "flagged", "person_id", "prev_hash"])
def test_an_edit_to_any_column_is_named(store: Engine, column: str) -> None:
    append(store, 6)
    changed = {
        "actor": "someone-else",
        "occurred_at": datetime(2020, 1, 1, tzinfo=UTC),
        "flagged": True,
        "person_id": 424242,
        "prev_hash": "f" * 64,
    }
    set_row(store, 5, **{column: changed[column]})
    assert found(store) == [(5, TamperKind.EDITED)]


def test_an_edited_and_rehashed_entry_is_named(store: Engine) -> None:
    append(store, 8)
    set_row(store, 3, actor="someone-else")
    chain = rows(store)
    set_row(store, 3, entry_hash=chain_hash(chain[3]["prev_hash"], content_of(chain[3])))
    assert found(store) == [(3, TamperKind.EDITED)]


@pytest.mark.parametrize("deleted", [1, 5])
def test_a_deleted_entry_is_reported_at_the_entry_after_it(store: Engine, deleted: int) -> None:
    append(store, 9)
    with store.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == deleted))
    report = verify_chain(store)
    assert [(p.entry_id, p.kind) for p in report.problems] == [(deleted + 1, TamperKind.DELETED)]
    assert f"ids {deleted}..{deleted}" in report.problems[0].explanation


def test_several_deleted_entries_are_one_gap(store: Engine) -> None:
    append(store, 9)
    with store.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id.in_([4, 5, 6])))
    assert found(store) == [(7, TamperKind.DELETED)]


def _forged(prev_hash: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "occurred_at": datetime.now(UTC),
        "actor": "intruder",
        "purpose": "test",
        "action": "test.step",
        "target_type": "test",
        "target_id": "x",
        "person_id": None,
        "flagged": False,
        "details": {"n": -1},
    }
    values.update(prev_hash=prev_hash, entry_hash=chain_hash(prev_hash, content_of(values)))
    return {**values, **overrides}


def test_an_inserted_entry_that_hashes_correctly_is_named(store: Engine) -> None:
    append(store, 8)
    with store.begin() as conn:
        conn.execute(insert(AuditEvent), _forged(rows(store)[4]["entry_hash"]))
    assert found(store) == [(9, TamperKind.INSERTED)]


def _make_room(conn: Connection, *, at: int, last: int) -> None:
    """Move entries ``at``..``last`` up one id, as an attacker renumbering rows would."""
    for event_id in range(last, at - 1, -1):
        conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(id=event_id + 1))


def test_an_entry_inserted_between_two_others_is_named(store: Engine) -> None:
    append(store, 8)
    chain = rows(store)
    with store.begin() as conn:
        for event_id in range(8, 4, -1):
            conn.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(id=event_id + 1)
            )
        conn.execute(insert(AuditEvent), {"id": 5, **_forged(chain[4]["entry_hash"])})
    assert found(store) == [(5, TamperKind.INSERTED)]


def test_an_inserted_entry_with_made_up_hashes_is_named(store: Engine) -> None:
    append(store, 8)
    with store.begin() as conn:
        for event_id in range(8, 4, -1):
            conn.execute(
                update(AuditEvent).where(AuditEvent.id == event_id).values(id=event_id + 1)
            )
        conn.execute(insert(AuditEvent), {"id": 5, **_forged("a" * 64, entry_hash="b" * 64)})
    assert found(store) == [(5, TamperKind.INSERTED)]


def _swap(engine: Engine, first: int, second: int, columns: tuple[str, ...]) -> None:
    chain = rows(engine)
    if "entry_hash" in columns:  # entry_hash is unique: move it aside first
        set_row(engine, first, entry_hash="0" * 63 + "1")
    set_row(engine, second, **{c: chain[first][c] for c in columns})
    set_row(engine, first, **{c: chain[second][c] for c in columns})


@pytest.mark.parametrize("pair", [(3, 4), (2, 6)])
def test_a_reordered_pair_is_named(store: Engine, pair: tuple[int, int]) -> None:
    append(store, 8)
    _swap(store, *pair, CONTENT + HASHES)  # the rows' ids stay; everything else swaps
    assert found(store) == [(pair[0], TamperKind.REORDERED), (pair[1], TamperKind.REORDERED)]


def test_swapped_content_under_unchanged_hashes_is_named_as_reordered(store: Engine) -> None:
    append(store, 8)
    _swap(store, 2, 6, CONTENT)
    report = verify_chain(store)
    assert [(p.entry_id, p.kind) for p in report.problems] == [
        (2, TamperKind.REORDERED),
        (6, TamperKind.REORDERED),
    ]
    assert "written as entry 6" in report.problems[0].explanation


def test_every_problem_is_reported_not_just_the_first(store: Engine) -> None:
    append(store, 12)
    set_row(store, 2, actor="someone-else")
    with store.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == 6))
    _swap(store, 9, 10, CONTENT + HASHES)
    assert found(store) == [
        (2, TamperKind.EDITED),
        (7, TamperKind.DELETED),
        (9, TamperKind.REORDERED),
        (10, TamperKind.REORDERED),
    ]


def test_a_chain_rehashed_after_an_edit_is_caught_by_its_signed_checkpoint(store: Engine) -> None:
    append(store, 5)
    create_checkpoint(store, key=KEY)
    append(store, 5)
    create_checkpoint(store, key=KEY)
    append(store, 2)
    set_row(store, 7, details={"n": 6, "rows": 0})
    rehash_from(store, 7)

    report = verify_chain(store, public_key=KEY.public_key())

    assert [(p.entry_id, p.kind) for p in report.problems] == [(10, TamperKind.CHECKPOINT_MISMATCH)]
    assert "entries 6..10 was changed" in report.problems[0].explanation
    assert report.problems[0].checkpoint_id == 2


def test_deleting_the_checkpointed_tail_is_caught(store: Engine) -> None:
    append(store, 6)
    create_checkpoint(store, key=KEY)
    with store.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id == 6))
    assert found(store) == [(6, TamperKind.CHECKPOINT_MISMATCH)]


def test_a_forged_checkpoint_signature_is_caught(store: Engine) -> None:
    append(store, 6)
    checkpoint = create_checkpoint(store, key=KEY)
    forged = bytes.fromhex(checkpoint.signature)
    with store.begin() as conn:
        conn.execute(
            update(AuditCheckpoint).values(
                signature=bytes([forged[0] ^ 1]).hex() + forged[1:].hex()
            )
        )
    assert found(store, public_key=KEY.public_key()) == [(6, TamperKind.BAD_SIGNATURE)]
    assert found(store) == []  # without the public key, signatures cannot be checked


def test_a_checkpoint_re_signed_with_another_key_is_caught(store: Engine) -> None:
    append(store, 6)
    set_row(store, 3, actor="someone-else")
    rehash_from(store, 3)
    create_checkpoint(store, key=Ed25519PrivateKey.generate())  # the attacker's own key
    report = verify_chain(store, public_key=KEY.public_key())
    assert [(p.entry_id, p.kind) for p in report.problems] == [(6, TamperKind.BAD_SIGNATURE)]
    assert "names another key" in report.problems[0].explanation


def test_a_checkpoint_is_not_repeated_when_nothing_was_appended(store: Engine) -> None:
    append(store, 3)
    first = create_checkpoint(store, key=KEY)
    again = create_checkpoint(store, key=KEY)
    assert again == first
    with store.connect() as conn:
        assert len(conn.execute(select(AuditCheckpoint.id)).all()) == 1


# -- the classification, property-tested against the plain reference ----------------------------


def chain(contents: list[str]) -> list[ChainEntry]:
    entries, prev = [], GENESIS_HASH
    for n, content in enumerate(contents, start=1):
        entry = chain_hash(prev, content)
        entries.append(chain_entry(n, prev, entry, content))
        prev = entry
    return entries


def rebuilt(entry: ChainEntry, content: str, **links: str) -> ChainEntry:
    prev, stored = (
        links.get("prev_hash", entry.prev_hash),
        links.get("entry_hash", entry.entry_hash),
    )
    return chain_entry(entry.id, prev, stored, content)


contents = st.lists(st.text(max_size=8), min_size=1, max_size=30, unique=True).map(
    lambda values: [f"entry:{v}" for v in values]
)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(contents)
def test_an_honest_chain_has_no_problems(values: list[str]) -> None:
    entries = chain(values)
    assert chain_is_intact(entries) and find_problems(entries) == []


@given(contents, st.data())
def test_any_single_row_mutation_is_detected(values: list[str], data: st.DataObject) -> None:
    entries = chain(values)
    k = data.draw(st.integers(0, len(entries) - 1))
    column = data.draw(st.sampled_from(["content", "prev_hash", "entry_hash"]))
    old = entries[k]
    original = values[k] if column == "content" else getattr(old, column)
    new = data.draw(
        (st.text(max_size=10) if column == "content" else hex64).filter(lambda v: v != original)
    )
    if column == "content":
        entries[k] = rebuilt(old, new)
    else:
        entries[k] = rebuilt(old, values[k], **{column: new})

    problems = find_problems(entries)

    assert not chain_is_intact(entries)
    assert problems and all(p.entry_id is not None for p in problems)


@given(contents, st.data())
def test_an_edit_is_named_at_its_entry(values: list[str], data: st.DataObject) -> None:
    entries = chain(values)
    k = data.draw(st.integers(0, len(entries) - 1))
    entries[k] = rebuilt(entries[k], values[k] + "!")
    assert [(p.entry_id, p.kind) for p in find_problems(entries)] == [(k + 1, TamperKind.EDITED)]


@given(contents.filter(lambda v: len(v) >= 2), st.data())
def test_a_deletion_is_named_at_the_entry_after_it(values: list[str], data: st.DataObject) -> None:
    entries = chain(values)
    k = data.draw(st.integers(0, len(entries) - 2))  # deleting the last entry leaves no trace
    del entries[k]
    assert [(p.entry_id, p.kind) for p in find_problems(entries)] == [(k + 2, TamperKind.DELETED)]


@given(contents.filter(lambda v: len(v) >= 2), st.data())
def test_a_swap_is_named_at_both_entries(values: list[str], data: st.DataObject) -> None:
    entries = chain(values)
    first, second = sorted(
        data.draw(st.sets(st.integers(0, len(entries) - 1), min_size=2, max_size=2))
    )
    a, b = entries[first], entries[second]
    entries[first] = chain_entry(a.id, b.prev_hash, b.entry_hash, values[second])
    entries[second] = chain_entry(b.id, a.prev_hash, a.entry_hash, values[first])
    assert [(p.entry_id, p.kind) for p in find_problems(entries)] == [
        (first + 1, TamperKind.REORDERED),
        (second + 1, TamperKind.REORDERED),
    ]


@given(contents.filter(lambda v: len(v) >= 2), st.data())
def test_an_insertion_is_named(values: list[str], data: st.DataObject) -> None:
    entries = chain(values)
    # It claims to follow entry k + 1 (following the last entry would be a plain append).
    k = data.draw(st.integers(0, len(entries) - 2))
    prev = entries[k].entry_hash
    entries.append(chain_entry(len(entries) + 1, prev, chain_hash(prev, "forged"), "forged"))
    assert [(p.entry_id, p.kind) for p in find_problems(entries)] == [
        (len(entries), TamperKind.INSERTED)
    ]


def test_timestamps_are_hashed_to_the_microsecond() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    values = dict.fromkeys(CONTENT, None) | {"occurred_at": at, "flagged": False, "details": {}}
    later = values | {"occurred_at": at + timedelta(microseconds=1)}
    assert content_of(values) != content_of(later)
