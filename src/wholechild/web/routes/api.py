"""The JSON API (``/api``; OpenAPI at ``/api/openapi.json``). Authenticated by the session
cookie; writes also need the session's CSRF token in ``X-CSRF-Token``. Every call declares its
purpose of access, and each handler calls one read function (authorised and audited there)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query

from wholechild.core.access import Purpose
from wholechild.read import access_report, child_view, review_pair, review_queue, search_children
from wholechild.read.review import decide
from wholechild.web.api_models import (
    AccessEntryOut,
    ChildOut,
    DecisionIn,
    DecisionOut,
    Me,
    ReviewPairOut,
    ReviewSummaryOut,
    SearchHitOut,
)
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep, SessionDep, current_session
from wholechild.web.problems import API_ERRORS

router = APIRouter(
    prefix="/api", tags=["api"], responses=API_ERRORS, dependencies=[Depends(current_session)]
)

NO_NUL: Final = r"^[^\x00]*$"
PurposeQuery = Annotated[Purpose, Query(description="Why you are looking (recorded).")]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]


@router.get("/me", response_model=Me)
def me(session: SessionDep) -> Me:
    """Who is signed in, and the CSRF token for API writes."""
    p = session.principal
    return Me(
        username=p.username,
        display_name=session.display_name,
        role=p.role.value,
        agency=p.agency.value,
        team=p.team,
        csrf_token=session.csrf_token,
    )


@router.get("/search", response_model=list[SearchHitOut])
def search(
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: PurposeQuery,
    name: Text = None,
    date_of_birth: date | None = None,
    identifier: Text = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[SearchHitOut]:
    """Children matching a name (misspellings tolerated), a date of birth or an identifier."""
    hits = search_children(
        engine,
        principal,
        purpose=purpose,
        text=name,
        date_of_birth=date_of_birth,
        identifier=identifier,
        limit=limit,
    )
    return [SearchHitOut.model_validate(h) for h in hits]


@router.get("/children/{person_id}", response_model=ChildOut)
def child(
    person_id: Id,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: PurposeQuery,
    agency: Text = None,
    event_type: Text = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> ChildOut:
    """A child's identity, chronology, involvements and linked records, as far as the access
    policy allows for the purpose."""
    view = child_view(
        engine,
        principal,
        person_id=person_id,
        purpose=purpose,
        agencies=[agency] if agency else None,
        event_types=[event_type] if event_type else None,
        date_from=date_from,
        date_to=date_to,
    )
    return ChildOut.model_validate(view)


@router.get("/children/{person_id}/access-report", response_model=list[AccessEntryOut])
def child_access_report(
    person_id: Id, engine: EngineDep, principal: PrincipalDep, purpose: PurposeQuery
) -> list[AccessEntryOut]:
    """Who looked at this child's record, when, and why."""
    entries = access_report(engine, principal, person_id=person_id, purpose=purpose)
    return [AccessEntryOut.model_validate(e) for e in entries]


@router.get("/review", response_model=list[ReviewSummaryOut])
def review(
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: PurposeQuery,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReviewSummaryOut]:
    """Open review items, most likely matches first."""
    items = review_queue(engine, principal, purpose=purpose, limit=limit)
    return [ReviewSummaryOut.model_validate(i) for i in items]


@router.get("/review/{item_id}", response_model=ReviewPairOut)
def review_item(
    item_id: Id, engine: EngineDep, principal: PrincipalDep, purpose: PurposeQuery
) -> ReviewPairOut:
    """Both records of a pair side by side, with the model's evidence."""
    return ReviewPairOut.model_validate(
        review_pair(engine, principal, item_id=item_id, purpose=purpose)
    )


@router.post("/review/{item_id}/decision", response_model=DecisionOut, dependencies=[CsrfChecked])
def review_decision(
    item_id: Id,
    body: DecisionIn,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: PurposeQuery,
) -> DecisionOut:
    """Record that the pair is (``same``) or is not (``not_same``) the same child."""
    outcome = decide(
        engine,
        principal,
        item_id=item_id,
        decision=body.decision,
        reason=body.reason,
        purpose=purpose,
    )
    return DecisionOut(decision_ids=list(outcome.decision_ids), records_moved=len(outcome.moved))
