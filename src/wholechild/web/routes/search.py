"""Search for a child by name (tolerant of misspelling), date of birth or any identifier."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wholechild.read import search_children
from wholechild.web.deps import EngineDep, PrincipalDep
from wholechild.web.forms import Problems, parse_date_parts, parse_purpose
from wholechild.web.templating import render

router = APIRouter(include_in_schema=False)


def split_query(q: str) -> tuple[str | None, str | None]:
    """(name words, identifier): names have no digits, identifiers do."""
    q = q.strip()
    if not q:
        return None, None
    return (None, q) if any(c.isdigit() for c in q) else (q, None)


@router.get("/search")
def search_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    q: str = "",
    purpose: str = "",
    dob_day: Annotated[str, Query(alias="dob-day")] = "",
    dob_month: Annotated[str, Query(alias="dob-month")] = "",
    dob_year: Annotated[str, Query(alias="dob-year")] = "",
) -> HTMLResponse:
    form = {"q": q, "purpose": purpose, "day": dob_day, "month": dob_month, "year": dob_year}
    if not request.query_params:
        return render(request, "search.html", form=form, hits=None)
    problems = Problems()
    chosen = parse_purpose(purpose, problems)
    if chosen is None and not problems.found:
        problems.add("purpose", "Choose why you are searching")
    dob = parse_date_parts(dob_day, dob_month, dob_year, "dob", "Date of birth", problems)
    text, identifier = split_query(q)
    if text is None and identifier is None and dob is None:
        problems.add("q", "Enter a name, an identifier or a date of birth")
    if problems.found:
        errors = {p.field: p.message for p in problems.found}
        return render(request, "search.html", status_code=400, form=form, hits=None, errors=errors)
    hits = search_children(
        engine, principal, purpose=chosen, text=text, date_of_birth=dob, identifier=identifier
    )
    return render(request, "search.html", form=form, hits=hits)
