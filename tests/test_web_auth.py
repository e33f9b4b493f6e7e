"""Signing in and out through the web app: cookies, lock-out, sessions, sign-in CSRF, each
audited (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, update

from web_support import (
    PASSWORD,
    add_account,
    csrf_from,
    fast_password_hashes,  # noqa: F401 - autouse fixture
    make_client,
    sign_in,
    signed_in,
    web_settings,
)
from wholechild.storage.schema import AuditEvent, UserSession
from wholechild.web.security import PRESESSION_COOKIE, SESSION_COOKIE, cookie_secure


@pytest.fixture
def engine(store: Engine) -> Engine:
    add_account(store, "sam.worker", "social_worker", "social_care")
    return store


def _actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_pages_redirect_to_sign_in_and_back(engine: Engine) -> None:
    client = make_client(engine)
    response = client.get("/search?q=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/search%3Fq%3Dx"
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'name="next" value="/search?q=x"' in page.text


def test_sign_in_sets_a_secure_httponly_lax_session_cookie(engine: Engine) -> None:
    client = make_client(engine)
    response = sign_in(client, "sam.worker")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "Signed in as Sam Worker" in home.text
    assert _actions(engine)[-1] == "sign_in"


@pytest.mark.parametrize(
    ("cookie_setting", "environment", "secure"),
    [
        (None, "development", False),
        (None, "test", True),
        (None, "production", True),
        (True, "development", True),
        (False, "production", False),
    ],
)
def test_cookie_secure_rule(cookie_setting: bool | None, environment: str, secure: bool) -> None:
    settings = web_settings(cookie_secure=cookie_setting).model_copy(
        update={"environment": environment}
    )
    assert cookie_secure(settings) is secure


def test_wrong_password_shows_the_problem_and_is_audited(engine: Engine) -> None:
    client = make_client(engine)
    response = sign_in(client, "sam.worker", "not the password")
    assert response.status_code == 401
    assert "The username or password is not right." in response.text
    assert "govuk-error-summary" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _actions(engine)[-1] == "sign_in_failed"


def test_lock_out_through_the_form_then_unlock_page_message(engine: Engine) -> None:
    settings = web_settings(lockout_attempts=2, lockout_minutes=10)
    client = make_client(engine, settings)
    sign_in(client, "sam.worker", "wrong password one")
    locked = sign_in(client, "sam.worker", "wrong password two")
    assert locked.status_code == 401 and "locked" in locked.text
    right = sign_in(client, "sam.worker", PASSWORD)
    assert right.status_code == 401 and "locked" in right.text
    assert _actions(engine)[-3:] == ["sign_in_failed", "account_locked", "sign_in_refused_locked"]


def test_sign_in_form_needs_the_pre_session_token(engine: Engine) -> None:
    client = make_client(engine)
    page = client.get("/sign-in")
    assert PRESESSION_COOKIE in page.cookies
    forged = client.post(
        "/sign-in",
        data={"username": "sam.worker", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "did not come from wholechild" in forged.text
    missing = make_client(engine).post(
        "/sign-in",
        data={"username": "sam.worker", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert missing.status_code == 403  # a token without its cookie (another browser)
    assert "sign_in" not in _actions(engine)


def test_sign_out_revokes_the_session_server_side(engine: Engine) -> None:
    client = signed_in(engine, "sam.worker")
    token = client.cookies.get(SESSION_COOKIE)
    home = client.get("/")
    out = client.post(
        "/sign-out", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    replay = make_client(engine)
    replay.cookies.set(SESSION_COOKIE, token or "")
    assert replay.get("/", follow_redirects=False).status_code == 303
    assert replay.get("/api/me").status_code == 401
    assert _actions(engine)[-1] == "sign_out"


def test_expired_session_is_signed_out(engine: Engine) -> None:
    client = signed_in(engine, "sam.worker")
    with engine.begin() as conn:
        conn.execute(update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert client.get("/", follow_redirects=False).status_code == 303
    me = client.get("/api/me")
    assert me.status_code == 401
    assert me.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_next_never_leaves_the_site(engine: Engine, target: str) -> None:
    client = make_client(engine)
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "username": "sam.worker",
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_signed_in_user_visiting_sign_in_goes_home(engine: Engine) -> None:
    client = signed_in(engine, "sam.worker")
    response = client.get("/sign-in", follow_redirects=False)
    assert response.status_code == 303


def test_oidc_routes_absent_unless_configured(engine: Engine) -> None:
    client = make_client(engine)
    assert "Sign in with your council account" not in client.get("/sign-in").text
    response = client.get("/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 404 and "not set up here" in response.text
