"""A child's page (identity, chronology, involvements, linked records), break-glass, and the
per-child access report. Every read goes through ``wholechild.read`` (authorised and audited
there)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from wholechild.access import MIN_JUSTIFICATION
from wholechild.read import access_report, access_report_csv, child_view
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep
from wholechild.web.forms import Problems, parse_date, parse_purpose
from wholechild.web.templating import render

router = APIRouter(prefix="/children", include_in_schema=False)


@router.get("/{person_id}")
def child_page(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = "",
    agency: str = "",
    event_type: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
) -> HTMLResponse:
    problems = Problems()
    chosen = parse_purpose(purpose, problems)
    start = parse_date(date_from, "from", "The 'from' date", problems)
    end = parse_date(date_to, "to", "The 'to' date", problems)
    problems.check()
    view = child_view(
        engine,
        principal,
        person_id=person_id,
        purpose=chosen,
        agencies=[agency] if agency else None,
        event_types=[event_type] if event_type else None,
        date_from=start,
        date_to=end,
    )
    filters = {"agency": agency, "event_type": event_type, "from": date_from, "to": date_to}
    return render(request, "child.html", view=view, filters=filters)


@router.post("/{person_id}/break-glass", dependencies=[CsrfChecked])
def break_glass(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: Annotated[str, Form()] = "",
    justification: Annotated[str, Form()] = "",
) -> HTMLResponse:
    problems = Problems()
    chosen = parse_purpose(purpose, problems)
    if len(justification.strip()) < MIN_JUSTIFICATION:
        problems.add(
            "justification",
            f"Write why you need access now, in at least {MIN_JUSTIFICATION} characters",
        )
    problems.check()
    view = child_view(
        engine, principal, person_id=person_id, purpose=chosen, justification=justification
    )
    filters = {"agency": "", "event_type": "", "from": "", "to": ""}
    return render(request, "child.html", view=view, filters=filters)


@router.get("/{person_id}/access-report")
def access_report_page(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = "",
) -> HTMLResponse:
    problems = Problems()
    chosen = parse_purpose(purpose, problems)
    problems.check()
    entries = access_report(engine, principal, person_id=person_id, purpose=chosen)
    return render(
        request, "access_report.html", person_id=person_id, entries=entries, purpose=purpose
    )


@router.get("/{person_id}/access-report.csv")
def access_report_export(
    person_id: int, engine: EngineDep, principal: PrincipalDep, purpose: str = ""
) -> Response:
    problems = Problems()
    chosen = parse_purpose(purpose, problems)
    problems.check()
    body = access_report_csv(engine, principal, person_id=person_id, purpose=chosen)
    name = f"access-report-person-{person_id}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
