"""EHCP pages and API: the caseload, a case, and the drafting workbench (advice -> a draft plan
whose every sentence links to the advice it came from; edit, sign off, export).

Every page works for the purpose "EHC needs assessment" (declared on the pages, recorded with
each view); each handler parses, calls one read function (authorised and audited there) and
renders or redirects. The JSON API is under ``/api/ehcp``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from wholechild.actions.ehcp_drafts import DraftRefusedError
from wholechild.core.access import Purpose
from wholechild.core.disclosure import SUPPRESSED_MARK, suppression_note
from wholechild.read import ehcp as read
from wholechild.web.deps import CsrfChecked, EngineDep, PrincipalDep, SettingsDep
from wholechild.web.forms import Problems, parse_date, parse_purpose
from wholechild.web.problems import API_ERRORS, NotFoundError
from wholechild.web.templating import render

router = APIRouter()
WHY: Final = Purpose.EHC_NEEDS_ASSESSMENT.value
MEDIA: Final = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}
DONE: Final = {"signed": "Draft plan signed off", "edited": "Sentence saved"}
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
SentenceId = Annotated[str, Path(pattern=r"^[0-9a-f]{1,16}$")]
NO_NUL: Final = r"^[^\x00]*$"
LONDON: Final = ZoneInfo("Europe/London")


def _local_today() -> date:
    return datetime.now(LONDON).date()


def _purpose(value: str | None) -> Purpose | None:
    problems = Problems()
    chosen = parse_purpose(value, problems)
    problems.check()
    return chosen


def _today(on: str | None) -> date:
    problems = Problems()
    day = parse_date(on, "on", "The date", problems)
    problems.check()
    return day or _local_today()


# -- pages -----------------------------------------------------------------------------------


@router.get("/ehcp", include_in_schema=False)
def caseload_page(
    request: Request,
    engine: EngineDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    purpose: str = WHY,
    caseworker: Annotated[str, Query(max_length=128, pattern=NO_NUL)] = "",
    team: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
    on: str = "",
) -> HTMLResponse:
    view = read.caseload_view(
        engine, principal, purpose=_purpose(purpose), today=_today(on),
        threshold=settings.disclosure_threshold, caseworker=caseworker.strip() or None,
        team=team.strip() or None,
    )  # fmt: skip
    note = suppression_note(settings.disclosure_threshold)
    return render(request, "ehcp/caseload.html", view=view, mark=SUPPRESSED_MARK, note=note)


@router.get("/ehcp/cases/{case_id}", include_in_schema=False)
def case_page(
    request: Request,
    case_id: Id,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = WHY,
    on: str = "",
) -> HTMLResponse:
    view = read.case_view(
        engine, principal, case_id=case_id, purpose=_purpose(purpose), today=_today(on)
    )
    return render(request, "ehcp/case.html", view=view)


@router.post("/ehcp/cases/{case_id}/drafts", dependencies=[CsrfChecked], include_in_schema=False)
async def draft_submit(
    case_id: Id,
    engine: EngineDep,
    principal: PrincipalDep,
    advice: Annotated[list[UploadFile] | None, File()] = None,
    purpose: Annotated[str, Form()] = WHY,
) -> Response:
    files = [(f.filename, await f.read(read.MAX_UPLOAD + 1)) for f in advice or () if f.filename]
    draft_id = read.draft_from_uploads(
        engine, principal, case_id=case_id, files=files, purpose=_purpose(purpose)
    )
    return RedirectResponse(f"/ehcp/drafts/{draft_id}", status_code=303)


@router.get("/ehcp/drafts/{draft_id}", include_in_schema=False)
def workbench_page(
    request: Request,
    draft_id: Id,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = WHY,
    done: str = "",
) -> HTMLResponse:
    view = read.draft_view(engine, principal, draft_id=draft_id, purpose=_purpose(purpose))
    return render(request, "ehcp/workbench.html", view=view, done=DONE.get(done, ""))


def _sentence(view: read.DraftView, sentence_id: str) -> read.DraftSentenceView:
    for _section, _title, sentences in view.sections:
        for item in sentences:
            if item.sentence.sentence_id == sentence_id:
                return item
    raise NotFoundError(
        f"draft plan {view.draft.draft_id} has no sentence {sentence_id}",
        fix="pick a sentence from the workbench",
    )


@router.get("/ehcp/drafts/{draft_id}/sentences/{sentence_id}", include_in_schema=False)
def sentence_page(
    request: Request,
    draft_id: Id,
    sentence_id: SentenceId,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: str = WHY,
) -> HTMLResponse:
    view = read.draft_view(engine, principal, draft_id=draft_id, purpose=_purpose(purpose))
    item = _sentence(view, sentence_id)
    return render(request, "ehcp/sentence.html", view=view, item=item, text=item.sentence.text)


@router.post(
    "/ehcp/drafts/{draft_id}/sentences/{sentence_id}",
    dependencies=[CsrfChecked],
    include_in_schema=False,
)
def sentence_submit(
    request: Request,
    draft_id: Id,
    sentence_id: SentenceId,
    engine: EngineDep,
    principal: PrincipalDep,
    text: Annotated[str, Form(max_length=4000)] = "",
    purpose: Annotated[str, Form()] = WHY,
) -> Response:
    why = _purpose(purpose)
    try:
        read.edit_draft_sentence(
            engine, principal, draft_id=draft_id, sentence_id=sentence_id, text=text, purpose=why
        )
    except DraftRefusedError as refused:  # shown on the form, the wording kept for correction
        view = read.draft_view(engine, principal, draft_id=draft_id, purpose=why)
        return render(
            request, "ehcp/sentence.html", status_code=400, view=view,
            item=_sentence(view, sentence_id), text=text, error=refused,
        )  # fmt: skip
    return RedirectResponse(
        f"/ehcp/drafts/{draft_id}?done=edited#sentence-{sentence_id}", status_code=303
    )


@router.post(
    "/ehcp/drafts/{draft_id}/sign-off", dependencies=[CsrfChecked], include_in_schema=False
)
def sign_off_submit(
    draft_id: Id,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: Annotated[str, Form()] = WHY,
) -> Response:
    read.sign_off_draft(engine, principal, draft_id=draft_id, purpose=_purpose(purpose))
    return RedirectResponse(f"/ehcp/drafts/{draft_id}?done=signed", status_code=303)


@router.get("/ehcp/drafts/{draft_id}/export.{fmt}", include_in_schema=False)
def export_download(
    draft_id: Id, fmt: str, engine: EngineDep, principal: PrincipalDep, purpose: str = WHY
) -> Response:
    data = read.export_draft(
        engine, principal, draft_id=draft_id, suffix=fmt, purpose=_purpose(purpose)
    )
    headers = {"Content-Disposition": f'attachment; filename="draft-plan-{draft_id}.{fmt}"'}
    return Response(data, media_type=MEDIA.get(fmt, "application/octet-stream"), headers=headers)


# -- JSON API --------------------------------------------------------------------------------

PurposeQuery = Annotated[Purpose, Query(description="Why you are looking (recorded).")]


class CitationOut(BaseModel):
    doc_id: str
    page: int
    start: int
    end: int


class FindingOut(BaseModel):
    rule: str
    severity: str
    message: str
    fix: str


class SentenceOut(BaseModel):
    sentence_id: str
    section: str
    text: str
    original_text: str
    advice_wording: str
    citations: list[CitationOut]
    findings: list[FindingOut]
    edited_by: str | None


class DraftOut(BaseModel):
    draft_id: int
    case_id: int
    status: str
    drafted_by: str
    signed_off_by: str | None
    critical: int
    standard: int
    sentences: list[SentenceOut]


class CaseOut(BaseModel):
    case_id: int
    caseworker: str
    team: str
    stage: str
    request_received_on: date
    drafts: list[int]


class SentenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, pattern=r"^[^\x00]*\S[^\x00]*$")


def _draft_out(view: read.DraftView) -> DraftOut:
    d = view.draft
    sentences = [
        SentenceOut(
            sentence_id=i.sentence.sentence_id, section=i.sentence.section.value,
            text=i.sentence.text, original_text=i.original_text, advice_wording=i.advice_wording,
            citations=[CitationOut(doc_id=c.doc_id, page=c.page, start=c.start, end=c.end)
                       for c in i.sentence.citations],
            findings=[FindingOut(rule=f.rule, severity=f.severity.value, message=f.message,
                                 fix=f.fix) for f in i.findings],
            edited_by=i.edited_by,
        )
        for _s, _t, items in view.sections for i in items
    ]  # fmt: skip
    return DraftOut(
        draft_id=d.draft_id, case_id=d.case_id, status=d.status, drafted_by=d.drafted_by,
        signed_off_by=d.signed_off_by, critical=view.critical, standard=view.standard,
        sentences=sentences,
    )  # fmt: skip


@router.get("/api/ehcp/cases/{case_id}", response_model=CaseOut, tags=["ehcp"],
            responses=API_ERRORS)  # fmt: skip
def api_case(
    case_id: Id, engine: EngineDep, principal: PrincipalDep, purpose: PurposeQuery
) -> CaseOut:
    """One EHCP case: its stage and its draft plans."""
    view = read.case_view(engine, principal, case_id=case_id, purpose=purpose, today=_local_today())
    c = view.case
    return CaseOut(
        case_id=c.case_id, caseworker=c.caseworker, team=c.team, stage=c.stage,
        request_received_on=c.request_received_on, drafts=[d.draft_id for d in view.drafts],
    )  # fmt: skip


@router.get("/api/ehcp/drafts/{draft_id}", response_model=DraftOut, tags=["ehcp"],
            responses=API_ERRORS)  # fmt: skip
def api_draft(
    draft_id: Id, engine: EngineDep, principal: PrincipalDep, purpose: PurposeQuery
) -> DraftOut:
    """A draft plan: every sentence with its citations (document, page, offsets) and findings."""
    return _draft_out(read.draft_view(engine, principal, draft_id=draft_id, purpose=purpose))


@router.put("/api/ehcp/drafts/{draft_id}/sentences/{sentence_id}", response_model=list[FindingOut],
            tags=["ehcp"], responses=API_ERRORS, dependencies=[CsrfChecked])  # fmt: skip
def api_edit(
    draft_id: Id,
    sentence_id: SentenceId,
    body: SentenceIn,
    engine: EngineDep,
    principal: PrincipalDep,
    purpose: PurposeQuery,
) -> list[FindingOut]:
    """New wording for one sentence; refused (400) if it says what none of the advice says."""
    findings = read.edit_draft_sentence(
        engine, principal, draft_id=draft_id, sentence_id=sentence_id, text=body.text,
        purpose=purpose,
    )  # fmt: skip
    return [
        FindingOut(rule=f.rule, severity=f.severity.value, message=f.message, fix=f.fix)
        for f in findings
    ]


@router.post("/api/ehcp/drafts/{draft_id}/sign-off", response_model=DraftOut, tags=["ehcp"],
             responses=API_ERRORS, dependencies=[CsrfChecked])  # fmt: skip
def api_sign_off(
    draft_id: Id, engine: EngineDep, principal: PrincipalDep, purpose: PurposeQuery
) -> DraftOut:
    """Sign the draft off in your name; refused (400) while a critical finding remains."""
    read.sign_off_draft(engine, principal, draft_id=draft_id, purpose=purpose)
    return _draft_out(read.draft_view(engine, principal, draft_id=draft_id, purpose=purpose))
