"""The governance pages of the information-governance officer: data-sharing agreements and
sharing decisions, subject access exports, the retention schedule and legal holds, and
corrections to a child's records (rectification).

Routers parse, ask the one access choke point (``wholechild.access.require``: a refusal is
audited and answered with a clear page) and call one action or read; every action writes its
own audit entry. Pages that are not about one child declare the purpose of records
management, as the review queue declares a linkage quality review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from wholechild.access import AccessDenied, Resource, require
from wholechild.actions.agreements import AgreementExistsError, record_agreement
from wholechild.actions.agreements import record_sharing_decision as record_decision
from wholechild.actions.legal_holds import list_holds, place_hold, release_hold
from wholechild.actions.pseudonym_key import load_or_create_pseudonymiser
from wholechild.actions.rectification import (
    awaiting_notification,
    record_source_notified,
    rectify,
)
from wholechild.actions.retention import (
    RetentionReport,
    load_rule_set,
    retention_apply,
    retention_report,
)
from wholechild.actions.sar import subject_access_export
from wholechild.core.access import Category, Principal, Purpose
from wholechild.errors import UserError
from wholechild.governance.agreements import (
    ART6_BASES,
    ART9_CONDITIONS,
    PARTNER_AGENCIES,
    SCHEDULE1_CONDITIONS,
    Agreement,
    AgreementProblem,
    agreement_from_mapping,
    check_agreement,
)
from wholechild.read import governance as reads
from wholechild.read.agreements import list_agreements, sharing_decisions
from wholechild.settings import Settings
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep, SettingsDep
from wholechild.web.forms import Problems, parse_date, parse_date_parts, parse_purpose
from wholechild.web.problems import NotFoundError
from wholechild.web.templating import render

router = APIRouter(prefix="/governance", include_in_schema=False)

RM: Final = Purpose.RECORDS_MANAGEMENT.value
SAR: Final = Purpose.SUBJECT_ACCESS_REQUEST.value
AGREEMENTS, RETENTION = Resource("Agreements"), Resource("Retention")
DONE: Final = {
    "recorded": "Data-sharing agreement recorded",
    "decision": "Sharing decision recorded",
    "generated": "Subject access export generated",
    "deleted": "Subject access export deleted from the server",
    "placed": "Legal hold placed",
    "released": "Legal hold released",
    "notified": "Recorded that the source agency was told",
}


def _purpose(value: str) -> Purpose | None:
    problems = Problems()
    chosen = parse_purpose(value, problems)
    problems.check()
    return chosen


def _allow(
    engine: Engine, principal: Principal, action: str, resource: Resource, purpose: str
) -> str:
    """Ask the choke point (a refusal is audited and shown as a clear page); the purpose."""
    chosen = _purpose(purpose)
    require(engine, principal, action, resource, purpose=chosen)
    return chosen.value if chosen is not None else ""


def _today() -> date:
    return datetime.now(UTC).date()


def _found(error: reads.NotFoundError) -> NotFoundError:
    return NotFoundError(error.message, fix=error.fix)


@router.get("")
def governance_home(
    request: Request, engine: EngineDep, principal: PrincipalDep, purpose: str = RM
) -> HTMLResponse:
    _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    pending = len(awaiting_notification(engine))
    holds = len(list_holds(engine))
    return render(request, "governance/home.html", pending=pending, holds=holds)


# -- data-sharing agreements ------------------------------------------------------------------


@router.get("/agreements")
def agreements_page(
    request: Request, engine: EngineDep, principal: PrincipalDep, purpose: str = RM, done: str = ""
) -> HTMLResponse:
    _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    listings, warnings = list_agreements(engine, on=_today())
    decisions = list(sharing_decisions(engine))[:20]
    return render(
        request,
        "governance/agreements.html",
        listings=listings,
        warnings=warnings,
        decisions=decisions,
        done=DONE.get(done, ""),
    )


class AgreementForm(BaseModel):
    """The add-agreement form as typed (every field optional: problems are reported)."""

    ref: str = ""
    title: str = ""
    parties: str = ""
    source_systems: str = ""
    partner_category: str = ""
    purposes: list[str] = []
    categories: list[str] = []
    lawful_basis: str = ""
    special_category_condition: str = ""
    schedule1_condition: str = ""
    start_day: str = ""
    start_month: str = ""
    start_year: str = ""
    end_day: str = ""
    end_month: str = ""
    end_year: str = ""
    review_day: str = ""
    review_month: str = ""
    review_year: str = ""


# Where each agreement field's problem points in the form (the first input of a group).
FIELD_IDS: Final = {
    "partner_category": "partner_category-1",
    "purposes": "purposes-1",
    "categories": "categories-1",
    "start_date": "start_date-day",
    "end_date": "end_date-day",
    "review_date": "review_date-day",
}
FIELD_NAMES: Final = {
    "ref": "Reference",
    "title": "Title",
    "parties": "Parties",
    "source_systems": "Source systems",
    "partner_category": "Partner agency",
    "purposes": "Purposes",
    "categories": "Data categories",
    "lawful_basis": "Lawful basis",
    "special_category_condition": "Article 9 condition",
    "schedule1_condition": "Schedule 1 condition",
    "start_date": "Start date",
    "end_date": "End date",
    "review_date": "Review date",
}


def _lines(text: str) -> list[str]:
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


def _agreement_mapping(form: AgreementForm, problems: Problems) -> dict[str, Any]:
    """The form as the plain values ``agreement_from_mapping`` reads; bad dates reported."""
    values: dict[str, Any] = {
        "ref": form.ref,
        "title": form.title,
        "parties": _lines(form.parties),
        "source_systems": _lines(form.source_systems),
        "partner_category": form.partner_category,
        "purposes": form.purposes,
        "categories": form.categories,
        "lawful_basis": form.lawful_basis,
        "special_category_condition": form.special_category_condition or None,
        "schedule1_condition": form.schedule1_condition or None,
    }
    for name in ("start", "end", "review"):
        day, month, year = (getattr(form, f"{name}_{p}") for p in ("day", "month", "year"))
        label = FIELD_NAMES[f"{name}_date"]
        values[f"{name}_date"] = parse_date_parts(day, month, year, f"{name}_date", label, problems)
    return values


def _every_problem(values: dict[str, Any]) -> tuple[Agreement | None, list[AgreementProblem]]:
    """``agreement_from_mapping`` stops at missing fields; the rest of the terms are checked
    too (missing ones stood in for), so a form with ten problems reports ten."""
    agreement, found = agreement_from_mapping(values, "the agreement")
    if agreement is not None or not found:
        return agreement, found
    text = {k: str(values[k] or "").strip() for k in ("ref", "title", "partner_category")}
    provisional = Agreement(
        **text, parties=tuple(values["parties"]), source_systems=tuple(values["source_systems"]),
        purposes=tuple(values["purposes"]), categories=tuple(values["categories"]),
        lawful_basis=str(values["lawful_basis"] or ""),
        special_category_condition=values["special_category_condition"],
        schedule1_condition=values["schedule1_condition"],
        start_date=values["start_date"] or _today(), end_date=values["end_date"],
        review_date=values["review_date"],
    )  # fmt: skip
    reported = {p.field for p in found}
    return None, found + [p for p in check_agreement(provisional) if p.field not in reported]


def _agreement_problems(form: AgreementForm) -> tuple[Agreement | None, list[tuple[str, str]]]:
    """The agreement, or every problem in the form as (input id, message)."""
    problems = Problems()
    values = _agreement_mapping(form, problems)
    bad_dates = {p.field for p in problems.found}
    agreement, found = _every_problem(values)
    listed = [(FIELD_IDS.get(p.field, p.field), p.message) for p in problems.found]
    for p in found:
        if p.field not in bad_dates:
            label, fix = FIELD_NAMES.get(p.field, p.field), p.fix[:1].upper() + p.fix[1:]
            listed.append((FIELD_IDS.get(p.field, p.field), f"{label}: {p.message}. {fix}"))
    return agreement, listed


def _agreement_form(
    request: Request, form: AgreementForm, errors: list[tuple[str, str]], status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "governance/agreement_form.html",
        status_code=status,
        form=form,
        errors=errors,
        error_for=dict(reversed(errors)),
        partners=sorted(c.value for c in PARTNER_AGENCIES),
        purposes=list(Purpose),
        categories=list(Category),
        art6=ART6_BASES,
        art9=ART9_CONDITIONS,
        schedule1=SCHEDULE1_CONDITIONS,
    )


@router.get("/agreements/new")
def agreement_new(
    request: Request, engine: EngineDep, principal: PrincipalDep, purpose: str = RM
) -> HTMLResponse:
    _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    return _agreement_form(request, AgreementForm(), [])


@router.post("/agreements", dependencies=[CsrfChecked])
def agreement_submit(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    form: Annotated[AgreementForm, Form()],
    purpose: Annotated[str, Form()] = RM,
) -> Response:
    chosen = _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    agreement, errors = _agreement_problems(form)
    if agreement is None:
        return _agreement_form(request, form, errors, 400)
    try:
        record_agreement(engine, agreement=agreement, actor=principal, purpose=chosen)
    except AgreementExistsError as exc:
        return _agreement_form(request, form, [("ref", f"{exc.message}. {exc.fix}")], 400)
    target = f"/governance/agreement?{urlencode({'ref': agreement.ref, 'done': 'recorded'})}"
    return RedirectResponse(target, 303)


@router.get("/agreement")
def agreement_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    ref: str = "",
    purpose: str = RM,
    done: str = "",
) -> HTMLResponse:
    _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    listings, warnings = list_agreements(engine, on=_today())
    listing = next((x for x in listings if x.agreement.ref == ref), None)
    if listing is None:
        raise NotFoundError(f"there is no data-sharing agreement {ref}", fix="see the list")
    mine = [w for w in warnings if w.ref == ref]
    return render(
        request,
        "governance/agreement.html",
        listing=listing,
        warnings=mine,
        done=DONE.get(done, ""),
    )


# -- sharing decisions -------------------------------------------------------------------------


class DecisionForm(BaseModel):
    requested_by: str = ""
    request_purpose: str = ""
    categories: list[str] = []
    person_id: str = ""
    decision: str = "not_share"
    reason: str = ""


def _decision_problems(form: DecisionForm) -> tuple[int | None, list[tuple[str, str]]]:
    errors: list[tuple[str, str]] = []
    if not form.requested_by.strip():
        errors.append(("requested_by", "Enter the organisation that asked for the information"))
    if form.request_purpose not in {p.value for p in Purpose}:
        errors.append(("request_purpose-1", "Choose the purpose the request gave"))
    if not form.categories:
        errors.append(("categories-1", "Choose the kinds of data asked for"))
    if form.decision not in ("share", "not_share"):
        errors.append(("decision-1", "Choose whether to share"))
    if len(form.reason.strip()) < 10:
        errors.append(("reason", "Write the reason for the decision, in at least 10 characters"))
    person: int | None = None
    if form.person_id.strip():
        if form.person_id.strip().isdigit():
            person = int(form.person_id)
        else:
            errors.append(("person_id", "The person id is a number, from the child's page"))
    return person, errors


def _decision_form(
    request: Request, form: DecisionForm, errors: list[tuple[str, str]], status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "governance/decision_form.html",
        status_code=status,
        form=form,
        errors=errors,
        error_for=dict(reversed(errors)),
        purposes=list(Purpose),
        categories=list(Category),
    )


@router.get("/sharing-decisions/new")
def decision_new(
    request: Request, engine: EngineDep, principal: PrincipalDep, purpose: str = RM
) -> HTMLResponse:
    _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    return _decision_form(request, DecisionForm(), [])


@router.post("/sharing-decisions", dependencies=[CsrfChecked])
def decision_submit(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    form: Annotated[DecisionForm, Form()],
    purpose: Annotated[str, Form()] = RM,
) -> Response:
    chosen = _allow(engine, principal, "manage_agreements", AGREEMENTS, purpose)
    person, errors = _decision_problems(form)
    if errors:
        return _decision_form(request, form, errors, 400)
    try:
        record_decision(
            engine, requested_by=form.requested_by, request_purpose=form.request_purpose,
            categories=form.categories, decision=form.decision, reason=form.reason,
            actor=principal, purpose=chosen, person_id=person,
        )  # fmt: skip
    except UserError as exc:
        return _decision_form(request, form, [("requested_by", exc.message)], 400)
    return RedirectResponse("/governance/agreements?done=decision", 303)


# -- subject access ----------------------------------------------------------------------------


@router.get("/subject-access/{person_id}")
def subject_access_page(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: str = SAR,
    done: str = "",
) -> HTMLResponse:
    chosen, folder = _purpose(purpose), settings.subject_access_dir
    files = reads.subject_access_files(
        engine, principal, folder=folder, person_id=person_id, purpose=chosen
    )
    flags = reads.redaction_items(folder, person_id, files[0].name) if files else []
    return render(
        request,
        "governance/subject_access.html",
        person_id=person_id,
        files=files,
        flags=flags,
        purpose=purpose,
        done=DONE.get(done, ""),
    )


@router.post("/subject-access/{person_id}", dependencies=[CsrfChecked])
def subject_access_generate(
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: Annotated[str, Form()] = SAR,
) -> Response:
    chosen = _purpose(purpose)
    if chosen is None:
        raise AccessDenied("a purpose is required to export a child's record")
    out = settings.subject_access_dir / str(person_id)
    subject_access_export(engine, person_id=person_id, out_dir=out, actor=principal, purpose=chosen)
    target = f"/governance/subject-access/{person_id}?purpose={chosen.value}&done=generated"
    return RedirectResponse(target, 303)


@router.post("/subject-access/{person_id}/download", dependencies=[CsrfChecked])
def subject_access_file(
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = SAR,
) -> Response:
    """A download is an export of the child's record: audited, so asked for with a POST."""
    try:
        content = reads.subject_access_download(
            engine, principal, folder=settings.subject_access_dir, person_id=person_id,
            name=name, purpose=_purpose(purpose),
        )  # fmt: skip
    except reads.NotFoundError as exc:
        raise _found(exc) from None
    return Response(
        content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/subject-access/{person_id}/delete", dependencies=[CsrfChecked])
def subject_access_delete(
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    name: Annotated[str, Form()] = "",
    purpose: Annotated[str, Form()] = SAR,
) -> Response:
    chosen = _purpose(purpose)
    try:
        reads.delete_subject_access_file(
            engine, principal, folder=settings.subject_access_dir, person_id=person_id,
            name=name, purpose=chosen,
        )  # fmt: skip
    except reads.NotFoundError as exc:
        raise _found(exc) from None
    query = urlencode({"purpose": purpose, "done": "deleted"})
    return RedirectResponse(f"/governance/subject-access/{person_id}?{query}", 303)


# -- retention and legal holds -----------------------------------------------------------------


def _as_of(value: str) -> date:
    problems = Problems()
    day = parse_date(value, "as_of", "The date to apply the rules on", problems)
    problems.check()
    return day or _today()


def _report(
    engine: Engine, settings: Settings, principal: Principal, as_of: date, purpose: str
) -> RetentionReport:
    rules = load_rule_set(settings)
    return retention_report(
        engine, as_of=as_of, actor=principal.username, purpose=purpose, rules=rules
    )


@router.get("/retention")
def retention_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: str = RM,
    as_of: str = "",
) -> HTMLResponse:
    chosen = _allow(engine, principal, "retention", RETENTION, purpose)
    day = _as_of(as_of)
    report = _report(engine, settings, principal, day, chosen)
    holds = list_holds(engine)
    return render(request, "governance/retention.html", report=report, holds=holds)


