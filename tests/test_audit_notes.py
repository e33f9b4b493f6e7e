"""Audit notes: free text written by staff (a break-glass justification, a reason) is kept
beside the hash chain, the entry holding only its SHA-256. ``verify_chain`` names a note whose
text was edited, blanked, added or deleted; a note erased through ``erase_note`` is reported
as erased, not tampered with, and the chain still verifies. Each test runs on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from test_audit_cli import run as run_audit_cli
from test_audit_verify import append, found
from wholechild.access import Resource, authorize, decide
from wholechild.actions import audit as audit_actions
from wholechild.actions.audit import erase_note, record_audit
from wholechild.actions.legal_holds import list_holds, place_hold, release_hold
from wholechild.audit import TamperKind, verify_chain
from wholechild.audit.notes import ERASED, note_text, notes_for
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.errors import UserError
from wholechild.read.access_report import access_report
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import AuditEvent, AuditNote, Person

POLICE = Principal("pc@police", Role.POLICE_OFFICER, Category.POLICE)
IG = Principal("ig@council", Role.IG_OFFICER, Category.OTHER)
HEALTH_RECORD = Resource("Record", "r1", Category.HEALTH)
SAFEGUARDING = Purpose.SAFEGUARDING_ENQUIRY
JUSTIFICATION = "Worried about Jane Testchild's bruises: strategy meeting tonight"
PERSON = 41
NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def break_glass(engine: Engine, justification: str = JUSTIFICATION) -> int:
    """A police officer breaks glass to see a health record; the audit entry's id."""
    decision = decide(POLICE, "view_record", HEALTH_RECORD, purpose=SAFEGUARDING,
                      justification=justification)  # fmt: skip
    assert decision.break_glass
    with engine.begin() as conn:
        authorize(conn, POLICE, "view_record", HEALTH_RECORD, purpose=SAFEGUARDING,
                  justification=justification, person_id=PERSON)  # fmt: skip
        return int(conn.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)))


def entry(engine: Engine, event_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(AuditEvent).where(AuditEvent.id == event_id)).one()


def note_row(engine: Engine, event_id: int, kind: str = "justification") -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(AuditNote).where(AuditNote.audit_event_id == event_id, AuditNote.kind == kind)
        ).one_or_none()


def set_note(engine: Engine, event_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(AuditNote).where(AuditNote.audit_event_id == event_id).values(**values))


# -- written beside the chain -----------------------------------------------------------------


def test_the_justification_is_a_note_and_the_entry_holds_only_its_hash(store: Engine) -> None:
    append(store, 2)
    glass = break_glass(store)

    stored = entry(store, glass)
    assert stored.flagged and stored.person_id == PERSON
    assert "justification" not in stored.details
    assert stored.details["justification_sha256"] == sha(JUSTIFICATION)
    assert "Jane" not in json.dumps(stored.details)
    note = note_row(store, glass)
    assert (note.text, note.sha256, note.erased_at) == (JUSTIFICATION, sha(JUSTIFICATION), None)
    report = verify_chain(store)
    assert report.ok and report.notes == 1 and report.erased_notes == ()


def test_an_allowed_view_without_break_glass_writes_no_note(store: Engine) -> None:
    own = Resource("Record", "r2", Category.POLICE)
    with store.begin() as conn:
        authorize(conn, POLICE, "view_record", own, purpose=SAFEGUARDING,
                  justification=JUSTIFICATION)  # fmt: skip
    stored = entry(store, 1)
    assert not stored.flagged and "justification_sha256" not in stored.details
    assert note_row(store, 1) is None


def test_a_released_holds_reason_is_a_note(store: Engine) -> None:
    with store.begin() as conn:
        person = conn.execute(insert(Person).returning(Person.id), {"created_at": NOW}).scalar_one()
    hold = place_hold(store, actor="ig", purpose="administration", reason="claim 2026/17",
                      person_id=person)  # fmt: skip
    release_hold(store, hold_id=hold, actor="ig", purpose="administration",
                 reason="settled: Jane's family withdrew the claim")  # fmt: skip
    with store.connect() as conn:
        released = conn.execute(
            select(AuditEvent).where(AuditEvent.action == "legal_hold.release")
        ).one()
    assert released.details == {
        "hold_id": hold,
        "reason_sha256": sha("settled: Jane's family withdrew the claim"),
    }
    assert note_row(store, released.id, "reason").text.startswith("settled: Jane's")
    assert verify_chain(store).ok


