"""Signing in and out: local accounts (username and password) and OpenID Connect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from wholechild.actions.accounts import SessionToken, SignInError, sign_in, sign_in_oidc, sign_out
from wholechild.web import oidc
from wholechild.web.deps import (
    CsrfChecked,
    EngineDep,
    SettingsDep,
    optional_session,
    presession_csrf,
)
from wholechild.web.problems import NotFoundError
from wholechild.web.security import PRESESSION_COOKIE, SESSION_COOKIE, cookie_secure
from wholechild.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another site (no open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _signed_in_response(token: SessionToken, target: str, *, secure: bool) -> Response:
    response = RedirectResponse(safe_next(target), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token.value,
        expires=token.expires_at,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, settings: SettingsDep, next: str = "/") -> Response:
    if optional_session(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(
        request,
        "sign_in.html",
        next=safe_next(next),
        username="",
        oidc_enabled=oidc.oidc_enabled(settings),
    )


@router.post("/sign-in", dependencies=[Depends(presession_csrf)])
def sign_in_submit(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        token, _ = sign_in(engine, username=username, password=password, settings=settings)
    except SignInError as exc:
        return render(
            request,
            "sign_in.html",
            status_code=401,
            error=exc.message,
            fix=exc.fix,
            next=safe_next(next),
            username=username,
            oidc_enabled=oidc.oidc_enabled(settings),
        )
    return _signed_in_response(token, next, secure=cookie_secure(settings))


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out_submit(request: Request, engine: EngineDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(engine, token=token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _oidc_client(request: Request) -> object:
    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise NotFoundError(
            "Signing in with a council account is not set up here.",
            fix="Sign in with your wholechild username and password.",
        )
    return client


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, settings: SettingsDep) -> Response:
    client = _oidc_client(request)
    return await oidc.login_redirect(request, client, secure=cookie_secure(settings))


@router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    subject = await oidc.callback_subject(request, _oidc_client(request))
    try:
        token, _ = await run_in_threadpool(sign_in_oidc, engine, subject=subject, settings=settings)
    except SignInError as exc:
        refused = render(
            request,
            "error.html",
            status_code=403,
            title="Your account is not set up",
            message=exc.message,
            fix=exc.fix,
        )
        oidc.clear_flow(refused)
        return refused
    response = _signed_in_response(token, "/", secure=cookie_secure(settings))
    oidc.clear_flow(response)
    return response
