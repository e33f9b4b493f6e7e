"""OpenID Connect sign-in, offline: a fake issuer (discovery document, JWKS, token endpoint)
behind an httpx MockTransport, and ID tokens signed with a throwaway RSA key. authlib's real
validation runs: signature, issuer, audience, nonce, expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import Engine, select

from web_support import (  # noqa: F401 - fast_password_hashes: autouse fixture
    TestClient,
    fast_password_hashes,
    make_client,
    web_settings,
)
from wholechild.actions.accounts import create_account
from wholechild.storage.schema import AuditEvent
from wholechild.web.oidc import FLOW_COOKIE, build_client
from wholechild.web.security import SESSION_COOKIE

ISSUER = "https://login.example.test/tenant-1/v2.0"
CLIENT_ID = "wholechild-client"
KEY = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def _id_token(nonce: str, subject: str, *, key: RSAKey = KEY, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER, "aud": CLIENT_ID, "sub": f"pairwise-{subject}", "oid": subject,
        "nonce": nonce, "iat": now, "exp": now + 600, **claims,
    }  # fmt: skip
    return jwt.encode({"alg": "RS256", "kid": "key-1"}, payload, key)


def _issuer(make_token: Callable[[str], str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(200, json={
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            })  # fmt: skip
        if path.endswith("/keys"):
            return httpx.Response(200, json={"keys": [KEY.as_dict(private=False)]})
        if path.endswith("/token"):
            code = parse_qs(request.content.decode())["code"][0]
            return httpx.Response(200, json={
                "access_token": "at", "token_type": "Bearer", "expires_in": 600,
                "id_token": make_token(code),
            })  # fmt: skip
        return httpx.Response(404)

    return httpx.MockTransport(handle)


@pytest.fixture
def oidc_settings() -> Any:
    return web_settings(
        oidc_issuer=ISSUER, oidc_client_id=CLIENT_ID, oidc_client_secret="s3cret-for-tests"
    )


def _client(engine: Engine, settings: Any, make_token: Callable[[str, str], str]) -> TestClient:
    """The app with the issuer replaced; ``make_token(nonce, code)`` signs the ID token."""
    client = make_client(engine, settings)
    nonces: dict[str, str] = {}
    client.app.state.oidc = build_client(  # type: ignore[attr-defined]
        settings, transport=_issuer(lambda code: make_token(nonces["nonce"], code))
    )
    client.nonces = nonces  # type: ignore[attr-defined]
    return client


def _start(client: TestClient) -> str:
    """Begin sign-in; returns the state the provider would send back."""
    response = client.get("/auth/oidc/login", follow_redirects=False)
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "https://testserver/auth/oidc/callback"
    assert FLOW_COOKIE in client.cookies
    client.nonces["nonce"] = query["nonce"]  # type: ignore[attr-defined]
    return query["state"]


def _provisioned(engine: Engine) -> Engine:
    create_account(
        engine, username="entra.user", display_name="Entra User", password=None,
        role="social_worker", agency="social_care", team=None, actor="test",
        purpose="administration", oidc_subject="oid-0001",
    )  # fmt: skip
    return engine


def test_sign_in_page_offers_council_sign_in_when_configured(
    store: Engine, oidc_settings: Any
) -> None:
    page = make_client(store, oidc_settings).get("/sign-in")
    assert "Sign in with your council account" in page.text
    assert 'href="/auth/oidc/login"' in page.text


def test_callback_with_a_valid_id_token_signs_in_the_provisioned_account(
    store: Engine, oidc_settings: Any
) -> None:
    client = _client(_provisioned(store), oidc_settings, lambda n, _c: _id_token(n, "oid-0001"))
    state = _start(client)
    response = client.get(f"/auth/oidc/callback?code=abc&state={state}", follow_redirects=False)
    assert response.status_code == 303, response.text
    assert SESSION_COOKIE in response.cookies
    assert "Signed in as Entra User" in client.get("/").text
    with store.connect() as conn:
        details = conn.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "sign_in")
        ).one()
    assert details == {"method": "oidc"}


def test_unknown_subject_is_refused_with_a_clear_page(store: Engine, oidc_settings: Any) -> None:
    client = _client(_provisioned(store), oidc_settings, lambda n, _c: _id_token(n, "oid-9999"))
    state = _start(client)
    response = client.get(f"/auth/oidc/callback?code=abc&state={state}")
    assert response.status_code == 403
    assert "not set up to use wholechild" in response.text
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize(
    ("make_token", "why"),
    [
        (lambda n, _c: _id_token(n, "oid-0001", key=OTHER_KEY), "signed by another key"),
        (lambda n, _c: _id_token("another-nonce", "oid-0001"), "nonce replayed"),
        (lambda n, _c: _id_token(n, "oid-0001", aud="someone-else"), "another audience"),
        (lambda n, _c: _id_token(n, "oid-0001", iss="https://evil.test"), "another issuer"),
        (lambda n, _c: _id_token(n, "oid-0001", exp=int(time.time()) - 3600), "expired"),
    ],
)
def test_invalid_id_tokens_are_refused(
    store: Engine, oidc_settings: Any, make_token: Callable[[str, str], str], why: str
) -> None:
    client = _client(_provisioned(store), oidc_settings, make_token)
    state = _start(client)
    response = client.get(f"/auth/oidc/callback?code=abc&state={state}")
    assert response.status_code == 401, why
    assert "did not work" in response.text and "Traceback" not in response.text
    assert SESSION_COOKIE not in client.cookies


def test_callback_without_the_flow_cookie_is_refused(store: Engine, oidc_settings: Any) -> None:
    client = _client(_provisioned(store), oidc_settings, lambda n, _c: _id_token(n, "oid-0001"))
    state = _start(client)
    other_browser = _client(store, oidc_settings, lambda n, _c: _id_token(n, "oid-0001"))
    other_browser.nonces.update(client.nonces)  # type: ignore[attr-defined]
    response = other_browser.get(f"/auth/oidc/callback?code=abc&state={state}")
    assert response.status_code == 401
    assert SESSION_COOKIE not in other_browser.cookies
