"""The JSON API fuzzed from its own OpenAPI document (schemathesis, through ASGI: no network).

Every operation is called with generated requests, valid and invalid, by two signed-in users
whose roles reach different operations (a social worker and a data analyst), with the session
cookie and the CSRF token a real client sends. No answer may be a server error, and every
answer must be one the document declares, in the declared shape and media type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from council import load_linked_council, synthesise_council
from web_support import PASSWORD, TestClient, page_csrf, sign_in, web_settings
from wholechild.actions.accounts import seed_demo_accounts
from wholechild.storage.db import make_engine, migrate
from wholechild.web.app import create_app
from wholechild.web.security import CSRF_HEADER, SESSION_COOKIE

USERS = ("social.worker", "data.analyst")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Session:
    username: str
    cookie: str
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.cookie}", CSRF_HEADER: self.csrf}


@dataclass(frozen=True)
class Api:
    app: FastAPI
    sessions: tuple[Session, ...]


# The schema is read from the app when the module loads (schemathesis' lazy fixture loader does
# not work with pytest 9); the ``api`` fixture then points the same app at the council's store.
APP = create_app(
    web_settings(environment="development", cookie_secure=False), make_engine("sqlite://")
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", APP)


def _session(app: FastAPI, username: str) -> Session:
    client = TestClient(app, base_url="http://testserver")
    response = sign_in(client, username, PASSWORD)
    assert response.status_code == 303, response.text
    return Session(username, str(client.cookies.get(SESSION_COOKIE)), page_csrf(client))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("fuzz")
    folder = synthesise_council(root / "council", children=150, seed=1)
    engine = make_engine(f"sqlite:///{root / 'wc.db'}")
    migrate(engine)
    load_linked_council(engine, folder)
    seed_demo_accounts(engine, password=PASSWORD, actor="test")
    placeholder = APP.state.engine
    APP.state.engine = engine
    yield Api(APP, tuple(_session(APP, u) for u in USERS))
    APP.state.engine = placeholder
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_api_answers_every_request_as_documented(case: Any, api: Api) -> None:
    for session in api.sessions:
        case.call_and_validate(headers=session.headers(), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_api_fuzzed_at_length(case: Any, api: Api) -> None:
    for session in api.sessions:
        case.call_and_validate(headers=session.headers(), checks=CHECKS)


def test_the_fuzzer_reaches_the_api_signed_in(api: Api) -> None:
    """The sessions are real: without them the API answers 401, with them 200."""
    client = TestClient(api.app, base_url="http://testserver")
    assert client.get("/api/me").status_code == 401
    for session in api.sessions:
        me = client.get("/api/me", headers=session.headers())
        assert me.status_code == 200 and me.json()["username"] == session.username
