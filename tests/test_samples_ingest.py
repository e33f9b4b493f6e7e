"""Every public sample file in ../shared/samples ingests: detected, reconciled, no crash.

These files were written by the UK local-authority data community, not by us: they are the
real-world check that our loaders read what councils actually hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from agreements_helpers import agree
from conftest import samples_dir
from wholechild.actions.ingest import ingest_file
from wholechild.core.records import Severity
from wholechild.storage.schema import IngestBatch, QuarantinedRow, SourceRecord

EXPECTED_FORMAT = {
    "cin": "cin",
    "ssda903": "ssda903",
    "school_census": "school-census",
    "annex_a": "annex-a",
    "sen2": "sen2",
}


def sample_files() -> list[Path]:
    root = samples_dir()
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.glob("*/*")
        if p.parent.name in EXPECTED_FORMAT and p.suffix.lower() in {".xml", ".csv", ".xlsx"}
    )


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_file_ingests_and_reconciles(path: Path, tmp_path: Path) -> None:
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'samples.db'}")
    migrate(engine)
    agree(engine, "school_census", partner="education")  # schools are partners: they need one
    report = ingest_file(engine, path, actor="tester", purpose="test")

    assert report.outcome == "loaded", report.error
    assert report.format == EXPECTED_FORMAT[path.parent.name]
    assert report.rows_read > 0 and report.reconciles
    stored = _stored_counts(engine)
    assert stored["quarantined"] == report.rows_quarantined
    assert stored["records"] == report.records
    assert stored["batch_rows"] == report.rows_read
    actionable = [f for f in report.findings if f.severity is not Severity.INFO]
    assert all(f.rule and f.message and f.fix for f in actionable)


def _stored_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "quarantined": conn.execute(
                select(func.count()).select_from(QuarantinedRow)
            ).scalar_one(),
            "records": conn.execute(select(func.count()).select_from(SourceRecord)).scalar_one(),
            "batch_rows": conn.execute(select(IngestBatch.rows_read)).scalar_one(),
        }


def test_the_fake_upns_in_the_samples_are_reported_not_loaded_silently(
    samples: Path, tmp_path: Path
) -> None:
    """PROVENANCE.md: most fake UPNs fail the check letter; a correct ingester says so."""
    from wholechild.storage.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'samples.db'}")
    migrate(engine)
    report = ingest_file(engine, samples / "ssda903" / "header.csv", actor="t", purpose="t")
    upn_findings = [f for f in report.findings if f.rule.startswith("upn.")]
    assert len(upn_findings) > report.records // 2
    assert report.rows_quarantined == 0  # flagged, still loaded


def test_samples_are_present_in_ci() -> None:
    import os

    if os.environ.get("CI") and not sample_files():
        pytest.fail(f"no sample files found at {samples_dir()} in CI")
