"""Request dependencies: the store, the settings, the signed-in principal and CSRF checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from wholechild.actions.accounts import SignedIn, resolve_session
from wholechild.core.access import Principal
from wholechild.errors import UserError
from wholechild.settings import Settings
from wholechild.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    CsrfError,
    tokens_match,
)


class SignInRequiredError(UserError):
    """No live session: pages redirect to sign in, the API answers 401."""

    def __init__(self) -> None:
        super().__init__(
            "You need to sign in to use wholechild.",
            fix="Sign in; API clients send the session cookie from a sign-in.",
        )


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def optional_session(request: Request) -> SignedIn | None:
    """The live session for the request's cookie, or None; kept on ``request.state``."""
    cached = getattr(request.state, "signed_in", None)
    if isinstance(cached, SignedIn):
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    user = resolve_session(get_engine(request), token=token) if token else None
    request.state.signed_in = user
    return user


def current_session(request: Request) -> SignedIn:
    user = optional_session(request)
    if user is None:
        raise SignInRequiredError()
    return user


def current_principal(request: Request) -> Principal:
    """The signed-in principal; pages redirect to sign in, the API answers 401."""
    return current_session(request).principal


async def _submitted_token(request: Request) -> str | None:
    if is_api(request):
        return request.headers.get(CSRF_HEADER)
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def csrf_protect(request: Request) -> None:
    """A state-changing request from a signed-in session must carry the session's token."""
    user = current_session(request)
    if not tokens_match(user.csrf_token, await _submitted_token(request)):
        raise CsrfError()


async def presession_csrf(request: Request) -> None:
    """The sign-in form carries the pre-session cookie's token (sign-in CSRF)."""
    expected = request.cookies.get(PRESESSION_COOKIE)
    if not tokens_match(expected, await _submitted_token(request)):
        raise CsrfError()


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
SessionDep = Annotated[SignedIn, Depends(current_session)]
CsrfChecked = Depends(csrf_protect)
