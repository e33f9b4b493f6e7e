"""OpenID Connect sign-in (e.g. Microsoft Entra ID), when the three oidc_* settings are set.

authlib's Starlette client does discovery from the issuer, the authorisation-code redirect and
the ID token's validation (signature from the issuer's keys, issuer, audience, expiry, nonce).
The flow's state and nonce live in a short-lived HttpOnly cookie bound to this browser. The
token's ``oid`` claim (Entra's stable object id), else ``sub``, names the account; accounts are
provisioned by an administrator beforehand.
"""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any, Final

import httpx
from fastapi import Request
from fastapi.responses import Response

from wholechild.actions.accounts import SignInError
from wholechild.settings import Settings

FLOW_COOKIE: Final = "wholechild_oidc"
FLOW_SECONDS: Final = 600
NAME: Final = "council"


def oidc_enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def build_client(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Any:
    """authlib's client for the configured issuer (``transport`` replaces the network in
    tests)."""
    with warnings.catch_warnings():
        # authlib announces a future move of its httpx integration; nothing for us to do yet.
        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.starlette_client import OAuth

    issuer = str(settings.oidc_issuer).rstrip("/")
    client_kwargs: dict[str, Any] = {
        "scope": "openid profile email",
        "code_challenge_method": "S256",
    }
    if transport is not None:
        client_kwargs["transport"] = transport
    oauth = OAuth()
    oauth.register(
        NAME,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    return oauth.create_client(NAME)


def _load_flow(request: Request) -> dict[str, Any]:
    raw = request.cookies.get(FLOW_COOKIE)
    if not raw:
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def _store_flow(response: Response, flow: dict[str, Any], *, secure: bool) -> None:
    if not flow:
        response.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
        return
    value = base64.urlsafe_b64encode(json.dumps(flow).encode()).decode()
    response.set_cookie(
        FLOW_COOKIE,
        value,
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/auth/oidc",
    )


async def login_redirect(request: Request, client: Any, *, secure: bool) -> Response:
    """Send the browser to the identity provider."""
    request.scope["session"] = {}
    callback = str(request.url_for("oidc_callback"))
    response: Response = await client.authorize_redirect(request, callback)
    _store_flow(response, request.scope["session"], secure=secure)
    return response


async def callback_subject(request: Request, client: Any) -> str:
    """The validated ID token's subject (``oid``, else ``sub``) from the provider's callback."""
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    request.scope["session"] = _load_flow(request)
    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, JoseError, httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise SignInError(
            "Signing in with your council account did not work.",
            fix="Try again from the sign-in page. If it keeps failing, tell your administrator "
            f"({type(exc).__name__}).",
        ) from None
    claims = token.get("userinfo") or {}
    subject = claims.get("oid") or claims.get("sub")
    if not subject:
        raise SignInError(
            "Your council account did not say who you are.",
            fix="Ask your administrator to check the identity provider sends an oid or sub claim.",
        )
    return str(subject)


def clear_flow(response: Response) -> None:
    response.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
