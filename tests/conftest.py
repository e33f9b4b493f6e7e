"""Shared fixtures: a migrated store on SQLite and on PostgreSQL, and the sample files.

PostgreSQL tests skip when it is unreachable, unless WHOLECHILD_REQUIRE_POSTGRES=1 (as CI sets),
in which case they fail: the production store is never silently untested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, create_engine, text

from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import Base

REPO = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "WHOLECHILD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def samples_dir() -> Path:
    """The shared public sample files: WHOLECHILD_SAMPLES, else ../shared/samples."""
    return Path(os.environ.get("WHOLECHILD_SAMPLES") or REPO.parent / "shared" / "samples")


def sample_folder(name: str) -> Path:
    """A folder under the samples folder; the test skips, saying where it looked, if absent."""
    path = samples_dir() / name
    if not path.is_dir():
        pytest.skip(f"sample folder {path} not found (set WHOLECHILD_SAMPLES)")
    return path


def sample_file(*parts: str) -> Path:
    """A file under the samples folder; the test skips, saying where it looked, if absent."""
    path = samples_dir().joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"sample file {path} not found (set WHOLECHILD_SAMPLES)")
    return path


@pytest.fixture
def samples() -> Path:
    folder = samples_dir()
    if not folder.is_dir():
        pytest.skip(f"shared sample files not found at {folder} (set WHOLECHILD_SAMPLES)")
    return folder


def _postgres_unavailable(reason: str) -> NoReturn:
    if os.environ.get("WHOLECHILD_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (WHOLECHILD_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database ``PREFIX_<random>`` on the PostgreSQL server (its URL), dropped
    afterwards; skips (or fails, when required) if the server is unreachable."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is "unreachable"
        _postgres_unavailable(f"{type(exc).__name__} at {PG_ADMIN_URL}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_store(kind: str, prefix: str, folder: Path) -> Iterator[Engine]:
    """A new, migrated store of its own: ``kind`` "sqlite" (a file in ``folder``) or
    "postgres" (a database ``PREFIX_<random>``, dropped afterwards)."""
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{folder / 'wc.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database(prefix))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        migrate(engine)
        yield engine


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway database on the PostgreSQL server, migrated once, dropped at the end."""
    with fresh_postgres_database("wholechild_test") as url:
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'wholechild.db'}")
        migrate(engine)
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        _truncate_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store_url(store: Engine) -> str:
    return store.url.render_as_string(hide_password=False)
