"""``wholechild audit``: verify (exit 0 intact, 1 with each problem named), checkpoint, and
export-key, as a user meets them (a subprocess on a SQLite store, development settings).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from test_audit_verify import append
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import AuditEvent

WHOLECHILD = [sys.executable, "-m", "wholechild.cli"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'audit.db'}",
        "WHOLECHILD_ENVIRONMENT": "development",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [*WHOLECHILD, "audit", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )


def trail(tmp_path: Path, entries: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    append(engine, entries)
    engine.dispose()


def edit_entry(tmp_path: Path, event_id: int) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    with engine.begin() as conn:
        conn.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(actor="mallory"))
    engine.dispose()


def test_checkpoint_then_verify_an_intact_trail(tmp_path: Path) -> None:
    trail(tmp_path, 6)

    signed = run(["checkpoint"], tmp_path)
    checked = run(["verify"], tmp_path)

    assert signed.returncode == 0, signed.stderr
    assert "checkpoint 1: entries 1..6 hash to" in signed.stdout
    assert (tmp_path / "var" / "keys" / "audit-signing.pem").is_file()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "audit trail intact: 6 entries, 1 signed checkpoints (signatures checked)" in (
        checked.stdout
    )


def test_verify_names_each_problem_and_exits_1(tmp_path: Path) -> None:
    trail(tmp_path, 6)
    edit_entry(tmp_path, 3)

    result = run(["verify"], tmp_path)

    assert result.returncode == 1
    assert "entry 3: EDITED: its content no longer hashes to its stored hash." in result.stdout
    assert "How to investigate:" in result.stdout
    assert "NOT intact: 1 problems" in result.stdout
    assert "mallory" not in result.stdout + result.stderr  # ids and kinds, not the content
    assert "Traceback" not in result.stderr


def test_a_verifier_needs_only_the_exported_public_key(tmp_path: Path) -> None:
    trail(tmp_path, 4)
    assert run(["checkpoint"], tmp_path).returncode == 0
    exported = run(["export-key", "--out", "audit.pub.pem"], tmp_path)
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "var" / "keys" / "audit-signing.pem").unlink()  # the verifier has no private key

    good = run(["verify", "--public-key", "audit.pub.pem"], tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    assert run(["export-key", "--out", "other.pub.pem"], other).returncode == 0
    wrong = run(["verify", "--public-key", str(other / "other.pub.pem")], tmp_path)

    assert good.returncode == 0, good.stdout
    assert wrong.returncode == 1
    assert "BAD SIGNATURE" in wrong.stdout and "names another key" in wrong.stdout


def test_production_without_a_signing_key_is_a_configuration_error(tmp_path: Path) -> None:
    trail(tmp_path, 1)
    result = run(["checkpoint"], tmp_path, WHOLECHILD_ENVIRONMENT="production")
    assert result.returncode == 3
    assert "WHOLECHILD_AUDIT_SIGNING_KEY is not set" in result.stderr
    assert "How to fix" in result.stderr and "Traceback" not in result.stderr
