"""The CLI as a user meets it: reconciled output, clear errors, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from agreements_helpers import agreement_yaml
from conftest import sample_file
from ingest_helpers import MAPPING, write_health_csv

WHOLECHILD = [sys.executable, "-m", "wholechild.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        WHOLECHILD + args,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )


def agree_cli(tmp_path: Path) -> None:
    """Record the data-sharing agreement the test health files arrive under."""
    (tmp_path / "agreements.yaml").write_text(agreement_yaml("test_health"))
    assert run(["agreements", "load", "agreements.yaml"], tmp_path).returncode == 0


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("synth", "ingest", "db"):
        assert command in result.stdout


def test_ingest_a_folder_with_a_sidecar_mapping_prints_the_reconciliation(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_health_csv(folder / "health.csv", 12, ["P1,too,short"])
    (folder / "health.mapping.yaml").write_text(yaml.safe_dump(MAPPING))
    findings = tmp_path / "findings.csv"
    agree_cli(tmp_path)

    result = run(["ingest", str(folder), "--findings", str(findings)], tmp_path)

    assert result.returncode == 0, result.stderr
    assert "health.csv" in result.stdout and "13" in result.stdout  # 13 read
    assert "csv.shape" in result.stdout
    assert findings.read_text().count("csv.shape") == 1
    again = run(["ingest", str(folder)], tmp_path)
    assert "already loaded" in again.stdout


def test_strict_fails_when_rows_are_quarantined(tmp_path: Path) -> None:
    path = write_health_csv(tmp_path / "health.csv", 3, ["broken"])
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(MAPPING))
    agree_cli(tmp_path)
    result = run(["ingest", str(path), "--mapping", str(tmp_path / "m.yaml"), "--strict"], tmp_path)
    assert result.returncode == 1


def test_a_missing_path_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = run(["ingest", str(tmp_path / "nope.csv")], tmp_path)
    assert result.returncode == 5
    assert "not found" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unrecognised_file_is_reported_and_exits_1(tmp_path: Path) -> None:
    odd = tmp_path / "mystery.dat"
    odd.write_text("nothing anyone would recognise\n")
    result = run(["ingest", str(odd)], tmp_path)
    assert result.returncode == 1
    assert "could not tell which format" in result.stderr + result.stdout


def test_an_unreachable_store_is_exit_4(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    path = write_health_csv(tmp_path / "h.csv", 1)
    result = run(["ingest", str(path)], tmp_path, WHOLECHILD_DATABASE_URL=url)
    assert result.returncode == 4
    assert "cannot open the store" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_settings_are_all_reported_together(tmp_path: Path) -> None:
    result = run(
        ["db", "upgrade"], tmp_path, WHOLECHILD_DATABASE_URL="mysql://x", WHOLECHILD_LA_CODE="12"
    )
    assert result.returncode == 3
    assert "WHOLECHILD_DATABASE_URL" in result.stderr and "WHOLECHILD_LA_CODE" in result.stderr


def test_an_internal_error_goes_to_the_log_not_the_screen(tmp_path: Path) -> None:
    # A directory where the SQLite file should be makes SQLAlchemy fail in an unexpected way.
    (tmp_path / "cli.db").mkdir()
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode in (4, 70)
    assert "Traceback" not in result.stderr + result.stdout


def test_the_schema_folder_is_configurable(tmp_path: Path) -> None:
    cin = sample_file("cin", "CIN2rows.xml")
    empty = tmp_path / "no-schemas"
    empty.mkdir()
    found = run(
        ["ingest", str(cin), "--findings", "f1.csv"],
        tmp_path,
        WHOLECHILD_SCHEMAS_DIR=str(cin.parent.parent),
    )
    missing = run(
        ["ingest", str(cin), "--findings", "f2.csv"],
        tmp_path,
        WHOLECHILD_SCHEMAS_DIR=str(empty),
        WHOLECHILD_DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}",
    )
    assert found.returncode == 0 and missing.returncode == 0
    assert "xsd.unavailable" not in (tmp_path / "f1.csv").read_text()
    assert "xsd.unavailable" in (tmp_path / "f2.csv").read_text()