@router.get("/retention/apply")
def retention_confirm(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: str = RM,
    as_of: str = "",
) -> HTMLResponse:
    chosen = _allow(engine, principal, "retention", RETENTION, purpose)
    report = _report(engine, settings, principal, _as_of(as_of), chosen)
    return render(request, "governance/retention_confirm.html", report=report, errors=[])


@router.post("/retention/apply", dependencies=[CsrfChecked])
def retention_apply_submit(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: Annotated[str, Form()] = RM,
    as_of: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> HTMLResponse:
    chosen = _allow(engine, principal, "retention", RETENTION, purpose)
    day = _as_of(as_of)
    if confirm != "yes":
        report = _report(engine, settings, principal, day, chosen)
        errors = [("confirm", "Confirm that you understand the records will be removed")]
        return render(
            request, "governance/retention_confirm.html", status_code=400, report=report,
            errors=errors,
        )  # fmt: skip
    done = retention_apply(
        engine, as_of=day, actor=principal.username, purpose=chosen, confirm=True,
        rules=load_rule_set(settings), pseudonymiser=load_or_create_pseudonymiser(settings),
    )  # fmt: skip
    return render(request, "governance/retention_applied.html", report=done)


def _holds_page(
    request: Request, engine: Engine, errors: list[tuple[str, str]], form: dict[str, str],
    done: str = "", status: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "governance/legal_holds.html", status_code=status,
        holds=list_holds(engine, include_released=True), errors=errors, form=form,
        error_for=dict(reversed(errors)),
        done=DONE.get(done, ""),
    )  # fmt: skip


@router.get("/legal-holds")
def legal_holds_page(
    request: Request, engine: EngineDep, principal: PrincipalDep, purpose: str = RM, done: str = ""
) -> HTMLResponse:
    _allow(engine, principal, "legal_hold", RETENTION, purpose)
    return _holds_page(request, engine, [], {}, done)


def _hold_problems(person_id: str, record_id: str, reason: str) -> list[tuple[str, str]]:
    errors = []
    if bool(person_id.strip()) == bool(record_id.strip()):
        errors.append(("person_id", "Enter a person id or a source record id (one of the two)"))
    elif person_id.strip() and not person_id.strip().isdigit():
        errors.append(("person_id", "The person id is a number, from the child's page"))
    if not reason.strip():
        errors.append(("reason", "Enter why the records must be kept (e.g. the claim reference)"))
    return errors


@router.post("/legal-holds", dependencies=[CsrfChecked])
def legal_hold_place(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: Annotated[str, Form()] = RM,
    person_id: Annotated[str, Form()] = "",
    record_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    chosen = _allow(engine, principal, "legal_hold", RETENTION, purpose)
    form = {"person_id": person_id, "record_id": record_id, "reason": reason}
    errors = _hold_problems(person_id, record_id, reason)
    if errors:
        return _holds_page(request, engine, errors, form, status=400)
    try:
        place_hold(
            engine, actor=principal.username, purpose=chosen, reason=reason,
            person_id=int(person_id) if person_id.strip() else None,
            source_record_id=record_id.strip() or None,
        )  # fmt: skip
    except UserError as exc:
        field = "person_id" if person_id.strip() else "record_id"
        return _holds_page(request, engine, [(field, exc.message)], form, status=400)
    return RedirectResponse("/governance/legal-holds?done=placed", 303)


@router.post("/legal-holds/{hold_id}/release", dependencies=[CsrfChecked])
def legal_hold_release(
    hold_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: Annotated[str, Form()] = RM,
    reason: Annotated[str, Form()] = "",
) -> Response:
    chosen = _allow(engine, principal, "legal_hold", RETENTION, purpose)
    problems = Problems()
    if not reason.strip():
        problems.add("reason", "Enter why the hold can end")
    problems.check()
    release_hold(engine, hold_id=hold_id, actor=principal.username, purpose=chosen, reason=reason)
    return RedirectResponse("/governance/legal-holds?done=released", 303)


# -- rectification -----------------------------------------------------------------------------


class CorrectionForm(BaseModel):
    field: str = ""
    record_id: str = ""
    new_value: str = ""
    reason: str = ""
    requested_by: str = ""
    told: str = ""
    reference: str = ""


def _correction_problems(form: CorrectionForm) -> list[tuple[str, str]]:
    checks = (
        ("record_id-1", not form.record_id.strip(), "Choose the record to correct"),
        ("new_value", not form.new_value.strip(), "Enter the correct value"),
        ("reason", not form.reason.strip(), "Enter why the value is wrong"),
        ("requested_by", not form.requested_by.strip(), "Enter who asked for the correction"),
        ("told-1", form.told not in ("yes", "no"), "Say whether the source agency was told"),
        ("reference", form.told == "yes" and not form.reference.strip(),
         "Enter the reference of the letter or message to the source agency"),
    )  # fmt: skip
    return [(field, message) for field, failed, message in checks if failed]


def _correction_form(
    request: Request, page: reads.CorrectionPage, form: CorrectionForm,
    errors: list[tuple[str, str]], status: int = 200,
) -> HTMLResponse:  # fmt: skip
    return render(
        request, "governance/rectify.html", status_code=status, page=page, form=form,
        errors=errors, error_for=dict(reversed(errors)),
    )  # fmt: skip


@router.get("/children/{person_id}/rectify")
def rectify_page(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    field: str = "surname",
    purpose: str = RM,
) -> HTMLResponse:
    page = reads.correction_page(
        engine, principal, person_id=person_id, field=field, purpose=_purpose(purpose)
    )
    return _correction_form(request, page, CorrectionForm(field=field), [])


@router.post("/children/{person_id}/rectify", dependencies=[CsrfChecked])
def rectify_submit(
    request: Request,
    person_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    form: Annotated[CorrectionForm, Form()],
    purpose: Annotated[str, Form()] = RM,
) -> Response:
    _allow(engine, principal, "rectify", Resource("Person", str(person_id)), purpose)
    chosen = _purpose(purpose)
    errors = _correction_problems(form)
    if not errors:
        try:
            reads.check_rectification_target(
                engine, principal, person_id=person_id, record_id=form.record_id, purpose=chosen
            )
            done = _correct(engine, principal, form, chosen)
            target = f"/governance/rectifications?done={done}&person={person_id}"
            return RedirectResponse(target, 303)
        except reads.NotFoundError as exc:
            errors = [("record_id-1", exc.message)]
        except AccessDenied:
            raise
        except UserError as exc:
            errors = [("new_value", f"{exc.message}: {exc.fix}" if exc.fix else exc.message)]
    page = reads.correction_page(
        engine, principal, person_id=person_id, field=form.field, purpose=chosen
    )
    return _correction_form(request, page, form, errors, 400)


def _correct(
    engine: Engine, principal: Principal, form: CorrectionForm, purpose: Purpose | None
) -> int:
    """The correction, then (when the source agency was told) the notification: two actions,
    each audited; the correction stands if recording the notification fails."""
    chosen = purpose.value if purpose is not None else ""
    done = rectify(
        engine, source_record_id=form.record_id, field=form.field, new_value=form.new_value,
        reason=form.reason, requested_by=form.requested_by, actor=principal.username,
        purpose=chosen,
    )  # fmt: skip
    if form.told == "yes":
        record_source_notified(
            engine, rectification_id=done, notified_at=datetime.now(UTC),
            reference=form.reference, actor=principal.username, purpose=chosen,
        )  # fmt: skip
    return done


@router.get("/rectifications")
def rectifications_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = RM,
    done: str = "",
    person: int | None = None,
) -> HTMLResponse:
    _allow(engine, principal, "rectify", Resource("Person"), purpose)
    pending = awaiting_notification(engine)
    recorded = int(done) if done.isdigit() else None
    return render(
        request,
        "governance/rectifications.html",
        pending=pending,
        recorded=recorded,
        person=person,
        notified=DONE["notified"] if done == "notified" else "",
        today=_today(),
    )


@router.post("/rectifications/{rectification_id}/notified", dependencies=[CsrfChecked])
def rectification_notified(
    rectification_id: int,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: Annotated[str, Form()] = RM,
    day: Annotated[str, Form()] = "",
    month: Annotated[str, Form()] = "",
    year: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
) -> Response:
    chosen = _allow(engine, principal, "rectify", Resource("Person"), purpose)
    problems = Problems()
    told = parse_date_parts(day, month, year, "day", "The date the agency was told", problems)
    if told is None and not problems.found:
        problems.add("day", "Enter the date the source agency was told")
    if not reference.strip():
        problems.add("reference", "Enter the reference of the letter or message")
    problems.check()
    assert told is not None
    # A day: the moment is now if it is today, else the end of that day (never before the
    # correction it reports, which was recorded on or before that day).
    when = datetime.now(UTC) if told == _today() else datetime.combine(told, time.max, UTC)
    record_source_notified(
        engine, rectification_id=rectification_id, notified_at=when, reference=reference,
        actor=principal.username, purpose=chosen,
    )  # fmt: skip
    return RedirectResponse("/governance/rectifications?done=notified", 303)
