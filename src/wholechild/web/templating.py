"""Rendering pages: Jinja2 templates in the GOV.UK Design System, with the signed-in user, the
CSRF token and the navigation their role uses injected into every page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from wholechild.actions.accounts import SignedIn
from wholechild.core.access import PURPOSE_LABELS, ROLE_LABELS, Role
from wholechild.web.security import PRESESSION_COOKIE, cookie_secure, new_token

TEMPLATES: Final = Path(__file__).with_name("templates")
SERVICE_NAME: Final = "wholechild"

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.globals.update(
    service_name=SERVICE_NAME, PURPOSE_LABELS=PURPOSE_LABELS, ROLE_LABELS=ROLE_LABELS
)

_CHILD_ROLES: Final = frozenset(Role) - {Role.DATA_ANALYST, Role.ADMINISTRATOR}
_REVIEW_ROLES: Final = frozenset({Role.DATA_ANALYST})
_DASHBOARD_ROLES: Final = frozenset({Role.DATA_ANALYST})


@dataclass(frozen=True, slots=True)
class NavItem:
    text: str
    href: str
    roles: frozenset[Role]


# What each role is offered in the navigation. Display only: every request is decided at the
# one access choke point (wholechild.access), whatever the navigation shows.
NAVIGATION: Final = (
    NavItem("Home", "/", frozenset(Role)),
    NavItem("Search", "/search", _CHILD_ROLES),
    NavItem("Review queue", "/review", _REVIEW_ROLES),
    NavItem("EHCP caseload", "/ehcp", frozenset({Role.SEND_CASEWORKER})),
    NavItem("Dashboards", "/dashboards", _DASHBOARD_ROLES),
    NavItem("Accounts", "/admin/accounts", frozenset({Role.ADMINISTRATOR})),
    NavItem("Governance", "/governance", frozenset({Role.IG_OFFICER})),
)


def signed_in(request: Request) -> SignedIn | None:
    """The request's session, once ``deps.current_principal`` (or the optional variant) ran."""
    value = getattr(request.state, "signed_in", None)
    return value if isinstance(value, SignedIn) else None


def nav_for(request: Request) -> list[dict[str, Any]]:
    user = signed_in(request)
    if user is None:
        return []
    path = request.url.path
    return [
        {
            "text": item.text,
            "href": item.href,
            "current": path == item.href or (item.href != "/" and path.startswith(item.href)),
        }
        for item in NAVIGATION
        if user.principal.role in item.roles
    ]


def csrf_token(request: Request) -> str:
    """The session's CSRF token; before sign-in, the pre-session cookie's token."""
    user = signed_in(request)
    if user is not None:
        return user.csrf_token
    token = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "new_presession", None)
    if not token:
        token = new_token()
        request.state.new_presession = token
    return str(token)


def render(
    request: Request, template_name: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page: ``template_name`` with ``context`` plus user, csrf_token and nav."""
    page_context = {
        "user": signed_in(request),
        "csrf_token": csrf_token(request),
        "nav": nav_for(request),
        **context,
    }
    response = templates.TemplateResponse(
        request, template_name, page_context, status_code=status_code
    )
    new = getattr(request.state, "new_presession", None)
    if new:
        settings = request.app.state.settings
        response.set_cookie(
            PRESESSION_COOKIE,
            new,
            httponly=True,
            samesite="lax",
            secure=cookie_secure(settings),
            path="/",
        )
    return response
