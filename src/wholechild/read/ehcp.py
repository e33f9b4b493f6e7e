"""EHCP caseloads, cases and draft plans through the one access choke point.

Every function takes the signed-in ``principal`` and the declared purpose, asks the access
policy (``view_caseload``, ``view_case``, ``draft_plan``, ``sign_off_plan``) before any child
data is read, and audits what it showed. Counts that aggregate many children (cases by stage,
caseworkers' loads, 20-week performance) pass disclosure control; lists of cases (a
caseworker's own, the clocks due) are lists, not aggregates, and are shown to SEND caseworkers
whose work they are. Changes are the audited actions of ``wholechild.actions.ehcp_drafts``,
run in the signed-in caseworker's name once the policy allows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine, select

from wholechild.access import Resource, record_access, require
from wholechild.actions import ehcp_drafts as actions
from wholechild.actions.ehcp_drafts import StoredDraft, findings_for, load_draft
from wholechild.core.access import Principal, Purpose
from wholechild.core.disclosure import CountTable, suppress, suppress_series
from wholechild.ehcp.clocks import Clock, Step, default_spec, evaluate
from wholechild.ehcp.diff import WordChange, advice_wording, word_diff
from wholechild.ehcp.documents import advice_from_bytes
from wholechild.ehcp.model import SECTION_TITLES, AdviceDocument, PlanSentence, Section
from wholechild.ehcp.quality import QualityFinding
from wholechild.ehcp.spans import split_spans
from wholechild.errors import InputFileError, UserError
from wholechild.read.caseload import (
    DueItem,
    case_steps,
    caseload,
    caseload_by_caseworker,
    twenty_week_by_month_for,
)
from wholechild.storage.schema import EhcpCase, EhcpDraft

__all__ = [
    "AdvicePane",
    "CaseView",
    "CaseloadView",
    "DraftSentenceView",
    "DraftView",
    "case_view",
    "caseload_view",
    "draft_from_uploads",
    "draft_view",
    "edit_draft_sentence",
    "export_draft",
    "sign_off_draft",
    "span_anchor",
]

CASELOAD: Final = Resource("Caseload")
LIST_LIMIT: Final = 100
MAX_UPLOAD: Final = 10 * 1024 * 1024  # bytes, per advice file


def _case(case_id: int) -> Resource:
    return Resource("EhcpCase", str(case_id))


def span_anchor(doc_id: str, page: int, start: int) -> str:
    """The HTML id of a span of advice in the workbench (its source pane)."""
    return f"src-{doc_id[:12]}-{page}-{start}"


# -- caseload --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: int
    person_id: int
    caseworker: str
    team: str
    stage: str
    stage_label: str
    request_received_on: date


@dataclass(frozen=True, slots=True)
class CaseloadView:
    """A caseload: the chosen caseworker's cases (or the signed-in user's own), the clocks due
    soon and overdue, and (suppressed) counts by stage, by caseworker and 20-week performance."""

    caseworker: str | None
    team: str | None
    cases: tuple[CaseRow, ...]
    due_soon: tuple[DueItem, ...]
    overdue: tuple[DueItem, ...]
    by_stage: Any  # SuppressedSeries
    by_caseworker: Any  # SuppressedTable
    performance: tuple[tuple[str, int | None, int | None, float | None], ...]
    performance_total: tuple[int | None, int | None, float | None]
    threshold: int
    teams: tuple[str, ...]
    today: date  # the day the clocks stand on


def caseload_view(
    engine: Engine,
    principal: Principal,
    *,
    purpose: Purpose | None,
    today: date,
    threshold: int,
    caseworker: str | None = None,
    team: str | None = None,
) -> CaseloadView:
    """A caseworker's or team's caseload on ``today`` (the signed-in user's own by default)."""
    allowed = require(engine, principal, "view_caseload", CASELOAD, purpose=purpose)
    who = caseworker or (principal.username if _has_cases(engine, principal.username) else None)
    load = caseload(engine, today=today, caseworker=who, team=team)
    cases = _case_rows(engine, who, team)
    view = CaseloadView(
        who, team, cases, tuple(load.due_soon[:LIST_LIMIT]), tuple(load.overdue[:LIST_LIMIT]),
        _stages(load.by_stage, threshold), _loads(engine, today, team, threshold),
        *_performance(engine, today, team, threshold), threshold, _teams(engine), today,
    )  # fmt: skip
    with engine.begin() as conn:
        record_access(
            conn, principal, "view_caseload", CASELOAD, allowed, purpose=purpose,
            details={"cases_listed": len(cases), "due_soon": len(load.due_soon),
                     "overdue": len(load.overdue)},
        )  # fmt: skip
    return view


def _has_cases(engine: Engine, username: str) -> bool:
    with engine.connect() as conn:
        query = select(EhcpCase.id).where(EhcpCase.caseworker == username).limit(1)
        return conn.scalar(query) is not None


def _case_rows(engine: Engine, caseworker: str | None, team: str | None) -> tuple[CaseRow, ...]:
    if caseworker is None and team is None:
        return ()  # everyone's cases are counted, not listed
    stages = default_spec().stages
    query = select(EhcpCase).order_by(EhcpCase.request_received_on.desc(), EhcpCase.id)
    if caseworker is not None:
        query = query.where(EhcpCase.caseworker == caseworker)
    if team is not None:
        query = query.where(EhcpCase.team == team)
    with engine.connect() as conn:
        rows = conn.execute(query.limit(LIST_LIMIT)).all()
    return tuple(
        CaseRow(r.id, r.person_id, r.caseworker, r.team, r.stage,
                stages[r.stage][0] if r.stage in stages else r.stage, r.request_received_on)
        for r in rows
    )  # fmt: skip


def _stages(by_stage: dict[str, int], threshold: int) -> Any:
    spec = default_spec()
    names = [name for name, (_label, is_open) in spec.stages.items() if is_open]
    labels = [spec.stages[n][0] for n in names]
    return suppress_series(labels, [by_stage.get(n, 0) for n in names], threshold=threshold)


def _loads(engine: Engine, today: date, team: str | None, threshold: int) -> Any:
    loads = caseload_by_caseworker(engine, today=today, team=team)
    if not loads:
        return None
    table = CountTable(
        tuple(f"{load.caseworker} ({load.team})" for load in loads),
        ("Open cases", "Clocks due soon", "Clocks overdue"),
        tuple((load.open_cases, load.due_soon, load.overdue) for load in loads),
    )
    return suppress(table, threshold=threshold)


def _performance(
    engine: Engine, today: date, team: str | None, threshold: int
) -> tuple[
    tuple[tuple[str, int | None, int | None, float | None], ...],
    tuple[int | None, int | None, float | None],
]:
    """Plans counted (exceptions left out) and within 20 weeks, by month over the last year;
    a per cent only where both figures may be shown."""
    start = date(today.year - 1, today.month, 1) + timedelta(days=31)
    months = twenty_week_by_month_for(engine, start=start.replace(day=1), end=today, team=team)
    labels = tuple(m.month.strftime("%b %Y") for m in months)
    if not months:
        return (), (None, None, None)
    table = suppress(
        CountTable(
            ("Within 20 weeks", "Later"),
            labels,
            (tuple(m.within_20_weeks for m in months),
             tuple(m.counted - m.within_20_weeks for m in months)),
        ),
        threshold=threshold,
    )  # fmt: skip
    rows = tuple(
        (label, table.column_totals[i], table.cells[0][i],
         _percent(table.cells[0][i], table.column_totals[i]))
        for i, label in enumerate(labels)
    )  # fmt: skip
    total = (table.grand_total, table.row_totals[0])
    return rows, (*total, _percent(total[1], total[0]))


def _percent(within: int | None, counted: int | None) -> float | None:
    if within is None or not counted:
        return None
    return 100.0 * within / counted


def _teams(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return tuple(conn.scalars(select(EhcpCase.team).distinct().order_by(EhcpCase.team)))


# -- one case --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftSummary:
    draft_id: int
    status: str
    drafted_by: str
    drafted_at: datetime
    signed_off_by: str | None
    signed_off_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseView:
    case: CaseRow
    sen_needs: str | None
    steps: tuple[Step, ...]
    clocks: tuple[Clock, ...]
    drafts: tuple[DraftSummary, ...]


def case_view(
    engine: Engine, principal: Principal, *, case_id: int, purpose: Purpose | None, today: date
) -> CaseView:
    """One EHCP case: its steps, its statutory clocks on ``today``, and its draft plans."""
    target = _case(case_id)
    allowed = require(engine, principal, "view_case", target, purpose=purpose)
    stages = default_spec().stages
    with engine.begin() as conn:
        row = conn.execute(select(EhcpCase).where(EhcpCase.id == case_id)).one_or_none()
        if row is None:
            raise UserError(f"there is no EHCP case {case_id}", fix="pick a case from the caseload")
        steps = case_steps(conn, [case_id]).get(case_id, [])
        drafts = conn.execute(
            select(EhcpDraft).where(EhcpDraft.case_id == case_id).order_by(EhcpDraft.id.desc())
        ).all()
        summaries = tuple(
            DraftSummary(d.id, d.status, d.drafted_by, d.drafted_at, d.signed_off_by,
                         d.signed_off_at)
            for d in drafts
        )  # fmt: skip
        record_access(
            conn, principal, "view_case", target, allowed, purpose=purpose,
            person_id=row.person_id, details={"steps": len(steps), "drafts": len(summaries)},
        )  # fmt: skip
    label = stages.get(row.stage, (row.stage, True))[0]
    case = CaseRow(row.id, row.person_id, row.caseworker, row.team, row.stage, label,
                   row.request_received_on)  # fmt: skip
    clocks = tuple(evaluate(default_spec(), steps, today))
    return CaseView(case, row.sen_needs, tuple(steps), clocks, summaries)


# -- drafts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceSegment:
    """A stretch of an advice page: a span (with its anchor) or the text between spans."""

    text: str
    anchor: str | None


@dataclass(frozen=True, slots=True)
class AdvicePane:
    doc_id: str
    file_name: str
    kind: str
    author: str | None
    pages: tuple[tuple[SourceSegment, ...], ...]


@dataclass(frozen=True, slots=True)
class DraftSentenceView:
    sentence: PlanSentence
    anchors: tuple[str, ...]
    advice_wording: str
    original_text: str
    changes: tuple[WordChange, ...]  # advice wording -> plan wording
    findings: tuple[QualityFinding, ...]
    edited_by: str | None


@dataclass(frozen=True, slots=True)
class DraftView:
    draft: StoredDraft
    sections: tuple[tuple[Section, str, tuple[DraftSentenceView, ...]], ...]
    advice: tuple[AdvicePane, ...]
    findings: tuple[QualityFinding, ...]
    critical: int
    standard: int
    # Findings on the plan as a whole (a need with no provision, a quantity the draft left
    # out, a question to an author), each with the anchor of the advice it points at, if any.
    general: tuple[tuple[QualityFinding, str | None], ...]


def draft_view(
    engine: Engine, principal: Principal, *, draft_id: int, purpose: Purpose | None
) -> DraftView:
    """The workbench: the draft by section, each sentence with its sources, its difference
    from the advice wording and its findings; the advice with every span addressable."""
    with engine.connect() as conn:
        case_id = _draft_case(conn, draft_id)
    target = _case(case_id)
    allowed = require(engine, principal, "view_case", target, purpose=purpose)
    with engine.begin() as conn:
        draft = load_draft(conn, draft_id)
        record_access(
            conn, principal, "view_case", target, allowed, purpose=purpose,
            person_id=draft.person_id, details={"draft_id": draft_id},
        )  # fmt: skip
    findings = tuple(findings_for(draft))
    by_sentence = _by_sentence(findings)
    sentences = [_sentence_view(draft, s, by_sentence) for s in draft.plan.sentences]
    sections = tuple(
        (section, SECTION_TITLES[section],
         tuple(v for v in sentences if v.sentence.section is section))
        for section in Section
    )  # fmt: skip
    critical = sum(f.severity.value == "critical" for f in findings)
    standard = sum(f.severity.value == "standard" for f in findings)
    panes = tuple(_pane(doc) for doc in draft.plan.advice)
    general = tuple(
        (f, span_anchor(f.span.doc_id, f.span.page, f.span.start) if f.span else None)
        for f in by_sentence.get("", [])
    )
    return DraftView(draft, sections, panes, findings, critical, standard, general)


def _draft_case(conn: Any, draft_id: int) -> int:
    case_id = conn.scalar(select(EhcpDraft.case_id).where(EhcpDraft.id == draft_id))
    if case_id is None:
        raise UserError(f"there is no draft plan {draft_id}", fix="pick a draft from the case")
    return int(case_id)


def _by_sentence(findings: Sequence[QualityFinding]) -> dict[str, list[QualityFinding]]:
    grouped: dict[str, list[QualityFinding]] = {}
    for finding in findings:
        grouped.setdefault(finding.sentence_id, []).append(finding)
    return grouped


def _sentence_view(
    draft: StoredDraft, s: PlanSentence, findings: dict[str, list[QualityFinding]]
) -> DraftSentenceView:
    wording = advice_wording(s)
    return DraftSentenceView(
        sentence=s,
        anchors=tuple(span_anchor(c.doc_id, c.page, c.start) for c in s.citations),
        advice_wording=wording,
        original_text=draft.original.get(s.sentence_id, s.text),
        changes=tuple(word_diff(wording, s.text)),
        findings=tuple(findings.get(s.sentence_id, ())),
        edited_by=draft.edited_by.get(s.sentence_id),
    )


def _pane(doc: AdviceDocument) -> AdvicePane:
    spans = split_spans(doc)
    pages: list[tuple[SourceSegment, ...]] = []
    for number, page in enumerate(doc.pages, start=1):
        segments, at = [], 0
        for span in (s for s in spans if s.page == number):
            if span.start > at:
                segments.append(SourceSegment(page[at : span.start], None))
            segments.append(SourceSegment(span.text, span_anchor(doc.doc_id, number, span.start)))
            at = span.end
        if at < len(page):
            segments.append(SourceSegment(page[at:], None))
        pages.append(tuple(segments))
    return AdvicePane(doc.doc_id, doc.file_name, doc.kind.value, doc.author, tuple(pages))


def draft_from_uploads(
    engine: Engine,
    principal: Principal,
    *,
    case_id: int,
    files: Sequence[tuple[str, bytes]],
    purpose: Purpose | None,
) -> int:
    """Read each uploaded advice file (every problem reported at once) and draft a plan."""
    require(engine, principal, "draft_plan", _case(case_id), purpose=purpose)
    if not files:
        raise InputFileError(
            "no advice file was chosen", fix="choose at least one DOCX, PDF or plain-text file"
        )
    documents: list[AdviceDocument] = []
    problems: list[str] = []
    for name, data in files:
        try:
            documents.append(_advice(name, data))
        except InputFileError as exc:
            problems.append(f"{exc.message} ({exc.fix})" if exc.fix else exc.message)
    if problems:
        raise InputFileError(
            f"{len(problems)} of {len(files)} advice files cannot be read: " + "; ".join(problems),
            fix="correct each file as described, then upload them again",
        )
    return actions.create_draft(
        engine, case_id=case_id, documents=documents, actor=principal.username,
        purpose=_purpose_value(purpose),
    )  # fmt: skip


def _advice(name: str, data: bytes) -> AdviceDocument:
    if len(data) > MAX_UPLOAD:
        raise InputFileError(f"{name} is larger than 10 MB", fix="upload a smaller file")
    return advice_from_bytes(name, data)


def _purpose_value(purpose: Purpose | None) -> str:
    return purpose.value if purpose is not None else ""


def _require_on_draft(
    engine: Engine, principal: Principal, action: str, draft_id: int, purpose: Purpose | None
) -> None:
    with engine.connect() as conn:
        case_id = _draft_case(conn, draft_id)
    require(engine, principal, action, _case(case_id), purpose=purpose)


def edit_draft_sentence(
    engine: Engine,
    principal: Principal,
    *,
    draft_id: int,
    sentence_id: str,
    text: str,
    purpose: Purpose | None,
) -> list[QualityFinding]:
    """The caseworker's wording for one sentence (refused if it says what no advice says)."""
    _require_on_draft(engine, principal, "draft_plan", draft_id, purpose)
    return actions.edit_sentence(
        engine, draft_id=draft_id, sentence_id=sentence_id, text=text,
        actor=principal.username, purpose=_purpose_value(purpose),
    )  # fmt: skip


def sign_off_draft(
    engine: Engine, principal: Principal, *, draft_id: int, purpose: Purpose | None
) -> None:
    """Sign the draft off in the caseworker's name (refused while critical findings remain)."""
    _require_on_draft(engine, principal, "sign_off_plan", draft_id, purpose)
    actions.sign_off(
        engine, draft_id=draft_id, actor=principal.username, purpose=_purpose_value(purpose)
    )


def export_draft(
    engine: Engine, principal: Principal, *, draft_id: int, suffix: str, purpose: Purpose | None
) -> bytes:
    """The draft as DOCX, PDF, Markdown or JSON, with its provenance appendix (audited)."""
    _require_on_draft(engine, principal, "draft_plan", draft_id, purpose)
    return actions.export_draft(
        engine, draft_id=draft_id, suffix=suffix, actor=principal.username,
        purpose=_purpose_value(purpose),
    )  # fmt: skip
