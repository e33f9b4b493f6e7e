"""Draft plans in the store (both stores): drafted from advice with every sentence's citations
kept, edits checked by the quality checker (an unsupported fact is refused), sign-off refused
while a critical finding remains and recorded with the caseworker's name, export, and every
action audited in its own transaction (audit fails => nothing written)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from sqlalchemy import Engine, func, insert, select, update

from wholechild.actions import ehcp_drafts
from wholechild.actions.ehcp_cases import open_case
from wholechild.actions.ehcp_drafts import (
    DraftRefusedError,
    create_draft,
    edit_sentence,
    export_draft,
    findings_for,
    load_draft,
    sign_off,
)
from wholechild.ehcp.documents import read_advice
from wholechild.ehcp.model import AdviceDocument, Section
from wholechild.ehcp.quality import Severity
from wholechild.errors import UserError
from wholechild.storage.schema import (
    AuditEvent,
    EhcpAdviceDocument,
    EhcpDraft,
    EhcpDraftSentence,
    Person,
)

ADVICE = Path(__file__).parent / "fixtures" / "advice"
WHO, WHY = "send.caseworker", "ehc_needs_assessment"
# Section F: a phonics provision the checker flags as vague ("small group"), with no group size.
PHONICS = "7461461fcc79"
PHONICS_FIXED = (
    "What: a structured phonics programme; Who: a trained teaching assistant; "
    "How often: daily; How long: 20 minutes; Group size: 1:1."
)


def advice() -> list[AdviceDocument]:
    return [read_advice(p) for p in sorted(ADVICE.glob("*.txt"))]


def a_case(engine: Engine) -> int:
    with engine.begin() as conn:
        person = conn.execute(
            insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
        ).scalar_one()
    return open_case(
        engine, person_id=int(person), caseworker=WHO, team="North",
        request_received_on=date(2026, 9, 7), actor=WHO, purpose=WHY, today=date(2026, 11, 2),
    )  # fmt: skip


def a_draft(engine: Engine) -> int:
    return create_draft(engine, case_id=a_case(engine), documents=advice(), actor=WHO, purpose=WHY)


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_a_draft_keeps_the_advice_and_every_sentence_with_its_citations(store: Engine) -> None:
    draft_id = a_draft(store)
    with store.connect() as conn:
        draft = load_draft(conn, draft_id)
    assert draft.status == "draft" and draft.drafted_by == WHO
    assert len(draft.plan.advice) == len(list(ADVICE.glob("*.txt")))
    assert len(draft.plan.sentences) > 20
    for sentence in draft.plan.sentences:  # each citation's text is the advice at its offsets
        assert sentence.citations
        for span in sentence.citations:
            doc = next(d for d in draft.plan.advice if d.doc_id == span.doc_id)
            assert doc.pages[span.page - 1][span.start : span.end] == span.text
            assert span.text.strip()
    phonics = next(s for s in draft.plan.sentences if s.sentence_id == PHONICS)
    assert phonics.section is Section.F and "phonics" in phonics.citations[0].text
    assert audit_actions(store)[-1] == "ehcp.create_draft"


def test_the_same_advice_twice_or_none_is_refused(store: Engine) -> None:
    case_id = a_case(store)
    with pytest.raises(DraftRefusedError, match="twice"):
        create_draft(store, case_id=case_id, documents=advice()[:1] * 2, actor=WHO, purpose=WHY)
    with pytest.raises(DraftRefusedError, match="no advice"):
        create_draft(store, case_id=case_id, documents=[], actor=WHO, purpose=WHY)
    with pytest.raises(UserError, match="no EHCP case"):
        create_draft(store, case_id=case_id + 99, documents=advice(), actor=WHO, purpose=WHY)
    assert count(store, EhcpDraft) == 0


def test_fixing_a_flagged_provision_clears_its_findings(store: Engine) -> None:
    draft_id = a_draft(store)
    with store.connect() as conn:
        before = findings_for(load_draft(conn, draft_id))
    rules = {f.rule for f in before if f.sentence_id == PHONICS}
    assert {"vague_wording", "provision_group_size"} <= rules
    after = edit_sentence(
        store, draft_id=draft_id, sentence_id=PHONICS, text=PHONICS_FIXED, actor=WHO, purpose=WHY
    )
    assert not {f.rule for f in after} & {"vague_wording", "provision_group_size"}
    assert all(f.severity is not Severity.CRITICAL for f in after)
    with store.connect() as conn:
        draft = load_draft(conn, draft_id)
        row = conn.execute(
            select(EhcpDraftSentence).where(EhcpDraftSentence.sentence_id == PHONICS)
        ).one()
    assert row.current_text == PHONICS_FIXED and row.original_text != PHONICS_FIXED
    assert row.edited_by == WHO and draft.edited_by == {PHONICS: WHO}
    assert audit_actions(store)[-1] == "ehcp.edit_sentence"


@pytest.mark.parametrize(
    ("wording", "refused_for"),
    [
        ("What: phonics; How often: daily; How long: 45 minutes.", "45 minutes"),
        ("What: phonics delivered by Mrs Okonkwo-Patel, daily for 20 minutes.", "Okonkwo"),
        ("What: phonics; How often: 4 times a week; How long: 20 minutes.", "4 times a week"),
    ],
)
def test_an_edit_that_says_what_no_advice_says_is_refused(
    store: Engine, wording: str, refused_for: str
) -> None:
    draft_id = a_draft(store)
    audited = len(audit_actions(store))
    with pytest.raises(DraftRefusedError, match=refused_for):
        edit_sentence(
            store, draft_id=draft_id, sentence_id=PHONICS, text=wording, actor=WHO, purpose=WHY
        )
    with store.connect() as conn:
        text = conn.scalar(
            select(EhcpDraftSentence.current_text).where(EhcpDraftSentence.sentence_id == PHONICS)
        )
    assert text != wording and len(audit_actions(store)) == audited


def test_sign_off_is_refused_while_a_critical_finding_remains(store: Engine) -> None:
    draft_id = a_draft(store)
    # Bypassing the edit action (as a faulty import might), an unsupported number gets in.
    with store.begin() as conn:
        conn.execute(
            update(EhcpDraftSentence)
            .where(EhcpDraftSentence.sentence_id == PHONICS)
            .values(current_text="What: phonics for 45 minutes daily.")
        )
    with pytest.raises(DraftRefusedError, match="1 critical"):
        sign_off(store, draft_id=draft_id, actor=WHO, purpose=WHY)
    edit_sentence(
        store, draft_id=draft_id, sentence_id=PHONICS, text=PHONICS_FIXED, actor=WHO, purpose=WHY
    )
    sign_off(store, draft_id=draft_id, actor="another.caseworker", purpose=WHY)
    with store.connect() as conn:
        draft = load_draft(conn, draft_id)
    assert draft.status == "signed_off" and draft.signed_off_by == "another.caseworker"
    assert draft.signed_off_at is not None
    assert audit_actions(store)[-1] == "ehcp.sign_off_draft"


def test_a_signed_off_draft_cannot_be_changed_or_signed_again(store: Engine) -> None:
    draft_id = a_draft(store)
    sign_off(store, draft_id=draft_id, actor=WHO, purpose=WHY)
    with pytest.raises(DraftRefusedError, match="signed off"):
        edit_sentence(
            store, draft_id=draft_id, sentence_id=PHONICS, text=PHONICS_FIXED, actor=WHO,
            purpose=WHY,
        )  # fmt: skip
    with pytest.raises(DraftRefusedError, match="signed off"):
        sign_off(store, draft_id=draft_id, actor=WHO, purpose=WHY)


def test_the_database_refuses_a_sign_off_without_who_and_when(store: Engine) -> None:
    draft_id = a_draft(store)
    with pytest.raises(Exception, match=r"(?i)check|constraint"), store.begin() as conn:
        conn.execute(update(EhcpDraft).where(EhcpDraft.id == draft_id).values(status="signed_off"))


def test_export_writes_the_edited_wording_and_the_provenance_appendix(store: Engine) -> None:
    draft_id = a_draft(store)
    edit_sentence(
        store, draft_id=draft_id, sentence_id=PHONICS, text=PHONICS_FIXED, actor=WHO, purpose=WHY
    )
    data = export_draft(store, draft_id=draft_id, suffix="docx", actor=WHO, purpose=WHY)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert PHONICS_FIXED.rstrip(".") in text
    assert "Provenance appendix" in text and "characters" in text
    pdf = export_draft(store, draft_id=draft_id, suffix=".pdf", actor=WHO, purpose=WHY)
    assert pdf.startswith(b"%PDF")
    assert audit_actions(store)[-2:] == ["ehcp.export_draft", "ehcp.export_draft"]
    with pytest.raises(UserError, match="cannot export"):
        export_draft(store, draft_id=draft_id, suffix="exe", actor=WHO, purpose=WHY)


def test_audit_write_fails_then_nothing_is_written(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = a_case(store)
    draft_id = a_draft(store)

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("audit store full")

    monkeypatch.setattr(ehcp_drafts, "record_audit", broken)
    drafts, documents = count(store, EhcpDraft), count(store, EhcpAdviceDocument)
    with pytest.raises(RuntimeError):
        create_draft(store, case_id=case_id, documents=advice(), actor=WHO, purpose=WHY)
    with pytest.raises(RuntimeError):
        edit_sentence(
            store, draft_id=draft_id, sentence_id=PHONICS, text=PHONICS_FIXED, actor=WHO,
            purpose=WHY,
        )  # fmt: skip
    with pytest.raises(RuntimeError):
        sign_off(store, draft_id=draft_id, actor=WHO, purpose=WHY)
    assert (count(store, EhcpDraft), count(store, EhcpAdviceDocument)) == (drafts, documents)
    with store.connect() as conn:
        draft = load_draft(conn, draft_id)
    assert draft.status == "draft" and not draft.edited_by
