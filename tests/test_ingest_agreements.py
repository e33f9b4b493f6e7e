"""Ingestion under data-sharing agreements: a partner's file is refused unless an agreement
covering its source system is in force on the load date; the council's own statutory returns
need none; loaded rows carry the agreement in their provenance; a refusal writes nothing but
its audit entry. Storage tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, select

from agreements_helpers import agree, load_council_agreements
from ingest_helpers import MAPPING, write_health_csv
from wholechild.actions.ingest import FileReport, ingest_file
from wholechild.formats import _MODULES, LoadOptions, format_named
from wholechild.formats.discover import plan_files
from wholechild.governance.agreements import COUNCIL_OWN_FORMATS, NoAgreementError, needs_agreement
from wholechild.storage.schema import (
    AuditEvent,
    Event,
    IngestBatch,
    IngestFinding,
    QuarantinedRow,
    SourceAddress,
    SourceRecord,
)
from wholechild.synth import synthesise

DATA_TABLES = (IngestBatch, SourceRecord, SourceAddress, Event, IngestFinding, QuarantinedRow)
LOAD_DAY = date(2026, 5, 1)


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def load_health(engine: Engine, path: Path, **kwargs: object) -> FileReport:
    return ingest_file(
        engine,
        path,
        actor="tester",
        purpose="data load",
        format_name="mapped",
        options=LoadOptions(mapping=MAPPING),
        today=LOAD_DAY,
        **kwargs,  # type: ignore[arg-type]
    )


# -- which formats need an agreement: the exempt set is explicit -----------------------------

NEEDS_AGREEMENT = [
    # (format, needs an agreement?, whose system)
    ("cin", False, "the council's social-care system (CIN census)"),
    ("ssda903", False, "the council's social-care system (children looked after)"),
    ("annex-a", False, "the council's social-care system (Ofsted Annex A lists)"),
    ("sen2", False, "the council's SEND system (SEN2 return)"),
    ("school-census", True, "schools' management information systems"),
    ("mapped", True, "a partner agency's extract (health, police, early help, housing)"),
]


@pytest.mark.parametrize(("fmt", "needs", "whose"), NEEDS_AGREEMENT)
def test_only_the_councils_own_formats_are_exempt(fmt: str, needs: bool, whose: str) -> None:
    assert needs_agreement(fmt) is needs, whose
    assert format_named(fmt).name == fmt


def test_every_format_is_in_the_table_above() -> None:
    assert {fmt for fmt, _, _ in NEEDS_AGREEMENT} == set(_MODULES)
    assert {fmt for fmt, needs, _ in NEEDS_AGREEMENT if not needs} == COUNCIL_OWN_FORMATS
    assert needs_agreement("annex_a") is False  # either spelling


# -- a partner's file ------------------------------------------------------------------------


def test_a_partner_file_is_refused_without_an_agreement_and_nothing_is_loaded(
    store: Engine, tmp_path: Path
) -> None:
    path = write_health_csv(tmp_path / "health.csv", 5)
    with pytest.raises(NoAgreementError) as caught:
        load_health(store, path)
    error = caught.value
    assert error.exit_code == 7
    assert "test_health" in error.message and "2026-05-01" in error.message
    assert "health.csv" in error.message and "nothing was loaded" in error.message
    assert "record a data-sharing agreement covering test_health" in error.fix
    assert "wholechild agreements add" in error.fix
    assert all(count(store, t) == 0 for t in DATA_TABLES)
    with store.connect() as conn:
        (entry,) = conn.execute(select(AuditEvent)).all()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "ingest.refused",
        "source_system",
        "test_health",
    )
    assert entry.details["on"] == "2026-05-01" and entry.details["file"] == "health.csv"
    assert "Child1" not in str(entry.details)


DATES = [
    # (agreement start, agreement end, loaded?) for a file loaded on 2026-05-01
    (date(2025, 4, 1), None, True),
    (date(2025, 4, 1), date(2026, 5, 1), True),  # its last day
    (date(2026, 5, 1), date(2027, 3, 31), True),  # its first day
    (date(2025, 4, 1), date(2026, 4, 30), False),  # ended the day before
    (date(2026, 5, 2), None, False),  # starts the day after
]


@pytest.mark.parametrize(("start", "end", "loaded"), DATES)
def test_the_agreement_must_be_in_force_on_the_load_date(
    store: Engine, tmp_path: Path, start: date, end: date | None, loaded: bool
) -> None:
    agree(store, "test_health", ref="DSA-H", start=start, end=end)
    path = write_health_csv(tmp_path / "health.csv", 3)
    if loaded:
        load_health(store, path)
        assert count(store, SourceRecord) == 3
    else:
        with pytest.raises(NoAgreementError, match="in force on 2026-05-01"):
            load_health(store, path)
        assert count(store, SourceRecord) == 0


def test_loaded_rows_carry_the_agreement_in_their_provenance(store: Engine, tmp_path: Path) -> None:
    agree(store, "other_system", ref="DSA-OTHER")
    agree(store, "test_health", ref="DSA-HEALTH-01")
    path = write_health_csv(tmp_path / "health.csv", 4, ["broken"])
    load_health(store, path)
    with store.connect() as conn:
        for table in (IngestBatch, SourceRecord, Event, QuarantinedRow, SourceAddress):
            refs = set(conn.execute(select(table.agreement_ref)).scalars())
            assert refs == {"DSA-HEALTH-01"}, table.__tablename__


def test_an_agreement_for_another_source_system_does_not_help(
    store: Engine, tmp_path: Path
) -> None:
    agree(store, "synthetic_police_encompass", ref="DSA-POLICE", partner="police")
    with pytest.raises(NoAgreementError, match="covering source system test_health"):
        load_health(store, write_health_csv(tmp_path / "health.csv", 2))


def test_a_named_agreement_must_itself_cover_the_file(store: Engine, tmp_path: Path) -> None:
    agree(store, "test_health", ref="DSA-HEALTH-01")
    agree(store, "synthetic_police_encompass", ref="DSA-POLICE", partner="police")
    path = write_health_csv(tmp_path / "health.csv", 2)
    with pytest.raises(NoAgreementError, match="agreement DSA-POLICE is not in force"):
        load_health(store, path, agreement_ref="DSA-POLICE")
    load_health(store, path, agreement_ref="DSA-HEALTH-01")
    with store.connect() as conn:
        assert conn.execute(select(IngestBatch.agreement_ref)).scalar_one() == "DSA-HEALTH-01"


def test_a_file_already_loaded_is_not_refused_again(store: Engine, tmp_path: Path) -> None:
    agree(store, "test_health", ref="DSA-H", start=date(2020, 1, 1), end=date(2026, 5, 1))
    path = write_health_csv(tmp_path / "health.csv", 2)
    load_health(store, path)
    again = ingest_file(
        store, path, actor="t", purpose="p", format_name="mapped",
        options=LoadOptions(mapping=MAPPING), today=date(2026, 6, 1),
    )  # fmt: skip
    assert again.outcome == "already_loaded"


# -- a whole synthetic council ---------------------------------------------------------------


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("council")
    synthesise(children=40, seed=11, out_dir=out)
    return out


def _ingest_each(engine: Engine, council: Path) -> dict[str, str]:
    """Each file's outcome: its format when loaded, 'refused' when refused."""
    outcomes = {}
    for planned in plan_files([council], mapping=None, source_system=None):
        try:
            report = ingest_file(
                engine, planned.path, actor="t", purpose="p",
                format_name="mapped" if planned.options.mapping else "auto",
                options=planned.options,
            )  # fmt: skip
            outcomes[planned.path.name] = report.format or report.outcome
        except NoAgreementError:
            outcomes[planned.path.name] = "refused"
    return outcomes


