"""Draft plans in the store: draft from advice, edit a sentence, sign off, export.

A draft is made by ``wholechild.ehcp.drafting.draft_plan`` from the advice uploaded for an
EHCP case; the advice (text by page), every drafted sentence and the span(s) it cites are kept,
so that each sentence can still be traced to its source after the caseworker's edits.

Edits are checked by the same quality checker the workbench shows: **an edit that would
leave a critical finding on its sentence is refused** (a number, frequency, duration, group
size, role or name that none of the advice gives), every reason at once; nothing unsupported
is ever stored. A fact that is in the advice but not in the passage the sentence cites is
accepted and flagged (standard). Sign-off is refused while any critical finding remains, and
records who signed the drafted text off and when. Each action writes its audit entry (ids and
counts only) in the same transaction as the change: no audit, no action.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.actions.audit import record_audit
from wholechild.ehcp.drafting import draft_plan
from wholechild.ehcp.export import EXPORT_FORMATS, write_plan
from wholechild.ehcp.model import (
    AdviceDocument,
    AdviceKind,
    DraftPlan,
    Generation,
    NeedArea,
    PlanSentence,
    Section,
    Span,
)
from wholechild.ehcp.quality import QualityFinding, Severity, check_plan, clarifications
from wholechild.ehcp.rephrase import Rephraser
from wholechild.errors import UserError
from wholechild.storage.schema import EhcpAdviceDocument, EhcpCase, EhcpDraft, EhcpDraftSentence

__all__ = [
    "DraftRefusedError",
    "StoredDraft",
    "create_draft",
    "edit_sentence",
    "export_draft",
    "findings_for",
    "load_draft",
    "sign_off",
]

log = logging.getLogger(__name__)
TARGET: Final = "ehcp_draft"
DRAFT, SIGNED_OFF = "draft", "signed_off"


class DraftRefusedError(UserError):
    """A change to a draft plan that the drafting rules do not allow."""


@dataclass(frozen=True, slots=True)
class StoredDraft:
    """A draft as stored: its case, status, sign-off, and the plan as it now reads."""

    draft_id: int
    case_id: int
    person_id: int
    status: str
    drafted_by: str
    drafted_at: datetime
    signed_off_by: str | None
    signed_off_at: datetime | None
    plan: DraftPlan
    original: dict[str, str]  # sentence id -> the drafted wording, before any edit
    edited_by: dict[str, str]  # sentence id -> who last edited it


def _now() -> datetime:
    return datetime.now(UTC)


# -- create ----------------------------------------------------------------------------------


def create_draft(
    engine: Engine,
    *,
    case_id: int,
    documents: Sequence[AdviceDocument],
    actor: str,
    purpose: str,
    rephraser: Rephraser | None = None,
) -> int:
    """Draft a plan for an EHCP case from its advice and store it; returns the draft's id."""
    if not documents:
        raise DraftRefusedError("no advice to draft from", fix="upload at least one advice file")
    if len({d.doc_id for d in documents}) < len(documents):
        raise DraftRefusedError(
            "the same advice file was uploaded twice", fix="upload each piece of advice once"
        )
    plan = draft_plan(documents, rephraser=rephraser)
    with engine.begin() as conn:
        person_id = _case_person(conn, case_id)
        draft_id = _insert_draft(conn, case_id, person_id, actor, plan)
        _insert_documents(conn, draft_id, documents)
        _insert_sentences(conn, draft_id, plan.sentences)
        record_audit(
            conn, actor=actor, purpose=purpose, action="ehcp.create_draft", target_type=TARGET,
            target_id=str(draft_id), person_id=person_id,
            details={"case_id": case_id, "documents": len(documents),
                     "sentences": len(plan.sentences)},
        )  # fmt: skip
    log.info("drafted plan %s: %d sentences", draft_id, len(plan.sentences))
    return draft_id


def _case_person(conn: Connection, case_id: int) -> int:
    person = conn.scalar(select(EhcpCase.person_id).where(EhcpCase.id == case_id))
    if person is None:
        raise UserError(f"there is no EHCP case {case_id}", fix="pick a case from the caseload")
    return int(person)


def _insert_draft(
    conn: Connection, case_id: int, person_id: int, actor: str, plan: DraftPlan
) -> int:
    models = {
        f"{s.generation.model} {s.generation.model_version}"
        for s in plan.sentences
        if s.generation is not None
    }
    row = {
        "case_id": case_id, "person_id": person_id, "status": DRAFT, "drafted_by": actor,
        "drafted_at": _now(), "rephraser": ", ".join(sorted(models))[:128] or None,
    }  # fmt: skip
    return int(conn.execute(insert(EhcpDraft).returning(EhcpDraft.id), row).scalar_one())


