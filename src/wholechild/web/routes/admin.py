"""Account administration (administrators): list accounts, create one, unlock one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wholechild.actions.accounts import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    accounts_for,
    create_account_as,
    unlock_account_as,
)
from wholechild.core.access import Category, Role
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep
from wholechild.web.templating import render

router = APIRouter(prefix="/admin/accounts", include_in_schema=False)


def _page(
    request: Request, engine: EngineDep, principal: PrincipalDep, **context: Any
) -> HTMLResponse:
    return render(
        request,
        "admin_accounts.html",
        status_code=400 if context.get("error") else 200,
        accounts=accounts_for(engine, principal),
        roles=list(Role),
        agencies=list(Category),
        min_password=MIN_PASSWORD_LENGTH,
        now=datetime.now(UTC),
        form=context.pop("form", {}),
        **context,
    )


@router.get("")
def accounts_page(
    request: Request, engine: EngineDep, principal: PrincipalDep, done: str = ""
) -> HTMLResponse:
    return _page(request, engine, principal, done=done)


@router.post("", dependencies=[CsrfChecked])
def create_account_submit(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    team: Annotated[str, Form()] = "",
) -> Response:
    form = {"username": username, "display_name": display_name, "role": role, "agency": agency}
    try:
        create_account_as(
            engine,
            principal,
            username=username.strip(),
            display_name=display_name.strip(),
            password=password,
            role=role,
            agency=agency,
            team=team.strip() or None,
        )
    except AccountError as exc:
        return _page(request, engine, principal, error=exc.message, fix=exc.fix, form=form)
    return RedirectResponse("/admin/accounts?done=created", status_code=303)


@router.post("/{username}/unlock", dependencies=[CsrfChecked])
def unlock_submit(username: str, engine: EngineDep, principal: PrincipalDep) -> Response:
    unlock_account_as(engine, principal, username=username)
    return RedirectResponse("/admin/accounts?done=unlocked", status_code=303)
