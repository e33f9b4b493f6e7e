"""The clerical-review queue: pairs side by side, decide, split a record, merge persons.

The queue exists for one purpose, a linkage quality review, which these pages declare."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wholechild.core.access import Purpose
from wholechild.read import review_pair, review_queue
from wholechild.read.review import decide, merge, split
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep
from wholechild.web.forms import Problems, parse_purpose
from wholechild.web.templating import render

router = APIRouter(prefix="/review", include_in_schema=False)
DONE = {"decided": "Decision saved", "split": "Record split off", "merged": "Persons merged"}


def _purpose(value: str) -> Purpose | None:
    problems = Problems()
    chosen = parse_purpose(value, problems)
    problems.check()
    return chosen


def _reason(reason: str, problems: Problems) -> str:
    if not reason.strip():
        problems.add("reason", "Enter the reason for your decision")
    return reason.strip()


@router.get("")
def queue_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = Purpose.LINKAGE_REVIEW.value,
    done: str = "",
) -> HTMLResponse:
    items = review_queue(engine, principal, purpose=_purpose(purpose))
    return render(request, "review_queue.html", items=items, done=DONE.get(done, ""))


@router.get("/{item_id}")
def pair_page(
    request: Request,
    item_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = Purpose.LINKAGE_REVIEW.value,
) -> HTMLResponse:
    pair = review_pair(engine, principal, item_id=item_id, purpose=_purpose(purpose))
    return render(request, "review_pair.html", pair=pair, purpose=purpose)


@router.post("/{item_id}/decision", dependencies=[CsrfChecked])
def decision_submit(
    item_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = Purpose.LINKAGE_REVIEW.value,
) -> Response:
    problems = Problems()
    if decision not in ("same", "not_same"):
        problems.add("decision", "Choose whether these are the same child")
    text = _reason(reason, problems)
    problems.check()
    decide(
        engine,
        principal,
        item_id=item_id,
        decision=decision,
        reason=text,
        purpose=_purpose(purpose),
    )
    return RedirectResponse("/review?done=decided", status_code=303)


@router.post("/split", dependencies=[CsrfChecked])
def split_submit(
    engine: EngineDep,
    principal: PrincipalDep,
    record_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = Purpose.LINKAGE_REVIEW.value,
) -> Response:
    problems = Problems()
    text = _reason(reason, problems)
    if not record_id.strip():
        problems.add("record_id", "Say which record to split off")
    problems.check()
    split(engine, principal, record_id=record_id.strip(), reason=text, purpose=_purpose(purpose))
    return RedirectResponse("/review?done=split", status_code=303)


@router.post("/merge", dependencies=[CsrfChecked])
def merge_submit(
    engine: EngineDep,
    principal: PrincipalDep,
    person_ids: Annotated[list[int], Form()],
    reason: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = Purpose.LINKAGE_REVIEW.value,
) -> Response:
    problems = Problems()
    text = _reason(reason, problems)
    if len(set(person_ids)) < 2:
        problems.add("person_ids", "Give two different persons to merge")
    problems.check()
    merge(engine, principal, person_ids=person_ids, reason=text, purpose=_purpose(purpose))
    return RedirectResponse("/review?done=merged", status_code=303)