def _insert_documents(conn: Connection, draft_id: int, documents: Sequence[AdviceDocument]) -> None:
    conn.execute(
        insert(EhcpAdviceDocument),
        [
            {"draft_id": draft_id, "doc_id": d.doc_id, "file_name": d.file_name,
             "kind": d.kind.value, "author": d.author, "pages": list(d.pages)}
            for d in documents
        ],
    )  # fmt: skip


def _insert_sentences(conn: Connection, draft_id: int, sentences: Sequence[PlanSentence]) -> None:
    if not sentences:
        return
    conn.execute(
        insert(EhcpDraftSentence),
        [
            {"draft_id": draft_id, "sentence_id": s.sentence_id, "position": n,
             "section": s.section.value, "area": s.area.value if s.area else None,
             "original_text": s.text, "current_text": s.text,
             "citations": [_citation(c) for c in s.citations],
             "generation": asdict(s.generation) if s.generation else None}
            for n, s in enumerate(sentences)
        ],
    )  # fmt: skip


def _citation(span: Span) -> dict[str, Any]:
    return {"doc_id": span.doc_id, "page": span.page, "start": span.start, "end": span.end}


# -- load ------------------------------------------------------------------------------------


def load_draft(conn: Connection, draft_id: int) -> StoredDraft:
    """A stored draft, its plan rebuilt with each sentence as it now reads."""
    draft = conn.execute(select(EhcpDraft).where(EhcpDraft.id == draft_id)).one_or_none()
    if draft is None:
        raise UserError(f"there is no draft plan {draft_id}", fix="pick a draft from the case")
    docs = [_document(r) for r in conn.execute(_documents_query(draft_id))]
    pages = {d.doc_id: d.pages for d in docs}
    rows = list(
        conn.execute(
            select(EhcpDraftSentence)
            .where(EhcpDraftSentence.draft_id == draft_id)
            .order_by(EhcpDraftSentence.position)
        )
    )
    plan = DraftPlan(
        sentences=[_sentence(r, pages) for r in rows],
        advice=docs,
        clarifications=clarifications(docs),
    )
    return StoredDraft(
        draft.id, draft.case_id, draft.person_id, draft.status, draft.drafted_by,
        draft.drafted_at, draft.signed_off_by, draft.signed_off_at, plan,
        {r.sentence_id: r.original_text for r in rows},
        {r.sentence_id: r.edited_by for r in rows if r.edited_by},
    )  # fmt: skip


def _documents_query(draft_id: int) -> Any:
    return (
        select(EhcpAdviceDocument)
        .where(EhcpAdviceDocument.draft_id == draft_id)
        .order_by(EhcpAdviceDocument.id)
    )


def _document(row: Any) -> AdviceDocument:
    return AdviceDocument(
        row.doc_id, row.file_name, AdviceKind(row.kind), row.author, tuple(row.pages)
    )


def _sentence(row: Any, pages: dict[str, tuple[str, ...]]) -> PlanSentence:
    spans = tuple(
        Span(c["doc_id"], c["page"], c["start"], c["end"],
             pages[c["doc_id"]][c["page"] - 1][c["start"] : c["end"]])
        for c in row.citations
    )  # fmt: skip
    return PlanSentence(
        section=Section(row.section),
        text=row.current_text,
        citations=spans,
        area=NeedArea(row.area) if row.area else None,
        sentence_id=row.sentence_id,
        generation=Generation(**row.generation) if row.generation else None,
    )


def findings_for(draft: StoredDraft) -> list[QualityFinding]:
    """The quality checker's findings on the draft as it now reads."""
    return check_plan(draft.plan, draft.plan.advice)


def _critical(findings: Sequence[QualityFinding]) -> list[QualityFinding]:
    return [f for f in findings if f.severity is Severity.CRITICAL]


# -- edit ------------------------------------------------------------------------------------


