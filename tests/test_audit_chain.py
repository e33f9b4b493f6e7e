"""Writing the audit chain: serialised appends, automatic signed checkpoints in the same
transaction, the signing key, and "audit write fails => nothing written". Each storage test runs
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import stat
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, column, create_engine, func, select, table, text, update

from agreements_helpers import agree
from conftest import PG_ADMIN_URL, _postgres_unavailable
from ingest_helpers import MAPPING, write_health_csv
from test_audit_verify import KEY, append
from test_linkage_persist import add_records, count, persons, review_queue, run, scored
from wholechild.actions import audit as audit_module
from wholechild.actions.audit import record_audit
from wholechild.actions.ingest import ingest_file
from wholechild.actions.review import decide_pair
from wholechild.audit import (
    create_checkpoint,
    enable_automatic_checkpoints,
    key_id,
    load_or_create_signing_key,
    sign_checkpoints_automatically,
    verify_chain,
)
from wholechild.audit.chain import GENESIS_HASH
from wholechild.audit.keys import load_public_key, write_public_key
from wholechild.errors import ConfigurationError, InputFileError
from wholechild.formats import LoadOptions
from wholechild.settings import Settings
from wholechild.storage.db import alembic_config, make_engine, migrate
from wholechild.storage.schema import (
    AuditCheckpoint,
    AuditEvent,
    Event,
    IngestBatch,
    IngestFinding,
    Person,
    QuarantinedRow,
    ReviewDecision,
    SourceRecord,
)


def total(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# -- appending ----------------------------------------------------------------------------------


def test_entries_link_to_the_one_before(store: Engine) -> None:
    append(store, 3)
    with store.connect() as conn:
        links = conn.execute(
            select(AuditEvent.prev_hash, AuditEvent.entry_hash).order_by(AuditEvent.id)
        ).all()
    assert links[0].prev_hash == GENESIS_HASH
    assert [b.prev_hash for b in links[1:]] == [a.entry_hash for a in links[:-1]]
    assert verify_chain(store).ok


def test_several_entries_in_one_transaction_chain_in_order(store: Engine) -> None:
    with store.begin() as conn:
        ids = [
            record_audit(
                conn,
                actor="a",
                purpose="p",
                action="x",
                target_type="t",
                target_id=None,
                details={"n": n},
            )
            for n in range(3)
        ]
    assert ids == sorted(ids) and verify_chain(store).ok


def test_a_rolled_back_entry_leaves_the_chain_intact(store: Engine) -> None:
    append(store, 2)
    with pytest.raises(RuntimeError), store.begin() as conn:
        record_audit(
            conn, actor="a", purpose="p", action="x", target_type="t", target_id=None, details={}
        )
        raise RuntimeError("the action failed after its audit entry")
    append(store, 2)  # on PostgreSQL the rolled-back id is a gap; the links do not break
    report = verify_chain(store)
    assert report.ok and report.entries == 4


@pytest.fixture
def slow_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading the chain's head and appending after it."""
    real = audit_module.chain_hash

    def slow(prev_hash: str, content: str) -> str:
        time.sleep(0.002)
        return real(prev_hash, content)

    monkeypatch.setattr(audit_module, "chain_hash", slow)