def test_without_agreements_only_the_councils_own_files_load(store: Engine, council: Path) -> None:
    outcomes = _ingest_each(store, council)
    loaded = {f for f in outcomes.values() if f != "refused"}
    assert loaded == {"cin", "ssda903", "sen2"}
    refused = sorted(name for name, f in outcomes.items() if f == "refused")
    assert "health_extract.csv" in refused and "police_notifications.csv" in refused
    assert "early_help.csv" in refused
    assert any(name.startswith("school_census") for name in refused)
    with store.connect() as conn:
        systems = set(conn.execute(select(IngestBatch.source_system)).scalars())
        refusals = conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "ingest.refused")
        ).scalar_one()
    assert systems == {"cin_census", "ssda903", "sen2"}
    assert refusals == len(refused)


def test_with_the_councils_agreements_every_file_loads_under_its_agreement(
    store: Engine, council: Path
) -> None:
    load_council_agreements(store, council)
    outcomes = _ingest_each(store, council)
    assert "refused" not in outcomes.values()
    with store.connect() as conn:
        rows = conn.execute(select(IngestBatch.source_system, IngestBatch.agreement_ref)).all()
    batches = {row.source_system: row.agreement_ref for row in rows}
    assert batches == {
        "cin_census": None,
        "ssda903": None,
        "sen2": None,
        "school_census": "DSA-SYN-SCHOOLS-01",
        "synthetic_child_health_system": "DSA-SYN-HEALTH-01",
        "synthetic_police_encompass": "DSA-SYN-POLICE-01",
        "synthetic_early_help_module": "DSA-SYN-EARLYHELP-01",
    }


# -- the command line ------------------------------------------------------------------------


def test_cli_refuses_a_partner_file_with_exit_7_then_loads_it_under_an_agreement(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    env["COLUMNS"] = "200"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wholechild.cli", *args],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
        )  # fmt: skip

    write_health_csv(tmp_path / "health.csv", 3)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(MAPPING))
    refused = run("ingest", "health.csv", "--mapping", "m.yaml")
    assert refused.returncode == 7
    assert "no agreement is in force" in refused.stderr and "test_health" in refused.stderr
    assert "Traceback" not in refused.stderr
    added = run(
        "agreements", "add", "--ref", "DSA-T", "--title", "T", "--party", "A", "--party", "B",
        "--partner", "health", "--purpose", "safeguarding_enquiry", "--category", "health",
        "--lawful-basis", "6(1)(e)", "--art9", "9(2)(h)", "--schedule1", "Sch.1 Pt.1 para 2",
        "--start", "2020-01-01", "--review", "2099-01-01", "--source-system", "test_health",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    loaded = run("ingest", "health.csv", "--mapping", "m.yaml")
    assert loaded.returncode == 0, loaded.stderr
    assert "health.csv" in loaded.stdout
