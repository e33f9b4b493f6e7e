"""The single child view on a small synthetic council (150 children, ingested and linked),
on SQLite and on PostgreSQL: identity with sources and conflicts, the chronology and its
filters, involvements, linked records with why they are linked, and the audit of each view.

Expected values are computed here from the store directly (plain SQL and Python), not taken
from the code under test.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from conftest import fresh_store
from council import load_linked_council, synthesise_council
from wholechild.access import AccessDenied
from wholechild.core.access import Category, Principal, Purpose, Role, category_of
from wholechild.linkage.truth import record_id_hex
from wholechild.read.access_report import access_report, access_report_csv
from wholechild.read.child import ChildView, child_view
from wholechild.read.review import decide as decide_link
from wholechild.read.review import review_pair, review_queue
from wholechild.storage.schema import (
    AuditEvent,
    AuditNote,
    Event,
    IngestBatch,
    RecordLink,
    ReviewDecision,
    ReviewItem,
    SourceRecord,
)

SOCIAL_WORKER = Principal("sw@council", Role.SOCIAL_WORKER, Category.SOCIAL_CARE, "east")
POLICE = Principal("pc@police", Role.POLICE_OFFICER, Category.POLICE)
ANALYST = Principal("analyst@council", Role.DATA_ANALYST, Category.OTHER)
SAFEGUARDING = Purpose.SAFEGUARDING_ENQUIRY
JUSTIFICATION = "Strategy meeting today: risk of significant harm reported"


# -- a linked synthetic council, one per module and store ------------------------------------


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def council_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """150 synthetic children (seed 1: one of them adopted), ingested and linked, with a pair
    left open for clerical review (added when the run left none)."""
    folder = synthesise_council(tmp_path_factory.mktemp("council"), children=150, seed=1)
    with fresh_store(request.param, "wholechild_read", tmp_path_factory.mktemp("store")) as engine:
        load_linked_council(engine, folder)
        with engine.connect() as conn:
            left_open = conn.scalar(
                select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open")
            )
        if not left_open:
            _review_the_weakest_link(engine)
        yield engine


def _review_the_weakest_link(engine: Engine) -> None:
    """A 150-child council can leave no pair in the review band; the review tests need one
    with the model's evidence, so the lowest-scored stored link goes to the queue (as a run
    would put a pair just under the upper threshold)."""
    with engine.begin() as conn:
        link = conn.execute(
            select(RecordLink).order_by(RecordLink.match_probability, RecordLink.id).limit(1)
        ).one()
        conn.execute(
            insert(ReviewItem),
            {
                "run_id": link.run_id, "record_l": link.record_l, "record_r": link.record_r,
                "match_weight": link.match_weight, "match_probability": link.match_probability,
                "status": "open", "opened_at": datetime.now(UTC),
            },
        )  # fmt: skip


# -- helpers reading the store directly -------------------------------------------------------


def records_by_person(engine: Engine) -> dict[int, list[Any]]:
    query = select(SourceRecord, IngestBatch.agency).join(
        IngestBatch, IngestBatch.id == SourceRecord.batch_id
    )
    found: dict[int, list[Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query.where(SourceRecord.person_id.is_not(None))):
            found.setdefault(row.person_id, []).append(row)
    return found


def events_of(engine: Engine, person_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(Event).where(Event.person_id == person_id)))


def person_with(engine: Engine, event_type: str) -> int:
    with engine.connect() as conn:
        found = conn.scalar(
            select(func.min(Event.person_id)).where(
                Event.event_type == event_type, Event.person_id.is_not(None)
            )
        )
    assert found is not None, f"the synthetic council has no {event_type} event"
    return int(found)


def audit_entries(engine: Engine, **where: Any) -> list[Any]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    with engine.connect() as conn:
        return list(conn.execute(query))


def view(
    engine: Engine, person_id: int, principal: Principal = SOCIAL_WORKER, **kw: Any
) -> ChildView:
    return child_view(engine, principal, person_id=person_id, purpose=SAFEGUARDING, **kw)


# -- identity ---------------------------------------------------------------------------------


def test_identity_lists_each_value_with_its_sources_and_flags_conflicts(
    council_store: Engine,
) -> None:
    people = records_by_person(council_store)
    conflicted = next(
        p for p, rs in people.items() if len({r.surname_norm for r in rs} - {None}) > 1
    )
    agreeing = next(
        p for p, rs in people.items() if len(rs) > 1 and len({r.date_of_birth for r in rs}) == 1
    )
    page = view(council_store, conflicted)
    surname = next(f for f in page.identity if f.name == "surname")
    expected: dict[str, set[str]] = {}
    for r in people[conflicted]:
        if r.surname_norm:
            expected.setdefault(r.surname_norm, set()).add(r.source_system)
    assert surname.conflict
    assert {v.value.upper(): set(v.sources) for v in surname.values} == expected
    dob = next(f for f in view(council_store, agreeing).identity if f.name == "date_of_birth")
    assert not dob.conflict and len(dob.values) == 1
    assert set(dob.values[0].sources) == {r.source_system for r in people[agreeing]}


# -- chronology -------------------------------------------------------------------------------


def _busiest(engine: Engine) -> int:
    """The child with events from the most agencies (then the most events)."""
    with engine.connect() as conn:
        found = conn.execute(
            select(Event.person_id)
            .where(Event.person_id.is_not(None))
            .group_by(Event.person_id)
            .order_by(
                func.count(func.distinct(Event.agency)).desc(),
                func.count().desc(),
                Event.person_id,
            )
            .limit(1)
        ).scalar_one()
    assert found is not None
    return found


def test_chronology_is_every_event_newest_first_across_agencies(council_store: Engine) -> None:
    person = _busiest(council_store)
    page = view(council_store, person)
    assert {e.event_id for e in page.chronology} == {e.id for e in events_of(council_store, person)}
    dated = [e.start_date for e in page.chronology if e.start_date is not None]
    assert dated == sorted(dated, reverse=True)
    assert len({e.agency for e in page.chronology}) > 1
    assert set(page.agencies) == {e.agency for e in page.chronology}
    assert set(page.event_types) == {e.event_type for e in page.chronology}
    assert all(e.label and e.label != e.event_type for e in page.chronology)


def test_chronology_filters_by_agency_type_and_date(council_store: Engine) -> None:
    person = _busiest(council_store)
    events = events_of(council_store, person)
    agency = sorted({e.agency for e in events})[0]
    by_agency = view(council_store, person, agencies=[agency]).chronology
    assert {e.event_id for e in by_agency} == {e.id for e in events if e.agency == agency}
    kind = sorted({e.event_type for e in events})[-1]
    by_type = view(council_store, person, event_types=[kind]).chronology
    assert {e.event_id for e in by_type} == {e.id for e in events if e.event_type == kind}
    starts = sorted(e.start_date for e in events if e.start_date is not None)
    cut = starts[len(starts) // 2]
    spans = {e.id: (e.start_date or e.end_date, e.end_date or e.start_date) for e in events}
    later = view(council_store, person, date_from=cut).chronology
    assert {e.event_id for e in later} == {
        i for i, (_, last) in spans.items() if last and last >= cut
    }
    earlier = view(council_store, person, date_to=cut).chronology
    assert {e.event_id for e in earlier} == {
        i for i, (first, _) in spans.items() if first and first <= cut
    }
    assert 0 < len(later) < len(events) and 0 < len(earlier) < len(events)


def test_involvements_come_from_the_plans_and_episodes_in_the_store(
    council_store: Engine,
) -> None:
    person = person_with(council_store, "cp_plans")
    page = view(council_store, person)
    plans = [e for e in events_of(council_store, person) if e.event_type == "cp_plans"]
    found = [i for i in page.involvements if i.kind == "child_protection_plan"]
    assert {i.event_id for i in found} == {e.id for e in plans}
    assert all(i.current == (i.end_date is None) for i in page.involvements)
    currents = [i.current for i in page.involvements]
    assert currents == sorted(currents, reverse=True)  # current ones first


# -- linked records: provenance and why linked -------------------------------------------------


def test_each_linked_record_says_where_it_came_from_and_why_it_is_linked(
    council_store: Engine,
) -> None:
    people = records_by_person(council_store)
    person = max(people, key=lambda p: (len(people[p]), -p))
    page = view(council_store, person)
    assert {r.record_id for r in page.records} == {record_id_hex(r.id) for r in people[person]}
    with council_store.connect() as conn:
        links = list(conn.execute(select(RecordLink)))
    ids = {r.record_id for r in page.records}
    stored = {
        (record_id_hex(k.record_l), record_id_hex(k.record_r)): k
        for k in sorted(links, key=lambda k: k.run_id)
        if record_id_hex(k.record_l) in ids and record_id_hex(k.record_r) in ids
    }
    assert stored, "the busiest child has no stored links"
    for record in page.records:
        assert record.file_name and record.row_number > 0 and record.batch_id > 0
        for link in record.links:
            pair = tuple(sorted((record.record_id, link.other_record_id)))
            row = stored[pair]  # type: ignore[index]
            assert link.match_probability == pytest.approx(row.match_probability)
            assert link.model_hash == row.model_hash
            nonzero = {k: v for k, v in row.contributions.items() if v}
            assert dict(link.contributions) == pytest.approx(nonzero)
            weights = [abs(w) for _, w in link.contributions]
            assert weights == sorted(weights, reverse=True)
    explained = {
        tuple(sorted((r.record_id, k.other_record_id))) for r in page.records for k in r.links
    }
    assert explained == set(stored)


# -- the policy on the page, and its audit --------------------------------------------------------


def _mixed_person(engine: Engine) -> int:
    """A child with police-visible social care and health records the police may not see."""
    for person, rows in sorted(records_by_person(engine).items()):
        categories = {category_of(r.agency) for r in rows if not r.sealed}
        if {Category.SOCIAL_CARE, Category.HEALTH} <= categories:
            return person
    raise AssertionError("no child with both social care and health records")


def test_a_page_view_writes_one_audit_entry_with_counts_not_values(council_store: Engine) -> None:
    person = _mixed_person(council_store)
    before = len(audit_entries(council_store))
    page = view(council_store, person, POLICE)
    entries = audit_entries(council_store)[before:]
    assert len(entries) == 1
    (entry,) = entries
    assert (entry.action, entry.person_id) == ("access.view_child", person)
    assert entry.actor == POLICE.username
    assert entry.purpose == SAFEGUARDING.value and not entry.flagged
    assert entry.details["records_shown"] == len(page.records)
    assert entry.details["records_withheld"] == sum(w.records for w in page.withheld)
    assert entry.details["events_shown"] == len(page.chronology)
    values = {v.value for f in page.identity for v in f.values}
    assert not any(value in str(entry.details) for value in values if len(value) > 2)


def test_the_police_see_police_and_social_care_only_and_are_told_what_is_withheld(
    council_store: Engine,
) -> None:
    person = _mixed_person(council_store)
    page = view(council_store, person, POLICE)
    shown = {r.category for r in page.records} | {e.category for e in page.chronology}
    assert shown <= {Category.POLICE.value, Category.SOCIAL_CARE.value}
    withheld = {w.category: w.records for w in page.withheld}
    records = records_by_person(council_store)[person]
    health = [r for r in records if category_of(r.agency) is Category.HEALTH]
    assert withheld[Category.HEALTH.value] == len(health)
    assert page.break_glass_possible and not page.break_glass


def test_break_glass_opens_the_rest_and_is_flagged(council_store: Engine) -> None:
    person = _mixed_person(council_store)
    page = view(council_store, person, POLICE, justification=JUSTIFICATION)
    assert page.break_glass and not page.withheld
    assert Category.HEALTH.value in {r.category for r in page.records}
    entry = audit_entries(council_store, action="access.view_child")[-1]
    assert entry.flagged and entry.person_id == person
    assert "justification" not in entry.details  # free text lives beside the chain
    with council_store.connect() as conn:
        note = conn.scalar(select(AuditNote.text).where(AuditNote.audit_event_id == entry.id))
    assert note == JUSTIFICATION
    assert entry.details["justification_sha256"] == hashlib.sha256(note.encode()).hexdigest()


def test_a_refused_view_is_audited_and_the_entry_persists(council_store: Engine) -> None:
    person = _mixed_person(council_store)
    with pytest.raises(AccessDenied, match="data analyst may not open a child's page") as refused:
        view(council_store, person, ANALYST)
    assert refused.value.exit_code == 6 and not refused.value.break_glass_possible
    entry = audit_entries(council_store, actor=ANALYST.username)[-1]
    assert entry.action == "access.view_child" and entry.person_id == person
    assert entry.details["allowed"] is False and "may not" in entry.details["refused"]


def test_no_purpose_no_page(council_store: Engine) -> None:
    person = _mixed_person(council_store)
    with pytest.raises(AccessDenied, match="a purpose is required"):
        child_view(council_store, SOCIAL_WORKER, person_id=person, purpose=None)
    assert audit_entries(council_store, actor=SOCIAL_WORKER.username)[-1].purpose == ""


def test_an_unknown_person_is_a_user_error(council_store: Engine) -> None:
    with pytest.raises(Exception, match="there is no person 999999") as raised:
        view(council_store, 999_999)
    assert not isinstance(raised.value, AccessDenied)


# -- clerical review through the choke point -------------------------------------------------

REVIEW = Purpose.LINKAGE_REVIEW


def test_the_review_queue_is_for_analysts_reviewing_linkage(council_store: Engine) -> None:
    with council_store.connect() as conn:
        open_items = conn.execute(
            select(ReviewItem.id, ReviewItem.match_probability).where(ReviewItem.status == "open")
        ).all()
    assert open_items, "the council fixture leaves a pair for review"
    queue = review_queue(council_store, ANALYST, purpose=REVIEW, limit=5)
    assert len(queue) == min(5, len(open_items))
    probabilities = [q.match_probability for q in queue]
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities[0] == pytest.approx(max(p for _, p in open_items))
    with pytest.raises(AccessDenied, match="social worker may not review"):
        review_queue(council_store, SOCIAL_WORKER, purpose=SAFEGUARDING)
    with pytest.raises(AccessDenied, match="only for: linkage quality review"):
        review_queue(council_store, ANALYST, purpose=Purpose.STATUTORY_RETURN)
    listed = audit_entries(council_store, action="access.review_links", actor=ANALYST.username)
    assert [e.details["allowed"] for e in listed[-2:]] == [True, False]


def test_a_pair_side_by_side_with_the_models_evidence(council_store: Engine) -> None:
    (item,) = review_queue(council_store, ANALYST, purpose=REVIEW, limit=1)
    pair = review_pair(council_store, ANALYST, item_id=item.item_id, purpose=REVIEW)
    with council_store.connect() as conn:
        left = conn.execute(
            select(SourceRecord).where(SourceRecord.id == uuid.UUID(item.record_l))
        ).one()
        link = conn.execute(
            select(RecordLink)
            .where(RecordLink.record_l == uuid.UUID(item.record_l))
            .where(RecordLink.record_r == uuid.UUID(item.record_r))
            .order_by(RecordLink.run_id.desc())
        ).first()
    assert (pair.left.record_id, pair.right.record_id) == (item.record_l, item.record_r)
    assert not pair.left.withheld and not pair.right.withheld
    assert (pair.left.date_of_birth, pair.left.surname) == (left.date_of_birth, left.surname)
    assert pair.left.source_system == left.source_system
    assert link is not None and pair.model_hash == link.model_hash
    nonzero = {k: v for k, v in link.contributions.items() if v}
    assert dict(pair.contributions) == pytest.approx(nonzero)
    persons = {p for p in (pair.left.person_id, pair.right.person_id) if p is not None}
    seen = audit_entries(
        council_store, action="access.review_links", target_type="ReviewQueue",
        target_id=str(item.item_id),
    )  # fmt: skip
    assert {e.person_id for e in seen} == persons  # each child's access report shows it


def test_deciding_a_pair_needs_decide_link_and_records_the_reviewer(council_store: Engine) -> None:
    (item,) = review_queue(council_store, ANALYST, purpose=REVIEW, limit=1)
    with pytest.raises(AccessDenied):
        decide_link(council_store, SOCIAL_WORKER, item_id=item.item_id, decision="same",
                    reason="same school and date of birth", purpose=SAFEGUARDING)  # fmt: skip
    outcome = decide_link(council_store, ANALYST, item_id=item.item_id, decision="same",
                          reason="same school and date of birth", purpose=REVIEW)  # fmt: skip
    with council_store.connect() as conn:
        decision = conn.execute(
            select(ReviewDecision).where(ReviewDecision.id == outcome.decision_ids[0])
        ).one()
        status = conn.scalar(select(ReviewItem.status).where(ReviewItem.id == item.item_id))
    assert (decision.reviewer, decision.decision, status) == (ANALYST.username, "same", "decided")
    entry = audit_entries(council_store, action="linkage.decide_pair")[-1]
    assert (entry.actor, entry.purpose) == (ANALYST.username, REVIEW.value)


# -- the access report -----------------------------------------------------------------------

IG = Principal("ig@council", Role.IG_OFFICER, Category.OTHER)


def test_the_access_report_says_who_looked_when_and_why(council_store: Engine) -> None:
    person = _mixed_person(council_store)
    view(council_store, person, POLICE)
    view(council_store, person, POLICE, justification=JUSTIFICATION)
    report = access_report(council_store, IG, person_id=person, purpose=Purpose.AUDIT_OVERSIGHT)
    stored = audit_entries(council_store, person_id=person)
    assert len(report) == len(stored) - 1  # all but the viewing of this report itself
    latest = [e for e in report if e.actor == POLICE.username][:2]
    assert [e.flagged for e in latest] == [True, False]  # newest first: break-glass flagged
    assert latest[0].justification == JUSTIFICATION and latest[0].role == "police_officer"
    assert all(e.purpose == SAFEGUARDING.value for e in latest)
    oversight = Purpose.AUDIT_OVERSIGHT
    csv_text = access_report_csv(council_store, IG, person_id=person, purpose=oversight)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("occurred_at,actor,role,action,purpose")
    assert len(lines) == 1 + len(report) + 1  # the first report's viewing is in the second
    with pytest.raises(AccessDenied, match="social worker may not read"):
        access_report(council_store, SOCIAL_WORKER, person_id=person, purpose=SAFEGUARDING)
