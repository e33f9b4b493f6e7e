"""Sealed records: an adopted child's social-care records are sealed (audited, one entry per
child), and then only social workers in the adoption team see them, on the child's page and in
search; break-glass never opens them. On the synthetic council (seed 1 has one adopted child),
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from council import load_linked_council, synthesise_council
from test_cli import run as run_cli
from test_read_child import council_store, records_by_person
from wholechild.access import AccessDenied
from wholechild.actions import sealing
from wholechild.actions.sealing import (
    ADOPTION_REASON,
    seal_adoption_records,
    seal_records,
    unseal_records,
)
from wholechild.core.access import Category, Principal, Purpose, Role, category_of
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.read.child import child_view
from wholechild.read.search import search_children
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import AuditEvent, AuditNote, Event, SourceRecord

__all__ = ["council_store"]  # the fixture, shared with test_read_child.py

SOCIAL_WORKER = Principal("sw@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, "east")
ADOPTION = Principal("adopt@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, "adoption")
POLICE = Principal("pc@police", Role.POLICE_OFFICER, Category.POLICE)
IG = Principal("ig@council", Role.IG_OFFICER, Category.OTHER)
SAFEGUARDING = Purpose.SAFEGUARDING_ENQUIRY
JUSTIFICATION = "Strategy discussion: immediate risk of harm reported by the school"


def adopted_records(engine: Engine) -> tuple[set[int], set[str]]:
    """The reference: persons with an SSDA903 episode ended E11/E12, and their social-care
    records (computed here from the store, not by the code under test)."""
    with engine.connect() as conn:
        episodes = conn.execute(
            select(Event.person_id, Event.details).where(Event.event_type == "cla_episodes")
        ).all()
    persons = {p for p, d in episodes if (d or {}).get("REC") in ("E11", "E12")}
    records = {
        record_id_hex(r.id)
        for p, rows in records_by_person(engine).items()
        if p in persons
        for r in rows
        if category_of(r.agency) is Category.SOCIAL_CARE
    }
    return persons, records


def sealed_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(SourceRecord.id).where(SourceRecord.sealed.is_(True)))
        return {record_id_hex(r) for (r,) in rows}


@pytest.fixture(scope="module")
def sealed_store(council_store: Engine) -> Iterator[tuple[Engine, Any]]:
    """The council with its adopted children's social-care records sealed (once)."""
    outcome = seal_adoption_records(council_store, actor="ig@council", purpose="audit_oversight")
    yield council_store, outcome


def test_adopted_childrens_social_care_records_are_sealed_once(
    sealed_store: tuple[Engine, Any],
) -> None:
    engine, outcome = sealed_store
    persons, records = adopted_records(engine)
    assert persons and records, "seed 1 of the synthetic council has an adopted child"
    assert set(outcome.records) == records == sealed_ids(engine)
    assert set(outcome.persons) == persons
    with engine.connect() as conn:
        entries = conn.execute(select(AuditEvent).where(AuditEvent.action == "records.seal")).all()
    assert {e.person_id for e in entries} == persons
    assert sum(e.details["records"] for e in entries) == len(records)
    reason_hash = hashlib.sha256(ADOPTION_REASON.encode()).hexdigest()
    assert all("reason" not in e.details for e in entries)  # a note beside the chain
    assert {e.details["reason_sha256"] for e in entries} == {reason_hash}
    with engine.connect() as conn:
        notes = conn.execute(select(AuditNote.kind, AuditNote.text).where(
            AuditNote.audit_event_id.in_([e.id for e in entries]))).all()  # fmt: skip
    assert sorted(notes) == [("reason", ADOPTION_REASON)] * len(entries)
    again = seal_adoption_records(engine, actor="ig@council", purpose="audit_oversight")
    assert again.records == () and sealed_ids(engine) == records


def _adopted_child(engine: Engine) -> int:
    persons, _ = adopted_records(engine)
    return min(persons)


def test_only_the_adoption_team_sees_sealed_records_and_their_events(
    sealed_store: tuple[Engine, Any],
) -> None:
    engine, _ = sealed_store
    person = _adopted_child(engine)
    _, sealed = adopted_records(engine)
    seen = child_view(engine, ADOPTION, person_id=person, purpose=SAFEGUARDING)
    assert sealed <= {r.record_id for r in seen.records}
    assert "cla_episodes" in {e.event_type for e in seen.chronology}  # sealed with its record
    other = child_view(engine, SOCIAL_WORKER, person_id=person, purpose=SAFEGUARDING)
    assert not sealed & {r.record_id for r in other.records}
    assert not {e.category for e in other.chronology} & {Category.SOCIAL_CARE.value}
    assert "looked_after" not in {i.kind for i in other.involvements}
    assert sum(w.records for w in other.withheld) == 0  # sealed records are not even counted
    entry = _last_view(engine)
    assert entry.details["sealed_withheld"] > 0  # ... but the audit counts them


