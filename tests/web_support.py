"""Helpers for the web tests: an app on a store, and a browser-like client that signs in.

Shared by tests/test_web_*.py and the browser and security-matrix tests."""

from __future__ import annotations

import re
import shutil
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select
from starlette.exceptions import StarletteDeprecationWarning

from wholechild.actions import accounts
from wholechild.actions.accounts import create_account, seed_demo_accounts
from wholechild.settings import Settings
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import IngestBatch, LinkageRun, ReviewItem, SourceRecord
from wholechild.web.app import create_app

with warnings.catch_warnings():
    # Starlette announces a future move of its test client to httpx2; nothing to do yet.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PASSWORD = "a password long enough"
NODE_MODULES = Path(__file__).resolve().parents[1] / "node_modules"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


# Tests hash with cheap argon2id parameters (the algorithm and code path are the real ones).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Import into a test module to make its password hashing cheap."""
    monkeypatch.setattr(accounts, "_hasher", FAST_HASHER)


def web_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "test", "assets_dir": NODE_MODULES, **overrides}
    return Settings(**values)


def make_client(engine: Engine, settings: Settings | None = None) -> TestClient:
    """A client on HTTPS (the session cookie is Secure outside development)."""
    app = create_app(settings or web_settings(), engine)
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


def add_account(
    engine: Engine, username: str, role: str, agency: str, team: str | None = None
) -> None:
    create_account(
        engine,
        username=username,
        display_name=username.replace(".", " ").title(),
        password=PASSWORD,
        role=role,
        agency=agency,
        team=team,
        actor="test",
        purpose="administration",
    )


def csrf_from(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, as a browser does; returns the POST's response."""
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def signed_in(engine: Engine, username: str, settings: Settings | None = None) -> TestClient:
    client = make_client(engine, settings)
    response = sign_in(client, username)
    assert response.status_code == 303, response.text
    return client


def page_csrf(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token, read from a page's sign-out form."""
    return csrf_from(client.get(path).text)


# -- a small linked council ------------------------------------------------------------------


def build_council(root: Path) -> Path:
    """150 synthetic children (seed 1), ingested and linked, with the demo accounts (password
    PASSWORD) and an open review item between two persons: a template store to copy."""
    from council import load_linked_council, synthesise_council

    folder = synthesise_council(root / "council", children=150, seed=1)
    path = root / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_linked_council(engine, folder)
    with patch.object(accounts, "_hasher", FAST_HASHER):
        seed_demo_accounts(engine, password=PASSWORD, actor="test")
    _open_review_item(engine)
    engine.dispose()
    return path


def council_copy(template: Path, folder: Path) -> Engine:
    """A fresh copy of the template store, for one test to change as it likes."""
    copy = folder / "wc.db"
    shutil.copy(template, copy)
    return make_engine(f"sqlite:///{copy}")


def _open_review_item(engine: Engine) -> None:
    """A pair for clerical review between two persons' records (as a run would leave it), so
    that there is always one to merge."""
    with engine.begin() as conn:
        run_id = conn.scalar(select(func.max(LinkageRun.id)))
        firsts = conn.execute(
            select(func.min(SourceRecord.id))
            .where(SourceRecord.person_id.is_not(None))
            .group_by(SourceRecord.person_id)
            .limit(2)
        ).scalars()
        left, right = sorted(firsts)
        conn.execute(
            insert(ReviewItem),
            {
                "run_id": run_id, "record_l": left, "record_r": right, "match_weight": 1.5,
                "match_probability": 0.74, "status": "open", "opened_at": datetime.now(UTC),
            },
        )  # fmt: skip


def scalar(engine: Engine, query: Any) -> Any:
    with engine.connect() as conn:
        return conn.scalar(query)


def pair_item(engine: Engine) -> int:
    """An open review item whose two records are (so far) different persons."""
    left = SourceRecord.__table__.alias("left_record")
    right = SourceRecord.__table__.alias("right_record")
    query = (
        select(func.min(ReviewItem.id))
        .join(left, left.c.id == ReviewItem.record_l)
        .join(right, right.c.id == ReviewItem.record_r)
        .where(ReviewItem.status == "open", left.c.person_id != right.c.person_id)
    )
    return int(scalar(engine, query))


def person_with(engine: Engine, *agencies: str) -> int:
    """The lowest person id holding unsealed records from each of ``agencies``."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(SourceRecord.person_id, IngestBatch.agency)
            .join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
            .where(SourceRecord.person_id.is_not(None), SourceRecord.sealed.is_(False))
        ).all()
    held: dict[int, set[str]] = {}
    for person, agency in rows:
        held.setdefault(person, set()).add(agency)
    return min(p for p, found in held.items() if set(agencies) <= found)


__all__ = [
    "PASSWORD",
    "TestClient",
    "add_account",
    "build_council",
    "council_copy",
    "csrf_from",
    "fast_password_hashes",
    "make_client",
    "page_csrf",
    "pair_item",
    "person_with",
    "scalar",
    "sign_in",
    "signed_in",
    "web_settings",
]
