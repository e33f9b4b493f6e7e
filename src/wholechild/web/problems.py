"""Errors as users see them: GOV.UK error pages for the interface, problem+json (RFC 9457)
for /api. No response ever carries a traceback; internal errors go to the log file."""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from wholechild.access import AccessDenied, Resource, decide
from wholechild.actions.accounts import SignInError
from wholechild.core.access import PURPOSE_LABELS
from wholechild.errors import StoreUnavailableError, UserError
from wholechild.web.deps import SignInRequiredError, is_api
from wholechild.web.security import SECURITY_HEADERS, CsrfError
from wholechild.web.templating import render, signed_in

log = logging.getLogger(__name__)
ERROR_LOG: Final = Path("var/log/wholechild-errors.log")
PROBLEM_TYPE: Final = "application/problem+json"


class NotFoundError(UserError):
    """Nothing at this address, or nothing the user may know exists."""


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An error answer from the API (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    fix: str = ""
    errors: list[FieldProblem] = []
    break_glass_possible: bool = False


API_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": Problem, "description": text, "content": {PROBLEM_TYPE: {}}}
    for status, text in [
        (400, "The request is invalid: every problem is listed"),
        (401, "Not signed in"),
        (403, "Refused by the access policy, or a missing CSRF token"),
        (404, "Not found"),
        (500, "An internal error (logged; never a traceback)"),
    ]
}

_TITLES: Final = {
    400: "There is a problem",
    401: "You need to sign in",
    403: "You do not have access",
    404: "Page not found",
    405: "Method not allowed",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def _status_of(exc: UserError) -> int:
    if isinstance(exc, SignInRequiredError | SignInError):
        return 401
    if isinstance(exc, CsrfError | AccessDenied):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, StoreUnavailableError):
        return 503
    return 400


def problem_response(
    status: int, detail: str, *, fix: str = "", extra: dict[str, Any] | None = None
) -> JSONResponse:
    body = Problem(
        title=_TITLES.get(status, "Error"), status=status, detail=detail, fix=fix, **(extra or {})
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_TYPE)


def _error_page(request: Request, status: int, **context: Any) -> HTMLResponse:
    context.setdefault("title", _TITLES.get(status, "There is a problem"))
    return render(request, "error.html", status_code=status, status=status, **context)


def _user_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UserError)
    status = _status_of(exc)
    break_glass = bool(getattr(exc, "break_glass_possible", False))
    reason = str(getattr(exc, "reason", "") or exc.message)
    problems = getattr(exc, "problems", None)
    if is_api(request):
        extra: dict[str, Any] = {"break_glass_possible": break_glass} if status == 403 else {}
        if problems:
            extra["errors"] = [p.model_dump() for p in problems]
        return problem_response(status, reason, fix=exc.fix, extra=extra)
    if isinstance(exc, SignInRequiredError):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/sign-in?next={target}", status_code=303)
    return _error_page(
        request,
        status,
        message=reason,
        fix=exc.fix,
        break_glass=break_glass and "person_id" in request.path_params,
        person_id=request.path_params.get("person_id"),
        purpose=request.query_params.get("purpose", ""),
        problems=problems,
        purposes=_purposes_for_choice(request, exc),
    )


def _purposes_for_choice(request: Request, exc: UserError) -> list[tuple[str, str]]:
    """On a child's page refused for want of a purpose: the purposes this user may choose
    (asked of the access policy; nothing is audited until one is chosen)."""
    user = signed_in(request)
    if user is None or not isinstance(exc, AccessDenied) or request.query_params.get("purpose"):
        return []
    if "person_id" not in request.path_params:
        return []
    page = Resource("Person", str(request.path_params["person_id"]))
    return [
        (purpose.value, label)
        for purpose, label in PURPOSE_LABELS.items()
        if decide(user.principal, "view_child", page, purpose=purpose).allowed
    ]


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldProblem(
            field=".".join(str(p) for p in err["loc"] if p not in ("query", "body", "path")),
            message=_plain(err),
        )
        for err in exc.errors()
    ]
    if is_api(request):
        return problem_response(
            400,
            f"{len(problems)} problem(s) with the request",
            fix="correct each listed field",
            extra={"errors": [p.model_dump() for p in problems]},
        )
    return _error_page(request, 400, problems=problems, message="Check the following:")


def _plain(err: Any) -> str:
    if err.get("type") == "missing":
        return "This is required"
    return str(err.get("msg", "is not valid")).removeprefix("Value error, ")


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = str(exc.detail) if status != 404 else "There is nothing at this address."
    if is_api(request):
        return problem_response(status, detail)
    return _error_page(request, status, message=detail)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


class InternalErrors:
    """The one place bugs are caught: logged to the error log with an incident reference;
    the user sees a plain page (or problem+json), never a traceback."""

    def __init__(self, app: ASGIApp, *, error_log: Path = ERROR_LOG) -> None:
        self.app = app
        self.error_log = error_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception:  # noqa: BLE001 - logged in full, shown to the user as an incident
            incident = self._log()
            request = Request(scope)
            response = self._response(request, incident)
            response.headers.update(SECURITY_HEADERS)
            response.headers["Cache-Control"] = "no-store"
            await response(scope, receive, send)

    def _log(self) -> str:
        incident = uuid.uuid4().hex[:12]
        log.error("internal error, incident %s", incident)
        self.error_log.parent.mkdir(parents=True, exist_ok=True)
        with self.error_log.open("a", encoding="utf-8") as handle:
            stamp = datetime.now(UTC).isoformat()
            handle.write(f"--- {stamp} incident {incident}\n{traceback.format_exc()}\n")
        return incident

    def _response(self, request: Request, incident: str) -> Response:
        detail = f"Something went wrong. Nothing was changed. Reference: {incident}."
        fix = "Try again later; if it keeps happening, tell your administrator the reference."
        if is_api(request):
            return problem_response(500, detail, fix=fix)
        try:
            return _error_page(request, 500, message=detail, fix=fix)
        except Exception:  # noqa: BLE001 - the error page itself failed: plain text
            return HTMLResponse(f"<p>{detail}</p>", status_code=500)


class InvalidInputError(UserError):
    """A form or query with problems: every problem listed, each with its field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(
            f"{len(problems)} problem(s) with what was entered",
            fix="correct each listed field and try again",
        )
        self.problems = problems