def edit_sentence(
    engine: Engine, *, draft_id: int, sentence_id: str, text: str, actor: str, purpose: str
) -> list[QualityFinding]:
    """Change one sentence's wording; returns the findings on it after the edit.

    Refused, with every reason, if the new wording says something none of the advice says."""
    wording = " ".join(text.split())
    if not wording:
        raise DraftRefusedError("the new wording is empty", fix="enter the sentence's wording")
    with engine.begin() as conn:
        draft = _editable(conn, draft_id)
        edited = _with_wording(draft, sentence_id, wording)
        mine = [f for f in check_plan(edited, edited.advice) if f.sentence_id == sentence_id]
        _refuse_unsupported(mine)
        conn.execute(
            update(EhcpDraftSentence)
            .where(EhcpDraftSentence.draft_id == draft_id,
                   EhcpDraftSentence.sentence_id == sentence_id)
            .values(current_text=wording, edited_by=actor, edited_at=_now())
        )  # fmt: skip
        record_audit(
            conn, actor=actor, purpose=purpose, action="ehcp.edit_sentence", target_type=TARGET,
            target_id=str(draft_id), person_id=draft.person_id,
            details={"sentence_id": sentence_id, "findings": len(mine)},
        )  # fmt: skip
    return mine


def _editable(conn: Connection, draft_id: int) -> StoredDraft:
    draft = load_draft(conn, draft_id)
    if draft.status == SIGNED_OFF:
        raise DraftRefusedError(
            f"draft plan {draft_id} is signed off and can no longer be changed",
            fix="start a new draft from the advice if the plan must change",
        )
    return draft


def _with_wording(draft: StoredDraft, sentence_id: str, wording: str) -> DraftPlan:
    ids = [s.sentence_id for s in draft.plan.sentences]
    if sentence_id not in ids:
        raise UserError(
            f"draft plan {draft.draft_id} has no sentence {sentence_id}",
            fix="pick a sentence from the draft",
        )
    sentences = [
        PlanSentence(s.section, wording, s.citations, s.area, s.sentence_id, s.generation)
        if s.sentence_id == sentence_id
        else s
        for s in draft.plan.sentences
    ]
    return DraftPlan(sentences, draft.plan.advice, draft.plan.clarifications)


def _refuse_unsupported(findings: Sequence[QualityFinding]) -> None:
    critical = _critical(findings)
    if critical:
        raise DraftRefusedError(
            "the new wording says something the advice does not: "
            + "; ".join(f.message for f in critical),
            fix="use only what the advice says (its numbers, frequencies, roles and names), "
            "or ask the advice's author",
        )


# -- sign off --------------------------------------------------------------------------------


def sign_off(engine: Engine, *, draft_id: int, actor: str, purpose: str) -> None:
    """Sign the draft off in the caseworker's name; refused while a critical finding remains."""
    with engine.begin() as conn:
        draft = _editable(conn, draft_id)
        findings = findings_for(draft)
        critical = _critical(findings)
        if critical:
            raise DraftRefusedError(
                f"draft plan {draft_id} cannot be signed off: {len(critical)} critical "
                "finding(s) remain",
                fix="correct each sentence marked critical in the workbench, then sign off",
            )
        conn.execute(
            update(EhcpDraft)
            .where(EhcpDraft.id == draft_id)
            .values(status=SIGNED_OFF, signed_off_by=actor, signed_off_at=_now())
        )
        edited = len(draft.edited_by)
        record_audit(
            conn, actor=actor, purpose=purpose, action="ehcp.sign_off_draft", target_type=TARGET,
            target_id=str(draft_id), person_id=draft.person_id,
            details={"case_id": draft.case_id, "sentences": len(draft.plan.sentences),
                     "sentences_edited": edited, "findings_open": len(findings)},
        )  # fmt: skip
    log.info("draft plan %s signed off", draft_id)


# -- export ----------------------------------------------------------------------------------


def export_draft(engine: Engine, *, draft_id: int, suffix: str, actor: str, purpose: str) -> bytes:
    """The draft as a document (.docx, .pdf, .md or .json) with its provenance appendix."""
    suffix = suffix.lower() if suffix.startswith(".") else f".{suffix.lower()}"
    if suffix not in EXPORT_FORMATS:
        raise UserError(
            f"cannot export a plan as {suffix}", fix="choose DOCX, PDF, Markdown or JSON"
        )
    with engine.begin() as conn:
        draft = load_draft(conn, draft_id)
        record_audit(
            conn, actor=actor, purpose=purpose, action="ehcp.export_draft", target_type=TARGET,
            target_id=str(draft_id), person_id=draft.person_id,
            details={"format": suffix.lstrip("."), "status": draft.status,
                     "sentences": len(draft.plan.sentences)},
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"plan{suffix}"
            write_plan(draft.plan, path)
            return path.read_bytes()