@pytest.mark.usefixtures("slow_hashing")
def test_concurrent_appends_never_follow_the_same_head(store: Engine) -> None:
    threads, each = 4, 25
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            append(store, each, actor=f"worker-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert failures == []
    with store.connect() as conn:
        heads = conn.execute(select(func.count(func.distinct(AuditEvent.prev_hash)))).scalar_one()
    assert heads == threads * each  # no two entries follow the same head: no fork
    report = verify_chain(store)
    assert report.ok and report.entries == threads * each


# -- automatic checkpoints ----------------------------------------------------------------------


@contextmanager
def signing(engine: Engine, every: int) -> Iterator[None]:
    sign_checkpoints_automatically(engine, key=KEY, every=every)
    try:
        yield
    finally:
        sign_checkpoints_automatically(engine, key=None, every=every)


def test_a_checkpoint_is_signed_every_n_entries(store: Engine) -> None:
    with signing(store, every=5):
        append(store, 12)
    with store.connect() as conn:
        signed = conn.execute(
            select(AuditCheckpoint.last_event_id).order_by(AuditCheckpoint.id)
        ).scalars()
        assert list(signed) == [5, 10]
    assert verify_chain(store, public_key=KEY.public_key()).ok


def test_a_checkpoint_rolls_back_with_its_entry(store: Engine) -> None:
    with signing(store, every=1), pytest.raises(RuntimeError), store.begin() as conn:
        record_audit(
            conn, actor="a", purpose="p", action="x", target_type="t", target_id=None, details={}
        )
        raise RuntimeError("the action failed")
    assert total(store, AuditCheckpoint) == total(store, AuditEvent) == 0


def test_the_entry_point_enables_checkpoints_from_settings(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the development key goes under ./var/keys
    settings = Settings(environment="test", audit_checkpoint_every=3, _env_file=None)  # type: ignore[call-arg]
    enable_automatic_checkpoints(store, settings)
    try:
        append(store, 7)
    finally:
        sign_checkpoints_automatically(store, key=None, every=1)
    key = load_or_create_signing_key(settings)
    report = verify_chain(store, public_key=key.public_key())
    assert report.ok and report.checkpoints == 2 and report.last_checkpointed_entry == 6


def test_without_a_registered_key_no_checkpoint_is_signed(store: Engine) -> None:
    append(store, 3)
    assert total(store, AuditCheckpoint) == 0


def test_checkpointing_an_empty_trail_says_so(store: Engine) -> None:
    with pytest.raises(Exception, match="nothing to sign"):
        create_checkpoint(store, key=KEY)


# -- no audit, no action ------------------------------------------------------------------------


@contextmanager
def audit_table_offline(engine: Engine) -> Iterator[None]:
    """The audit table cannot be written: every audit write inside an action fails."""
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit_event RENAME TO audit_event_offline"))
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_event_offline RENAME TO audit_event"))


INGEST_TABLES = (IngestBatch, SourceRecord, Event, IngestFinding, QuarantinedRow)


def test_ingest_writes_nothing_when_its_audit_entry_fails(store: Engine, tmp_path: Path) -> None:
    def load(path: Path) -> None:
        ingest_file(
            store,
            path,
            actor="tester",
            purpose="test",
            format_name="mapped",
            options=LoadOptions(mapping=MAPPING),
        )

    agree(store, "test_health")  # partner files need a data-sharing agreement
    load(write_health_csv(tmp_path / "first.csv", 10))
    before = [total(store, t) for t in (*INGEST_TABLES, AuditEvent)]
    with audit_table_offline(store), pytest.raises(Exception, match="audit_event"):
        load(write_health_csv(tmp_path / "second.csv", 20, ["P1,too,short"]))
    assert [total(store, t) for t in (*INGEST_TABLES, AuditEvent)] == before
    assert before[0] == 1 and verify_chain(store).ok


def test_a_review_decision_is_not_stored_when_its_audit_entry_fails(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    run(store, [a, b, c], scored([(a, b, 0.99), (b, c, 0.8)]))
    before = (persons(store), count(store, Person), review_queue(store), total(store, AuditEvent))
    with audit_table_offline(store), pytest.raises(Exception, match="audit_event"):
        decide_pair(
            store,
            record_l=b,
            record_r=c,
            decision="same",
            reviewer="reviewer@council",
            reason="checked with the school",
            purpose="linkage review",
        )
    after = (persons(store), count(store, Person), review_queue(store), total(store, AuditEvent))
    assert after == before
    assert total(store, ReviewDecision) == 0
    assert verify_chain(store).ok


# -- the signing key ----------------------------------------------------------------------------


def test_development_creates_an_owner_only_key_once(tmp_path: Path) -> None:
    settings = Settings(environment="development", _env_file=None)  # type: ignore[call-arg]
    first = load_or_create_signing_key(settings, keys_dir=tmp_path / "keys")
    again = load_or_create_signing_key(settings, keys_dir=tmp_path / "keys")
    (path,) = (tmp_path / "keys").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_id(first.public_key()) == key_id(again.public_key())


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    settings = Settings(environment="production", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="WHOLECHILD_AUDIT_SIGNING_KEY") as caught:
        load_or_create_signing_key(settings, keys_dir=tmp_path)
    assert "openssl genpkey" in caught.value.fix
    assert list(tmp_path.iterdir()) == []


def test_production_uses_the_configured_key(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = Settings(
        environment="production",
        audit_signing_key=path,
        _env_file=None,  # type: ignore[call-arg]
    )
    assert key_id(load_or_create_signing_key(settings).public_key()) == key_id(KEY.public_key())


def test_a_key_that_is_not_ed25519_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-key.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
    settings = Settings(audit_signing_key=path, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="not an unencrypted PEM private key"):
        load_or_create_signing_key(settings)


def test_the_exported_public_key_verifies_and_names_the_same_key(tmp_path: Path) -> None:
    kid = write_public_key(KEY, tmp_path / "audit.pub.pem")
    public = load_public_key(tmp_path / "audit.pub.pem")
    assert kid == key_id(public) == key_id(KEY.public_key())
    assert key_id(Ed25519PrivateKey.generate().public_key()) != kid
    with pytest.raises(InputFileError):
        load_public_key(tmp_path / "missing.pem")


# -- entries written before the chain existed (migration 0003 back-fills their hashes) ----------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_at_0002(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store migrated only to revision 0002 (before the hash chain)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield from _at_0002(engine)
        return
    name = f"wholechild_audit_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is "unreachable"
        _postgres_unavailable(f"{type(exc).__name__} at {PG_ADMIN_URL}")
    try:
        yield from _at_0002(make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _at_0002(engine: Engine) -> Iterator[Engine]:
    command.upgrade(alembic_config(engine), "0002")
    yield engine
    engine.dispose()


def test_entries_from_before_the_chain_are_chained_by_the_migration(store_at_0002: Engine) -> None:
    start = datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)
    old = [
        {
            "occurred_at": start + timedelta(minutes=n),
            "actor": "cli",
            "purpose": "data load",
            "action": "ingest.file",
            "target_type": "ingest_batch",
            "target_id": str(n),
            "details": {"rows_read": n * 100, "file": f"extract-{n}.csv"},
        }
        for n in range(5)
    ]
    legacy = table("audit_event", *(column(name) for name in old[0]))
    with store_at_0002.begin() as conn:
        for values in old:
            conn.execute(
                legacy.insert().values(**{**values, "details": json.dumps(values["details"])})
            )

    migrate(store_at_0002)
    append(store_at_0002, 3)

    report = verify_chain(store_at_0002)
    assert report.ok, report.problems
    assert report.entries == 8
    with store_at_0002.begin() as conn:
        conn.execute(
            update(AuditEvent).where(AuditEvent.id == 2).values(details={"rows_read": 999})
        )
    assert [(p.entry_id, p.kind.value) for p in verify_chain(store_at_0002).problems] == [
        (2, "edited")
    ]