def _last_view(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "access.view_child")
            .order_by(AuditEvent.id.desc())
        ).first()


def test_break_glass_never_opens_a_sealed_record(sealed_store: tuple[Engine, Any]) -> None:
    engine, _ = sealed_store
    person = _adopted_child(engine)
    _, sealed = adopted_records(engine)
    for principal in (POLICE, SOCIAL_WORKER):
        page = child_view(
            engine, principal, person_id=person, purpose=SAFEGUARDING, justification=JUSTIFICATION
        )
        assert not sealed & {r.record_id for r in page.records}
    subject_access = child_view(
        engine, IG, person_id=person, purpose=Purpose.SUBJECT_ACCESS_REQUEST
    )
    assert not sealed & {r.record_id for r in subject_access.records}


def test_search_never_finds_a_child_by_a_sealed_only_value(
    sealed_store: tuple[Engine, Any],
) -> None:
    engine, _ = sealed_store
    person = _adopted_child(engine)
    rows = records_by_person(engine)[person]
    child_id = next(r.la_child_id for r in rows if r.la_child_id and r.sealed)
    assert not any(r.la_child_id == child_id for r in rows if not r.sealed)

    def found(principal: Principal) -> list[int]:
        hits = search_children(engine, principal, purpose=SAFEGUARDING, identifier=child_id)
        return [h.person_id for h in hits]

    assert found(SOCIAL_WORKER) == []
    assert found(ADOPTION) == [person]


def test_unsealing_and_sealing_by_id_are_audited_ig_actions(
    sealed_store: tuple[Engine, Any],
) -> None:
    engine, _ = sealed_store
    _, sealed = adopted_records(engine)
    record = sorted(sealed)[0]
    with pytest.raises(AccessDenied):
        unseal_records(engine, record_ids=[record], actor=SOCIAL_WORKER,
                       purpose="safeguarding_enquiry", reason="mistake")  # fmt: skip
    with pytest.raises(AccessDenied, match="audit oversight"):
        unseal_records(engine, record_ids=[record], actor=IG, purpose="", reason="mistake")
    assert record in sealed_ids(engine)
    out = unseal_records(
        engine, record_ids=[record], actor=IG, purpose="audit_oversight", reason="order revoked"
    )
    assert out.records == (record,) and record not in sealed_ids(engine)
    back = seal_records(
        engine, record_ids=[record], actor=IG, purpose="audit_oversight", reason="order made"
    )
    assert back.records == (record,) and record in sealed_ids(engine)
    with engine.connect() as conn:
        actions = conn.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.target_id)
            .where(AuditEvent.actor == IG.username)
            .order_by(AuditEvent.id)
        ).all()
    assert [(a, t) for a, _, t in actions[-2:]] == [
        ("records.unseal", record),
        ("records.seal", record),
    ]


def test_every_problem_with_a_seal_request_is_reported_at_once(
    sealed_store: tuple[Engine, Any],
) -> None:
    engine, _ = sealed_store
    with pytest.raises(UserError, match="not a source record id: 'nonsense'"):
        seal_records(engine, record_ids=["nonsense"], actor="x", purpose="p", reason="r")
    with pytest.raises(UserError) as raised:
        seal_records(engine, record_ids=["0" * 32], actor="x", purpose="p", reason=" ")
    assert "needs a reason" in str(raised.value) and "no source record" in str(raised.value)


def test_no_audit_no_seal(
    sealed_store: tuple[Engine, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = sealed_store
    before = sealed_ids(engine)
    people = records_by_person(engine).values()
    unsealed = next(record_id_hex(r.id) for rows in people for r in rows if not r.sealed)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(sealing, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        seal_records(engine, record_ids=[unsealed], actor="x", purpose="p", reason="r")
    assert sealed_ids(engine) == before


def test_the_records_seal_command(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    migrate(engine)
    load_linked_council(engine, synthesise_council(tmp_path / "council", children=150, seed=1))
    _, expected = adopted_records(engine)
    engine.dispose()
    result = run_cli(["records", "seal", "--adopted", "--actor", "ig"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"sealed {len(expected)} records of 1 persons" in result.stdout
    assert sealed_ids(make_engine(f"sqlite:///{tmp_path / 'cli.db'}")) == expected
    neither = run_cli(["records", "seal"], tmp_path)
    assert neither.returncode == 2 and "--adopted" in neither.stderr
    bad = run_cli(["records", "seal", "not-an-id", "--reason", "x"], tmp_path)
    assert bad.returncode == 2 and "not a source record id" in bad.stderr
    assert "Traceback" not in bad.stderr
