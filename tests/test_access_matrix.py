"""The security property over the whole matrix.

``decide`` (the Cedar policy) is compared with a plain-Python reference for every role, own
and foreign agency, team, action, kind of resource (records of every category, sealed or not),
purpose (or none) and justification (none, too short, enough). Then, through ``child_view``
on a small store holding one record and one event of every category (and a sealed one), a
principal never receives a record or event the reference withholds, and is told how many
were withheld.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import pytest
from sqlalchemy import Engine, insert, select

from access_helpers import HOME
from wholechild.access import PRACTITIONERS, AccessDenied, Resource, decide
from wholechild.actions.agreements import record_agreement
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.governance.agreements import PARTNER_AGENCIES, Agreement
from wholechild.policy import ACTIONS, RESOURCE_KINDS
from wholechild.read.child import child_view
from wholechild.storage.schema import AuditEvent, Event, IngestBatch, Person, SourceRecord

C, P, R = Category, Purpose, Role
ALL: Final = frozenset(Category)

# -- the reference: what should be allowed, written plainly -----------------------------------

# role -> purpose -> categories of record the role sees for that purpose
SEES: Final[dict[Role, dict[Purpose, frozenset[Category]]]] = {
    R.SOCIAL_WORKER: {P.SAFEGUARDING_ENQUIRY: ALL, P.CHILD_IN_NEED_ASSESSMENT: ALL},
    R.EARLY_HELP_WORKER: {
        P.EARLY_HELP_ASSESSMENT: frozenset({C.EARLY_HELP, C.EDUCATION, C.SEND, C.SOCIAL_CARE})
    },
    R.SEND_CASEWORKER: {
        P.EHC_NEEDS_ASSESSMENT: frozenset({C.SEND, C.EDUCATION, C.HEALTH, C.SOCIAL_CARE})
    },
    R.SCHOOL_SAFEGUARDING_LEAD: {P.SAFEGUARDING_ENQUIRY: frozenset({C.EDUCATION, C.EARLY_HELP})},
    R.HEALTH_PRACTITIONER: {P.SAFEGUARDING_ENQUIRY: frozenset({C.HEALTH, C.SOCIAL_CARE})},
    R.POLICE_OFFICER: {P.SAFEGUARDING_ENQUIRY: frozenset({C.POLICE, C.SOCIAL_CARE})},
    R.IG_OFFICER: {P.SUBJECT_ACCESS_REQUEST: ALL},
}
ANY_PURPOSE: Final = frozenset({*Purpose, None})
# (role, action, resource kind) -> the purposes it is allowed for, beyond the child page
OTHER: Final[dict[tuple[Role, str, str], frozenset[Purpose | None]]] = {
    (R.DATA_ANALYST, "view_dashboard", "Dashboard"): ANY_PURPOSE,
    (R.DATA_ANALYST, "review_links", "ReviewQueue"): frozenset({P.LINKAGE_REVIEW}),
    (R.DATA_ANALYST, "review_links", "Record"): frozenset({P.LINKAGE_REVIEW}),
    (R.DATA_ANALYST, "decide_link", "ReviewQueue"): frozenset({P.LINKAGE_REVIEW}),
    (R.IG_OFFICER, "view_access_report", "Person"): frozenset(
        {P.AUDIT_OVERSIGHT, P.SUBJECT_ACCESS_REQUEST}
    ),
    (R.IG_OFFICER, "verify_audit", "AuditTrail"): frozenset({P.AUDIT_OVERSIGHT}),
    (R.IG_OFFICER, "export", "Person"): frozenset({P.SUBJECT_ACCESS_REQUEST}),
    (R.IG_OFFICER, "seal_records", "Record"): frozenset({P.AUDIT_OVERSIGHT}),
    (R.ADMINISTRATOR, "manage_users", "Accounts"): ANY_PURPOSE,
    # EHCP caseload and drafting: SEND caseworkers, for an EHC needs assessment
    (R.SEND_CASEWORKER, "view_caseload", "Caseload"): frozenset({P.EHC_NEEDS_ASSESSMENT}),
    (R.SEND_CASEWORKER, "view_case", "EhcpCase"): frozenset({P.EHC_NEEDS_ASSESSMENT}),
    (R.SEND_CASEWORKER, "draft_plan", "EhcpCase"): frozenset({P.EHC_NEEDS_ASSESSMENT}),
    (R.SEND_CASEWORKER, "sign_off_plan", "EhcpCase"): frozenset({P.EHC_NEEDS_ASSESSMENT}),
    # Information governance: the IG officer, for records management (never a sealed record)
    (R.IG_OFFICER, "manage_agreements", "Agreements"): frozenset({P.RECORDS_MANAGEMENT}),
    (R.IG_OFFICER, "retention", "Retention"): frozenset({P.RECORDS_MANAGEMENT}),
    (R.IG_OFFICER, "legal_hold", "Retention"): frozenset({P.RECORDS_MANAGEMENT}),
    (R.IG_OFFICER, "rectify", "Person"): frozenset({P.RECORDS_MANAGEMENT}),
    (R.IG_OFFICER, "rectify", "Record"): frozenset({P.RECORDS_MANAGEMENT}),
}
SHORT, ENOUGH = "urgent", "Emergency strategy discussion called by the police at 14:00"


@dataclass(frozen=True)
class Case:
    principal: Principal
    action: str
    resource: Resource
    purpose: Purpose | None
    justification: str | None


def adoption_team(principal: Principal) -> bool:
    return principal.role is R.SOCIAL_WORKER and principal.team == "adoption"


def expected_record(case: Case) -> tuple[bool, bool]:
    """(allowed, only because of break-glass) for view_record."""
    role, purpose, resource = case.principal.role, case.purpose, case.resource
    if role not in SEES or purpose not in SEES[role]:
        return False, False
    if resource.sealed and not adoption_team(case.principal):
        return False, False
    category = resource.category or C.OTHER
    if category in SEES[role][purpose] or category == case.principal.agency:
        return True, False
    justified = case.justification is not None and len(case.justification.strip()) >= 20
    if role.value in PRACTITIONERS and justified:
        return True, True
    return False, False


def expected(case: Case) -> tuple[bool, bool]:
    """What the reference allows: (allowed, break_glass)."""
    role, action, kind = case.principal.role, case.action, case.resource.kind
    if action == "view_record":
        return expected_record(case) if kind == "Record" else (False, False)
    if action in ("search", "view_child"):
        return kind == "Person" and case.purpose in SEES.get(role, {}), False
    purposes = OTHER.get((role, action, kind), frozenset())
    if action == "review_links" and kind == "Record" and case.resource.sealed:
        purposes = frozenset() if not adoption_team(case.principal) else purposes
    if action == "rectify" and kind == "Record" and case.resource.sealed:
        purposes = frozenset()
    return case.purpose in purposes, False


# -- the whole matrix --------------------------------------------------------------------------


def principals(role: Role) -> list[Principal]:
    """The role at its own agency, seconded to housing, and in the adoption team."""
    return [
        Principal(f"{role.value}@home", role, HOME[role]),
        Principal(f"{role.value}@housing", role, C.HOUSING),
        Principal(f"{role.value}@adoption", role, HOME[role], "adoption"),
    ]


# The kinds of resource each action is about (the policy's schema), and one it is not about.
KINDS: Final = {
    "search": ("Person",),
    "view_child": ("Person",),
    "view_record": ("Record",),
    "review_links": ("ReviewQueue", "Record"),
    "decide_link": ("ReviewQueue",),
    "view_dashboard": ("Dashboard",),
    "view_access_report": ("Person",),
    "verify_audit": ("AuditTrail",),
    "manage_users": ("Accounts",),
    "export": ("Person",),
    "seal_records": ("Record",),
    "view_caseload": ("Caseload",),
    "view_case": ("EhcpCase",),
    "draft_plan": ("EhcpCase",),
    "sign_off_plan": ("EhcpCase",),
    "manage_agreements": ("Agreements",),
    "retention": ("Retention",),
    "legal_hold": ("Retention",),
    "rectify": ("Person", "Record"),
}
RECORDS: Final = [Resource("Record", "r", c, sealed) for c in Category for sealed in (False, True)]


def resources(action: str) -> list[Resource]:
    """Every record (each category, sealed or not) or the resource the action is about, and
    one resource it is not about."""
    wrong = next(kind for kind in RESOURCE_KINDS if kind not in KINDS[action])
    found = [Resource(kind, "x") for kind in (*KINDS[action], wrong) if kind != "Record"]
    return found + (RECORDS if "Record" in KINDS[action] else [])


def cases(role: Role) -> Iterator[Case]:
    for principal in principals(role):
        for action in ACTIONS:
            for resource in resources(action):
                for purpose in (*Purpose, None):
                    for justification in (None, SHORT, ENOUGH):
                        yield Case(principal, action, resource, purpose, justification)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_the_policy_allows_exactly_what_the_reference_allows(role: Role) -> None:
    mismatches, checked = [], 0
    for case in cases(role):
        decision = decide(
            case.principal,
            case.action,
            case.resource,
            purpose=case.purpose,
            justification=case.justification,
        )
        checked += 1
        if (decision.allowed, decision.break_glass) != expected(case):
            mismatches.append((case, decision))
        elif not decision.allowed:
            assert decision.reasons and decision.reasons[0], case
    assert checked > 5_000
    assert mismatches[:5] == [], f"{len(mismatches)} of {checked} cases differ"


# -- through the child's page: never a record outside the policy ----------------------------

AGENCY: Final = {  # the agency name loaders write, for each category
    C.SOCIAL_CARE: "children's social care",
    C.EDUCATION: "education",
    C.SEND: "SEND",
    C.HEALTH: "health",
    C.POLICE: "police",
    C.EARLY_HELP: "early_help",
    C.HOUSING: "housing",
    C.OTHER: "youth justice",
}


@dataclass(frozen=True)
class Seeded:
    person_id: int
    records: dict[str, tuple[Category, bool]]  # record id (hex) -> (category, sealed)
    events: dict[int, tuple[Category, bool]]


def _batch(conn: Any, category: Category, n: int) -> int:
    now = datetime.now(UTC)
    row = {
        "file_name": f"{category.value}.csv", "file_sha256": f"{n:064d}", "format": "test",
        "source_system": f"sys_{category.value}", "agency": AGENCY[category],
        "agreement_ref": None, "actor": "test", "started_at": now, "completed_at": now,
        "rows_read": 1, "rows_loaded": 1, "rows_quarantined": 0, "records_loaded": 1,
        "events_loaded": 1, "findings_count": 0,
    }  # fmt: skip
    return int(conn.execute(insert(IngestBatch).returning(IngestBatch.id), row).scalar_one())


def _add(conn: Any, person: int, category: Category, sealed: bool, n: int) -> tuple[str, int]:
    batch, now, record = _batch(conn, category, n), datetime.now(UTC), uuid.uuid4()
    where = {"batch_id": batch, "source_system": f"sys_{category.value}", "file_name": "f.csv",
             "row_number": 1, "ingested_at": now}  # fmt: skip
    conn.execute(
        insert(SourceRecord),
        {**where, "id": record, "person_id": person, "source_key": f"K{n}", "raw_row": "",
         "forename": "Test", "surname": f"Child{n}", "date_of_birth": date(2015, 1, 1 + n),
         "nhs_number_check": "missing", "upn_check": "missing", "uln_check": "missing",
         "sealed": sealed},
    )  # fmt: skip
    event = conn.execute(
        insert(Event).returning(Event.id),
        {**where, "source_record_id": record, "person_id": person, "event_type": "contact",
         "agency": AGENCY[category], "start_date": date(2024, 1, 1 + n), "details": {}},
    ).scalar_one()  # fmt: skip
    return record.hex, int(event)


def agree_everything(engine: Engine) -> None:
    """Agreements letting every partner agency's staff see every category for every purpose,
    so that the Cedar policy alone decides (tests/test_access_agreements.py narrows them)."""
    for partner in sorted(PARTNER_AGENCIES):
        agreement = Agreement(
            ref=f"DSA-ALL-{partner.value}", title="Everything, for the policy matrix",
            parties=("Test Council", f"Test {partner.value}"),
            source_systems=(f"sys_{partner.value}",), partner_category=partner.value,
            purposes=tuple(p.value for p in Purpose), categories=tuple(c.value for c in Category),
            lawful_basis="6(1)(e)", special_category_condition="9(2)(g)",
            schedule1_condition="Sch.1 Pt.2 para 18", start_date=date(2020, 4, 1),
            end_date=None, review_date=date(2099, 3, 31),
        )  # fmt: skip
        record_agreement(engine, agreement=agreement, actor="test", purpose="records_management")


def seed(engine: Engine, *, agreements: bool = True) -> Seeded:
    """One person with one record and one event of every category, and a sealed one."""
    if agreements:
        agree_everything(engine)
    records: dict[str, tuple[Category, bool]] = {}
    events: dict[int, tuple[Category, bool]] = {}
    with engine.begin() as conn:
        person = int(
            conn.execute(
                insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
            ).scalar_one()
        )
        kinds = [(c, False) for c in Category] + [(C.SOCIAL_CARE, True)]
        for n, (category, sealed) in enumerate(kinds):
            record, event = _add(conn, person, category, sealed, n)
            records[record], events[event] = (category, sealed), (category, sealed)
    return Seeded(person, records, events)


def page_principals() -> list[Principal]:
    found = [Principal(f"{r.value}@t", r, HOME[r]) for r in Role]
    found.append(Principal("adoption@t", R.SOCIAL_WORKER, C.SOCIAL_CARE, "adoption"))
    found.append(Principal("police-housing@t", R.POLICE_OFFICER, C.HOUSING))
    return found


def _expected_shown(principal: Principal, purpose: Purpose | None, justification: str | None,
                    items: dict[Any, tuple[Category, bool]]) -> set[Any]:  # fmt: skip
    return {
        key
        for key, (category, sealed) in items.items()
        if expected_record(
            Case(
                principal,
                "view_record",
                Resource("Record", "r", category, sealed),
                purpose,
                justification,
            )
        )[0]
    }


def _check_page(engine: Engine, seeded: Seeded, principal: Principal,
                purpose: Purpose | None, justification: str | None) -> None:  # fmt: skip
    page_allowed = purpose in SEES.get(principal.role, {})
    try:
        page = child_view(engine, principal, person_id=seeded.person_id, purpose=purpose,
                          justification=justification)  # fmt: skip
    except AccessDenied:
        assert not page_allowed, (principal, purpose)
        return
    assert page_allowed, (principal, purpose)
    want_records = _expected_shown(principal, purpose, justification, seeded.records)
    want_events = _expected_shown(principal, purpose, justification, seeded.events)
    assert {r.record_id for r in page.records} == want_records, (principal, purpose)
    assert {e.event_id for e in page.chronology} == want_events, (principal, purpose)
    unsealed_hidden = [c for k, (c, s) in seeded.records.items() if k not in want_records and not s]
    assert sum(w.records for w in page.withheld) == len(unsealed_hidden)
    assert {w.category for w in page.withheld} == {c.value for c in unsealed_hidden}


def test_the_child_page_never_shows_what_the_policy_withholds(store: Engine) -> None:
    seeded = seed(store)
    for principal in page_principals():
        for purpose in (*Purpose, None):
            for justification in (None, ENOUGH):
                _check_page(store, seeded, principal, purpose, justification)


def test_every_page_view_and_refusal_is_audited_once(store: Engine) -> None:
    seeded = seed(store)
    views = 0
    for principal in page_principals():
        for purpose in (P.SAFEGUARDING_ENQUIRY, P.LINKAGE_REVIEW):
            with contextlib.suppress(AccessDenied):
                child_view(store, principal, person_id=seeded.person_id, purpose=purpose)
            views += 1
    with store.connect() as conn:
        query = select(AuditEvent).where(AuditEvent.action.like("access.%"))
        entries = list(conn.execute(query.order_by(AuditEvent.id)))
    assert len(entries) == views
    assert {e.person_id for e in entries} == {seeded.person_id}
    assert all(e.action == "access.view_child" for e in entries)
    refused = [e for e in entries if not e.details["allowed"]]
    allowed = [e for e in entries if e.details["allowed"]]
    assert refused and allowed
    assert all(e.details["records_shown"] + e.details["records_withheld"] == 9 for e in allowed)
