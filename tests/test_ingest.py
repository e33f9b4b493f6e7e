"""Ingestion: reconciliation, quarantine, findings, atomic batches and idempotency.

Each test runs on SQLite and on PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from agreements_helpers import agree
from ingest_helpers import MAPPING, good_line, write_health_csv
from wholechild.actions import ingest as ingest_module
from wholechild.actions.ingest import ingest_file
from wholechild.core.records import Severity
from wholechild.formats import LoadOptions
from wholechild.storage.schema import (
    AuditEvent,
    Event,
    IngestBatch,
    IngestFinding,
    QuarantinedRow,
    SourceRecord,
)

TABLES = (IngestBatch, SourceRecord, Event, IngestFinding, QuarantinedRow, AuditEvent)
OPTIONS = LoadOptions(mapping=MAPPING)


@pytest.fixture(autouse=True)
def _health_agreement(request: pytest.FixtureRequest) -> None:
    """The test health files arrive under a data-sharing agreement (test_ingest_agreements.py
    covers what happens without one)."""
    if "store" in request.fixturenames:
        agree(request.getfixturevalue("store"), "test_health")


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in TABLES
        }


def load(engine: Engine, path: Path, **kwargs: object) -> ingest_module.FileReport:
    return ingest_file(
        engine,
        path,
        actor="tester",
        purpose="test",
        format_name="mapped",
        options=OPTIONS,
        **kwargs,  # type: ignore[arg-type]
    )


def test_counts_reconcile_and_bad_rows_are_quarantined_not_dropped(
    store: Engine, tmp_path: Path
) -> None:
    ragged = "P999999,Too,Few,Fields"
    bad_nhs = good_line(500).replace(good_line(500).split(",")[5], "9990000017")
    path = write_health_csv(tmp_path / "health.csv", 5, [ragged, bad_nhs])

    report = load(store, path)

    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 6, 1)
    assert report.reconciles and report.records == 6 and report.events == 6
    rules = {f.rule for f in report.findings}
    assert "nhs_number.bad_check" in rules  # a finding on a record that still loads
    with store.connect() as conn:
        raw = conn.execute(select(QuarantinedRow.raw, QuarantinedRow.row_number)).one()
        flagged = conn.execute(
            select(SourceRecord.nhs_number_check).where(SourceRecord.row_number == 7)
        ).scalar_one()
    assert raw == (ragged, 6)
    assert flagged == "bad_check"
    assert counts(store)["source_record"] == 6


def test_ten_problems_are_ten_findings_with_row_and_field(store: Engine, tmp_path: Path) -> None:
    problems = []
    for n in range(10):
        fields = good_line(100 + n).split(",")
        fields[3] = "31/02/2015" if n % 2 else "not a date"  # date.unparseable x10
        problems.append(",".join(fields))
    report = load(store, write_health_csv(tmp_path / "health.csv", 3, problems))

    dates = [f for f in report.findings if f.rule == "date.unparseable"]
    assert len(dates) == 10
    assert sorted(f.row for f in dates if f.row is not None) == list(range(4, 14))
    assert all(f.field == "DOB" and f.fix for f in dates)
    assert report.rows_quarantined == 0  # a bad date loses the value, not the row


def test_reingesting_the_same_file_loads_nothing_new(store: Engine, tmp_path: Path) -> None:
    path = write_health_csv(tmp_path / "health.csv", 20)
    first = load(store, path)
    before = counts(store)
    again = load(store, path)
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(path.read_bytes())
    renamed = load(store, copy)

    assert first.outcome == "loaded"
    assert again.outcome == "already_loaded" and again.batch_id == first.batch_id
    assert renamed.outcome == "already_loaded"  # identity is the content, not the name
    assert counts(store) == before


def test_a_failure_mid_batch_leaves_the_store_as_it_was(
    store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(store, write_health_csv(tmp_path / "earlier.csv", 10))
    before = counts(store)
    flushes = 0
    real_flush = ingest_module._BatchWriter.flush

    def failing_flush(self: ingest_module._BatchWriter) -> None:
        nonlocal flushes
        flushes += 1
        if flushes == 3:
            raise RuntimeError("disk full")
        real_flush(self)

    monkeypatch.setattr(ingest_module._BatchWriter, "flush", failing_flush)
    with pytest.raises(RuntimeError):
        load(store, write_health_csv(tmp_path / "big.csv", 500), chunk_rows=50)
    assert flushes == 3
    assert counts(store) == before


def test_no_audit_no_action(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(ingest_module, "record_audit", broken_audit)
    before = counts(store)
    with pytest.raises(RuntimeError):
        load(store, write_health_csv(tmp_path / "health.csv", 30))
    assert counts(store) == before


def test_audit_entry_carries_counts_not_childrens_details(store: Engine, tmp_path: Path) -> None:
    report = load(store, write_health_csv(tmp_path / "health.csv", 4))
    with store.connect() as conn:
        entry = conn.execute(select(AuditEvent).where(AuditEvent.action == "ingest.file")).one()
    assert entry.action == "ingest.file" and entry.actor == "tester"
    assert entry.target_id == str(report.batch_id)
    assert entry.details["rows_read"] == 4
    assert "Child1" not in str(entry.details) and "Family" not in str(entry.details)


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from wholechild.actions import ingest
    from wholechild.formats import LoadOptions
    from wholechild.storage.db import make_engine
    sys.path.insert(0, sys.argv[3])
    from ingest_helpers import MAPPING

    real_flush = ingest._BatchWriter.flush
    state = {"n": 0}

    def flush_then_die(self):
        real_flush(self)
        state["n"] += 1
        if state["n"] == 3:  # rows are written inside the open transaction: kill -9 now
            os.kill(os.getpid(), signal.SIGKILL)

    ingest._BatchWriter.flush = flush_then_die
    ingest.ingest_file(make_engine(sys.argv[1]), Path(sys.argv[2]), actor="t", purpose="t",
                       format_name="mapped", options=LoadOptions(mapping=MAPPING), chunk_rows=100)
    """
)


def test_killing_the_process_mid_batch_leaves_the_store_unchanged(
    store: Engine, store_url: str, tmp_path: Path
) -> None:
    load(store, write_health_csv(tmp_path / "earlier.csv", 10))
    before = counts(store)
    big = write_health_csv(tmp_path / "big.csv", 2000)
    store.dispose()  # the child process must be the only writer

    result = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, store_url, str(big), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == -9, result.stderr
    assert counts(store) == before
    again = load(store, big)  # and the same file then loads cleanly
    assert again.outcome == "loaded" and again.rows_loaded == 2000


def test_finding_severities_are_stored(store: Engine, tmp_path: Path) -> None:
    load(store, write_health_csv(tmp_path / "health.csv", 2, ["x,y"]))
    with store.connect() as conn:
        severities = set(conn.execute(select(IngestFinding.severity)).scalars())
    assert Severity.ERROR.value in severities


def test_a_upn_field_holding_a_reason_code_is_stored_as_the_reason(
    store: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "header.csv"
    path.write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/02/2015,WBRI,UN3,,\n")
    report = ingest_file(store, path, actor="t", purpose="t")
    with store.connect() as conn:
        upn, reason, raw = conn.execute(
            select(SourceRecord.upn, SourceRecord.upn_unknown, SourceRecord.upn_raw)
        ).one()
    assert (upn, reason, raw) == (None, "UN3", "UN3")
    assert not [f for f in report.findings if f.rule.startswith("upn.")]