def test_no_note_no_entry_and_no_action(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The note is written in the action's transaction: if it fails, nothing is written."""
    with store.begin() as conn:
        person = conn.execute(insert(Person).returning(Person.id), {"created_at": NOW}).scalar_one()
    hold = place_hold(store, actor="ig", purpose="administration", reason="inquiry",
                      person_id=person)  # fmt: skip

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit note store unavailable")

    monkeypatch.setattr(audit_actions, "write_notes", broken)
    with pytest.raises(RuntimeError):
        release_hold(store, hold_id=hold, actor="ig", purpose="administration", reason="done")
    assert [h.id for h in list_holds(store)] == [hold]  # still in force
    with store.connect() as conn:
        actions = conn.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["legal_hold.place"]


def test_free_text_cannot_go_into_details_beside_a_note_or_under_an_undeclared_kind(
    store: Engine,
) -> None:
    base: dict[str, Any] = {
        "actor": "t", "purpose": "test", "action": "test.step", "target_type": "test",
        "target_id": None,
    }  # fmt: skip
    with store.begin() as conn:
        with pytest.raises(ValueError, match="undeclared audit note kind"):
            record_audit(conn, **base, details={}, notes={"comment": "x"})
        with pytest.raises(ValueError, match="free text goes in notes only"):
            record_audit(conn, **base, details={"reason": "x"}, notes={"reason": "x"})
    assert verify_chain(store).entries == 0


# -- verification -----------------------------------------------------------------------------


def test_an_edited_note_is_named_by_verify(store: Engine) -> None:
    append(store, 3)
    glass = break_glass(store)
    append(store, 2)

    set_note(store, glass, text="Routine check, nothing of concern here at all")

    report = verify_chain(store)
    assert [(p.entry_id, p.kind) for p in report.problems] == [(glass, TamperKind.NOTE_EDITED)]
    assert "justification note" in report.problems[0].explanation
    assert "no longer matches" in report.problems[0].explanation
    assert "Routine" not in report.problems[0].explanation  # ids and kinds, not the text


def test_editing_the_stored_hash_with_the_text_is_still_caught(store: Engine) -> None:
    glass = break_glass(store)
    forged = "Routine check, nothing of concern here at all"
    set_note(store, glass, text=forged, sha256=sha(forged))
    assert found(store) == [(glass, TamperKind.NOTE_EDITED)]


def test_a_note_blanked_without_an_erasure_entry_is_tampering(store: Engine) -> None:
    glass = break_glass(store)
    set_note(store, glass, text=None, erased_at=NOW)
    report = verify_chain(store)
    assert [(p.entry_id, p.kind) for p in report.problems] == [(glass, TamperKind.NOTE_EDITED)]
    assert "no audit entry records its erasure" in report.problems[0].explanation
    assert report.erased_notes == ()


def test_a_deleted_note_and_an_added_note_are_named(store: Engine) -> None:
    append(store, 2)
    glass = break_glass(store)
    with store.begin() as conn:
        conn.execute(delete(AuditNote).where(AuditNote.audit_event_id == glass))
        conn.execute(
            insert(AuditNote),
            {"audit_event_id": 2, "kind": "reason", "text": "added later", "sha256": sha("x")},
        )
    assert found(store) == [(2, TamperKind.NOTE_EDITED), (glass, TamperKind.NOTE_DELETED)]


# -- erasure ----------------------------------------------------------------------------------


def test_erasing_a_note_keeps_the_chain_intact_and_is_reported_as_erased(store: Engine) -> None:
    append(store, 2)
    glass = break_glass(store)
    append(store, 1)

    erase_note(store, audit_event_id=glass, kind="justification", actor="dpo",
               purpose="records_management", reason="rectification request 2026/9")  # fmt: skip

    note = note_row(store, glass)
    assert note.text is None and note.erased_at is not None
    assert note.sha256 == sha(JUSTIFICATION) == entry(store, glass).details["justification_sha256"]
    with store.connect() as conn:
        erasure = conn.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (erasure.action, erasure.target_id, erasure.person_id) == (
        "audit.erase_note", str(glass), PERSON,
    )  # fmt: skip
    assert erasure.details == {
        "audit_event_id": glass,
        "kind": "justification",
        "reason_sha256": sha("rectification request 2026/9"),
    }
    report = verify_chain(store)
    assert report.ok, report.problems
    assert [(e.entry_id, e.kind, e.by_entry) for e in report.erased_notes] == [
        (glass, "justification", erasure.id)
    ]


def test_a_note_is_erased_once_and_only_if_it_exists(store: Engine) -> None:
    glass = break_glass(store)
    erase_note(store, audit_event_id=glass, kind="justification", actor="dpo", purpose="p")
    with pytest.raises(UserError, match="already erased"):
        erase_note(store, audit_event_id=glass, kind="justification", actor="dpo", purpose="p")
    with pytest.raises(UserError, match="has no 'reason' note"):
        erase_note(store, audit_event_id=glass, kind="reason", actor="dpo", purpose="p")
    with pytest.raises(UserError, match="audit entry 999 has no"):
        erase_note(store, audit_event_id=999, kind="justification", actor="dpo", purpose="p")
    assert verify_chain(store).ok


def test_readers_show_the_justification_then_erased(store: Engine) -> None:
    glass = break_glass(store)
    oversight = Purpose.AUDIT_OVERSIGHT

    before = access_report(store, IG, person_id=PERSON, purpose=oversight)
    erase_note(store, audit_event_id=glass, kind="justification", actor="dpo", purpose="p")
    after = access_report(store, IG, person_id=PERSON, purpose=oversight)

    assert [e.justification for e in before if e.audit_id == glass] == [JUSTIFICATION]
    assert [e.justification for e in after if e.audit_id == glass] == [ERASED]
    assert all(e.justification in ("", ERASED) for e in after)


def test_entries_written_before_notes_existed_still_show_their_text(store: Engine) -> None:
    with store.begin() as conn:
        old = record_audit(conn, actor="t", purpose="test", action="access.view_child",
                           target_type="Person", target_id="1",
                           details={"justification": "legacy text"}, flagged=True)  # fmt: skip
        notes = notes_for(conn, [old])
    assert notes == {}
    assert note_text(notes, old, "justification", {"justification": "legacy text"}) == (
        "legacy text"
    )
    assert note_text(notes, old, "justification", {"justification_sha256": sha("x")}) == ERASED
    assert note_text(notes, old, "justification", {}) == ""


# -- the command line (SQLite, as a user meets it) ----------------------------------------------


def test_the_cli_erases_a_note_and_verify_reports_it_as_erased(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    glass = break_glass(engine)
    engine.dispose()

    erased = run_audit_cli(
        ["erase-note", str(glass), "justification", "--reason", "SAR 2026/4", "--actor", "dpo"],
        tmp_path,
    )
    checked = run_audit_cli(["verify"], tmp_path)
    again = run_audit_cli(["erase-note", str(glass), "justification"], tmp_path)

    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert f"the justification note of audit entry {glass} was erased" in erased.stdout
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"entry {glass}: its justification note was erased" in checked.stdout
    assert "2 notes (1 erased)" in checked.stdout  # the erasure's reason is a note too
    assert again.returncode != 0 and "already erased" in again.stderr
    assert "Traceback" not in again.stderr


def test_the_cli_names_an_edited_note_and_exits_1(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    migrate(engine)
    glass = break_glass(engine)
    set_note(engine, glass, text="nothing happened")
    engine.dispose()

    result = run_audit_cli(["verify"], tmp_path)

    assert result.returncode == 1
    assert f"entry {glass}: NOTE EDITED: its justification note:" in result.stdout
    assert "nothing happened" not in result.stdout + result.stderr
