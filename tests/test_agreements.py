"""Data-sharing agreements: lawful bases, every problem at once, dates and status, expiry
warnings, what a partner may see, the audited actions, decisions not to share, the synthetic
council's agreements and the command line.

The rules are written as tables that double as documentation for information-governance
officers (docs/governance/agreements.md). Storage tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from agreements_helpers import agree
from wholechild.access import AccessDenied
from wholechild.actions import agreements as actions
from wholechild.actions.agreements import (
    AgreementExistsError,
    SharingDecisionError,
    UnknownAgreementError,
    amend_agreement,
    end_agreement,
    load_agreements,
    record_agreement,
    record_sharing_decision,
)
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.governance.agreements import (
    PARTNER_AGENCIES,
    Agreement,
    AgreementStatus,
    InvalidAgreementError,
    agreement_from_mapping,
    agreements_from_document,
    art6_basis,
    art9_condition,
    check_agreement,
    partner_allows,
    schedule1_condition,
    status_on,
    warnings_on,
)
from wholechild.read.agreements import agreements_in_force, list_agreements, sharing_decisions
from wholechild.storage.schema import AuditEvent, DataSharingAgreement, Person, SharingDecision
from wholechild.synth import synthesise
from wholechild.synth.agreements import AGREEMENTS, agreements_yaml

BASE = Agreement(
    ref="DSA-HEALTH-01",
    title="Child health information sharing",
    parties=("Anytown Council", "Anytown Community Health NHS Trust"),
    source_systems=("anytown_child_health",),
    partner_category="health",
    purposes=("safeguarding_enquiry",),
    categories=("health", "social_care"),
    lawful_basis="Art. 6(1)(e) public task",
    special_category_condition="Art. 9(2)(h) health or social care",
    schedule1_condition="Sch.1 Pt.1 para 2: health or social care purposes",
    start_date=date(2025, 4, 1),
    end_date=date(2027, 3, 31),
    review_date=date(2026, 3, 31),
)


def terms(**changes: object) -> dict[str, object]:
    """BASE's terms as plain values (lists for tuples), with some changed."""
    values: dict[str, object] = {
        k: list(v) if isinstance(v, tuple) else v for k, v in asdict(BASE).items()
    }
    return {**values, **changes}


# -- lawful bases: how they may be written, and the one way they are stored -----------------

LAWFUL_BASES = [
    # (parser, as written, as stored or None when it is not one)
    (art6_basis, "6(1)(e)", "Art. 6(1)(e) public task"),
    (art6_basis, "Art 6(1)(e) public task", "Art. 6(1)(e) public task"),
    (art6_basis, "UK GDPR Article 6(1)(c)", "Art. 6(1)(c) legal obligation"),
    (art6_basis, "Art. 6(1)(a) consent", "Art. 6(1)(a) consent"),
    (art6_basis, "Art. 6(1)(g)", None),  # there is no (g)
    (art6_basis, "public task", None),  # the article is required
    (art6_basis, "Art. 9(2)(g)", None),
    (art9_condition, "9(2)(g)", "Art. 9(2)(g) substantial public interest"),
    (art9_condition, "Article 9(2)(h)", "Art. 9(2)(h) health or social care"),
    (art9_condition, "Art. 9(2)(j)", "Art. 9(2)(j) archiving, research and statistics"),
    (art9_condition, "Art. 9(2)(k)", None),
    (art9_condition, "Art. 6(1)(e)", None),
    (
        schedule1_condition,
        "Sch.1 Pt.2 para 18",
        "Sch.1 Pt.2 para 18: safeguarding of children and individuals at risk",
    ),
    (
        schedule1_condition,
        "Schedule 1, Part 1, paragraph 2",
        "Sch.1 Pt.1 para 2: health or social care purposes",
    ),
    (
        schedule1_condition,
        "DPA 2018 Sch 1 Pt 2 para 6",
        "Sch.1 Pt.2 para 6: statutory and government purposes",
    ),
    (schedule1_condition, "Sch.1 Pt.2 para 5", None),  # para 5 is a definition, not a condition
    (schedule1_condition, "Sch.1 Pt.1 para 6", None),  # Part 1 has paras 1-4
    (schedule1_condition, "Sch.1 Pt.3 para 29", None),  # Part 3: criminal offence data only
]


@pytest.mark.parametrize(("parse", "written", "stored"), LAWFUL_BASES)
def test_lawful_bases_are_read_however_written_and_stored_one_way(
    parse: object, written: str, stored: str | None
) -> None:
    assert parse(written) == stored  # type: ignore[operator]


# -- checking an agreement: each rule, and every problem at once ---------------------------

PROBLEMS = [
    # (what is wrong, the changed terms, the field named in the one problem expected)
    ("no Art. 6 basis", {"lawful_basis": "public task"}, "lawful_basis"),
    ("legitimate interests", {"lawful_basis": "6(1)(f)"}, "lawful_basis"),
    (
        "health data with no Art. 9 condition",
        {"special_category_condition": None, "schedule1_condition": None},
        "special_category_condition",
    ),
    (
        "an Art. 9 condition that is not one",
        {"special_category_condition": "9(2)(z)"},
        "special_category_condition",
    ),
    ("9(2)(h) with no Schedule 1 condition", {"schedule1_condition": None}, "schedule1_condition"),
    (
        "9(2)(h) with a Part 2 condition",
        {"schedule1_condition": "Sch.1 Pt.2 para 18"},
        "schedule1_condition",
    ),
    (
        "9(2)(g) with a Part 1 condition",
        {"special_category_condition": "9(2)(g)"},
        "schedule1_condition",
    ),
    (
        "an unknown Schedule 1 paragraph",
        {"schedule1_condition": "Sch.1 Pt.2 para 99"},
        "schedule1_condition",
    ),
    ("one party", {"parties": ["Anytown Council"]}, "parties"),
    ("not a partner agency", {"partner_category": "social_care"}, "partner_category"),
    ("an unknown purpose", {"purposes": ["curiosity"]}, "purposes"),
    ("no purpose", {"purposes": []}, "purposes"),
    ("an unknown category", {"categories": ["health", "dental"]}, "categories"),
    ("ends before it starts", {"end_date": date(2025, 3, 31), "review_date": None}, "end_date"),
    ("reviewed after it ends", {"review_date": date(2027, 4, 1)}, "review_date"),
    ("open-ended, never reviewed", {"end_date": None, "review_date": None}, "review_date"),
    ("a reference with spaces", {"ref": "DSA HEALTH"}, "ref"),
]


@pytest.mark.parametrize(("case", "changes", "field"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_each_rule_names_the_field_and_how_to_fix_it(
    case: str, changes: dict[str, object], field: str
) -> None:
    agreement, problems = agreement_from_mapping(terms(**changes), "agreements.yaml: agreement 1")
    assert agreement is None
    assert [p.field for p in problems] == [field], case
    assert problems[0].where == "agreements.yaml: agreement 1"
    assert problems[0].fix


def test_lawful_bases_that_hold_together_raise_no_problem() -> None:
    valid: list[dict[str, object]] = [
        {},  # 6(1)(e), 9(2)(h), Sch.1 Pt.1 para 2
        {"special_category_condition": "9(2)(g)", "schedule1_condition": "Sch.1 Pt.2 para 18"},
        {"special_category_condition": "9(2)(a)", "schedule1_condition": None},  # no Sch.1
        {"special_category_condition": "9(2)(j)", "schedule1_condition": "Sch.1 Pt.1 para 4"},
        {
            "categories": ["housing"],
            "partner_category": "housing",
            "special_category_condition": None,
            "schedule1_condition": None,
        },
        {"end_date": None, "review_date": date(2028, 1, 1)},
    ]
    for changes in valid:
        agreement, problems = agreement_from_mapping(terms(**changes), "x")
        assert problems == [] and agreement is not None, changes


def test_an_agreement_with_many_problems_reports_them_all_at_once() -> None:
    broken = terms(
        ref="bad ref",
        parties=["Only Us"],
        partner_category="dentistry",
        purposes=["curiosity"],
        categories=[],
        lawful_basis="because",
        special_category_condition=None,
        end_date=date(2020, 1, 1),
        review_date=date(2019, 1, 1),
    )
    agreement, problems = agreement_from_mapping(broken, "dsa.yaml: agreement 3 (bad ref)")
    assert agreement is None
    fields = sorted(p.field for p in problems)
    expected = ["ref", "parties", "partner_category", "purposes", "categories", "lawful_basis"]
    assert fields == sorted([*expected, "end_date", "review_date"])
    message = str(InvalidAgreementError(problems))
    assert "8 problem(s)" in message and message.count("dsa.yaml: agreement 3") == 8


def test_missing_and_unreadable_fields_are_all_reported_before_the_rules() -> None:
    _, problems = agreement_from_mapping(
        {"ref": "DSA-1", "start_date": "1st April", "colour": "blue"}, "a.yaml: agreement 1"
    )
    assert sorted(p.field for p in problems) == [
        "colour", "lawful_basis", "partner_category", "start_date", "title",
    ]  # fmt: skip


def test_a_file_of_agreements_reports_every_problem_in_every_agreement() -> None:
    document = {
        "agreements": [
            terms(ref="DSA-A"),
            terms(ref="DSA-B", lawful_basis="nope"),
            terms(ref="DSA-A"),
            "not a mapping",
            terms(ref="DSA-C", purposes=["curiosity"], categories=["dental"]),
        ]
    }
    agreements, problems = agreements_from_document(document, "dsa.yaml")
    assert agreements == []
    where = [(p.where, p.field) for p in problems]
    assert ("dsa.yaml: agreement 2 (DSA-B)", "lawful_basis") in where
    assert ("dsa.yaml: agreement 4", "-") in where
    assert ("dsa.yaml: agreement 5 (DSA-C)", "purposes") in where
    assert ("dsa.yaml: agreement 5 (DSA-C)", "categories") in where
    assert ("dsa.yaml", "ref") in where  # DSA-A twice
    assert len(problems) == 5


# -- dates: in force, expiring soon, expired, not yet started; warnings -----------------

STATUS = [
    # (start, end, review, on, status, warnings)
    ("2025-04-01", "2027-03-31", "2026-09-30", "2025-03-31", "not yet started", []),
    ("2025-04-01", "2027-03-31", "2026-09-30", "2025-04-01", "in force", []),
    ("2025-04-01", "2027-03-31", "2026-09-30", "2026-09-30", "in force", []),
    ("2025-04-01", "2027-03-31", "2026-09-30", "2026-10-01", "in force", ["review overdue"]),
    ("2025-04-01", "2027-03-31", "2027-03-01", "2027-01-29", "in force", []),  # 61 days
    ("2025-04-01", "2027-03-31", "2027-03-01", "2027-01-30", "expiring soon", ["expiring"]),
    ("2025-04-01", "2027-03-31", "2027-03-01", "2027-03-31", "expiring soon",
     ["expiring", "review overdue"]),
    ("2025-04-01", "2027-03-31", "2027-03-01", "2027-04-01", "expired", []),  # no nagging
    ("2025-04-01", None, "2030-03-31", "2035-01-01", "in force", ["review overdue"]),
]  # fmt: skip


@pytest.mark.parametrize(("start", "end", "review", "on", "status", "kinds"), STATUS)
def test_status_and_warnings_on_a_date(
    start: str, end: str | None, review: str, on: str, status: str, kinds: list[str]
) -> None:
    agreement = replace(
        BASE,
        start_date=date.fromisoformat(start),
        end_date=date.fromisoformat(end) if end else None,
        review_date=date.fromisoformat(review),
    )
    day = date.fromisoformat(on)
    assert status_on(agreement, day) == AgreementStatus(status)
    assert agreement.in_force(day) == (status in ("in force", "expiring soon"))
    assert [w.kind for w in warnings_on([agreement], day)] == kinds


def test_the_warning_window_is_configurable() -> None:
    on = date(2027, 1, 1)  # 89 days before BASE ends
    ending = replace(BASE, review_date=None)
    assert warnings_on([ending], on, within_days=60) == []
    (warning,) = warnings_on([ending], on, within_days=90)
    assert warning.ref == "DSA-HEALTH-01" and "2027-03-31 (89 days)" in warning.message


# -- what a partner may see: the agreement at the access choke point ------------------------

HEALTH_AGREEMENT = replace(BASE, categories=("health", "social_care", "send"))
POLICE_AGREEMENT = replace(
    BASE,
    ref="DSA-POLICE-01",
    partner_category="police",
    categories=("police", "social_care"),
    special_category_condition="9(2)(g)",
    schedule1_condition="Sch.1 Pt.2 para 18",
)

PARTNER_ACCESS = [
    # (viewer's agency, purpose, category of the record, allowed?)
    ("health", "safeguarding_enquiry", "social_care", True),  # covered
    ("health", "safeguarding_enquiry", "send", True),
    ("health", "safeguarding_enquiry", "police", False),  # category outside its agreement
    ("health", "safeguarding_enquiry", "education", False),
    ("health", "early_help_assessment", "social_care", False),  # purpose outside it
    ("health", "early_help_assessment", "health", True),  # its own agency's data
    ("police", "safeguarding_enquiry", "social_care", True),
    ("police", "safeguarding_enquiry", "health", False),  # the health agreement is not its
    ("education", "safeguarding_enquiry", "social_care", False),  # no agreement at all
    ("education", "safeguarding_enquiry", "education", True),
    ("housing", "safeguarding_enquiry", "housing", True),
    ("social_care", "safeguarding_enquiry", "police", True),  # the council: the policy decides
    ("send", "ehc_needs_assessment", "health", True),
]


@pytest.mark.parametrize(("agency", "purpose", "category", "allowed"), PARTNER_ACCESS)
def test_a_partner_sees_only_what_its_agreement_covers(
    agency: str, purpose: str, category: str, allowed: bool
) -> None:
    in_force = [HEALTH_AGREEMENT, POLICE_AGREEMENT]
    assert (
        partner_allows(in_force, partner_category=agency, purpose=purpose, category=category)
        is allowed
    )


def test_a_partner_with_no_agreement_in_force_sees_only_its_own_data() -> None:
    for agency in PARTNER_AGENCIES:
        seen = {
            c
            for c in Category
            if partner_allows(
                [], partner_category=agency.value, purpose="safeguarding_enquiry", category=c.value
            )
        }
        assert seen == {agency}


def _reference_allows(
    agreements: list[Agreement], agency: str, purpose: str, category: str
) -> bool:
    """The rule the simple way: the set of (agency, purpose, category) the agreements grant."""
    if agency not in {"education", "health", "police", "early_help", "housing"}:
        return True
    granted = {(agency, agency_purpose, agency) for agency_purpose in (p.value for p in Purpose)}
    for a in agreements:
        granted |= {(a.partner_category, p, c) for p in a.purposes for c in a.categories}
    return (agency, purpose, category) in granted


_agreements = st.lists(
    st.builds(
        lambda partner, purposes, categories: replace(
            BASE, partner_category=partner, purposes=tuple(purposes), categories=tuple(categories)
        ),
        st.sampled_from(sorted(c.value for c in PARTNER_AGENCIES)),
        st.lists(st.sampled_from([p.value for p in Purpose]), min_size=1, max_size=3),
        st.lists(st.sampled_from([c.value for c in Category]), min_size=1, max_size=4),
    ),
    max_size=4,
)


@given(
    _agreements,
    st.sampled_from([c.value for c in Category]),
    st.sampled_from([p.value for p in Purpose]),
    st.sampled_from([c.value for c in Category]),
)
def test_partner_allows_agrees_with_the_simple_reference(
    agreements: list[Agreement], agency: str, purpose: str, category: str
) -> None:
    assert partner_allows(
        agreements, partner_category=agency, purpose=purpose, category=category
    ) == _reference_allows(agreements, agency, purpose, category)


# -- the audited actions --------------------------------------------------------------------


def _audit(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(AuditEvent).order_by(AuditEvent.id)).all())


def test_recording_an_agreement_stores_it_canonically_and_audits_it(store: Engine) -> None:
    written = replace(BASE, lawful_basis="6(1)(e)", special_category_condition="9(2)(h)")
    written = replace(written, schedule1_condition="Schedule 1 Part 1 paragraph 2")
    recorded = record_agreement(store, agreement=written, actor="ig.officer", purpose="admin")
    assert recorded == BASE
    with store.connect() as conn:
        row = conn.execute(select(DataSharingAgreement)).one()
        assert agreements_in_force(conn, date(2026, 1, 1)) == [BASE]
    assert row.lawful_basis == "Art. 6(1)(e) public task" and row.created_by == "ig.officer"
    (entry,) = _audit(store)
    assert (entry.action, entry.target_id, entry.actor) == (
        "agreement.record",
        "DSA-HEALTH-01",
        "ig.officer",
    )
    assert entry.details["source_systems"] == ["anytown_child_health"]
    assert entry.details["end_date"] == "2027-03-31"


def test_an_invalid_agreement_is_refused_and_nothing_is_written(store: Engine) -> None:
    with pytest.raises(InvalidAgreementError) as caught:
        record_agreement(
            store, agreement=replace(BASE, lawful_basis="nope"), actor="t", purpose="p"
        )
    assert caught.value.exit_code == 2 and caught.value.problems[0].field == "lawful_basis"
    record_agreement(store, agreement=BASE, actor="t", purpose="p")
    with pytest.raises(AgreementExistsError):
        record_agreement(store, agreement=BASE, actor="t", purpose="p")
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(DataSharingAgreement)).scalar() == 1
    assert len(_audit(store)) == 1


def test_no_audit_no_agreement(store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(actions, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        record_agreement(store, agreement=BASE, actor="t", purpose="p")
    with pytest.raises(RuntimeError):
        record_sharing_decision(
            store,
            requested_by="Anytown Police",
            request_purpose="safeguarding_enquiry",
            purpose="records_management",
            categories=["health"],
            decision="not_share",
            reason="not necessary for the stated purpose",
            actor="t",
        )
    with store.connect() as conn:
        for table in (DataSharingAgreement, SharingDecision, AuditEvent):
            assert conn.execute(select(func.count()).select_from(table)).scalar() == 0


def test_amending_and_ending_an_agreement_audit_each_change(store: Engine) -> None:
    record_agreement(store, agreement=BASE, actor="t", purpose="p")
    amended = amend_agreement(
        store,
        ref=BASE.ref,
        changes={"categories": ["health", "social_care", "send"]},
        actor="ig",
        purpose="administration",
        reason="SEND added at the 2026 review",
    )
    assert amended.categories == ("health", "social_care", "send")
    ended = end_agreement(
        store, ref=BASE.ref, end_date=date(2026, 6, 30), actor="ig", purpose="p", reason="replaced"
    )
    assert ended.end_date == date(2026, 6, 30)
    with store.connect() as conn:
        assert agreements_in_force(conn, date(2026, 6, 30)) == [ended]
        assert agreements_in_force(conn, date(2026, 7, 1)) == []
    amend, end = _audit(store)[1:]
    assert amend.action == end.action == "agreement.amend"
    assert amend.details["changed"] == {
        "categories": {"from": ["health", "social_care"], "to": ["health", "social_care", "send"]}
    }
    assert end.details["changed"]["end_date"] == {"from": "2027-03-31", "to": "2026-06-30"}
    assert end.details["reason"] == "replaced"


def test_an_amendment_is_checked_as_a_whole(store: Engine) -> None:
    record_agreement(store, agreement=BASE, actor="t", purpose="p")
    with pytest.raises(InvalidAgreementError) as caught:
        amend_agreement(
            store,
            ref=BASE.ref,
            changes={"end_date": date(2024, 1, 1), "categories": ["dental"]},
            actor="t",
            purpose="p",
            reason="x",
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"end_date", "review_date", "categories"}  # review after the new end too
    with pytest.raises(UnknownAgreementError):
        end_agreement(store, ref="DSA-NONE", end_date=date(2026, 1, 1), actor="t", purpose="p",
                      reason="x")  # fmt: skip
    with store.connect() as conn:
        assert agreements_in_force(conn, date(2026, 1, 1)) == [BASE]
    assert len(_audit(store)) == 1


def test_loading_agreements_records_amends_and_leaves_unchanged(store: Engine) -> None:
    other = replace(BASE, ref="DSA-POLICE-01", partner_category="police", categories=("police",))
    other = replace(other, special_category_condition="9(2)(g)")
    other = replace(other, schedule1_condition="Sch.1 Pt.2 para 18")
    first = load_agreements(store, agreements=[BASE, other], actor="t", purpose="p")
    assert first.recorded == ("DSA-HEALTH-01", "DSA-POLICE-01")
    again = load_agreements(store, agreements=[BASE, other], actor="t", purpose="p")
    assert again.unchanged == ("DSA-HEALTH-01", "DSA-POLICE-01") and not again.recorded
    later = replace(other, review_date=date(2026, 12, 31))
    third = load_agreements(store, agreements=[BASE, later], actor="t", purpose="p")
    assert third.amended == ("DSA-POLICE-01",) and third.unchanged == ("DSA-HEALTH-01",)
    assert [e.action for e in _audit(store)] == ["agreement.record"] * 2 + ["agreement.amend"]


def test_a_file_with_one_bad_agreement_records_none(store: Engine) -> None:
    bad = replace(BASE, ref="DSA-BAD", lawful_basis="whatever")
    with pytest.raises(InvalidAgreementError):
        load_agreements(store, agreements=[BASE, bad], actor="t", purpose="p")
    with store.connect() as conn:
        assert agreements_in_force(conn, date(2026, 1, 1)) == []


def test_list_agreements_gives_status_and_warnings(store: Engine) -> None:
    agree(store, "a_system", ref="DSA-ENDING", end=date(2026, 12, 31))
    agree(store, "b_system", ref="DSA-LATER", start=date(2027, 1, 1))
    agree(store, "c_system", ref="DSA-OVER", start=date(2020, 1, 1), end=date(2025, 12, 31))
    listings, warnings = list_agreements(store, on=date(2026, 12, 1))
    status = {x.agreement.ref: x.status for x in listings}
    assert status == {
        "DSA-ENDING": AgreementStatus.EXPIRING_SOON,
        "DSA-LATER": AgreementStatus.NOT_YET_STARTED,
        "DSA-OVER": AgreementStatus.EXPIRED,
    }
    assert [(w.ref, w.kind) for w in warnings] == [("DSA-ENDING", "expiring")]


# -- decisions to share and not to share ----------------------------------------------------


def _person(engine: Engine) -> int:
    from datetime import UTC, datetime

    from sqlalchemy import insert

    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(Person).returning(Person.id), {"created_at": datetime.now(UTC)}
            ).scalar_one()
        )


def test_a_decision_not_to_share_is_recorded_with_its_reason(store: Engine) -> None:
    person = _person(store)
    decision_id = record_sharing_decision(
        store,
        requested_by="Anytown Housing Association",
        request_purpose="safeguarding_enquiry",
        purpose="records_management",
        categories=["health", "social_care"],
        decision="not_share",
        reason="Health details are not necessary for a tenancy review; shared the contact only.",
        actor="ig.officer",
        person_id=person,
    )
    (entry,) = sharing_decisions(store, person_id=person)
    assert (entry.id, entry.decision, entry.categories) == (
        decision_id,
        "not_share",
        ("health", "social_care"),
    )
    assert entry.reason.startswith("Health details") and entry.decided_by == "ig.officer"
    assert sharing_decisions(store, decision="share") == []
    (audit,) = _audit(store)
    assert (audit.action, audit.person_id, audit.purpose) == (
        "sharing.not_share",
        person,
        "records_management",
    )
    assert audit.details["request_purpose"] == "safeguarding_enquiry"
    assert "tenancy" not in str(audit.details)  # the reason stays out of the audit trail


def test_a_sharing_decision_lists_every_problem_and_records_nothing(store: Engine) -> None:
    with pytest.raises(SharingDecisionError) as caught:
        record_sharing_decision(
            store,
            requested_by=" ",
            request_purpose="curiosity",
            purpose="records_management",
            categories=["dental"],
            decision="maybe",
            reason="",
            actor="t",
        )
    message = str(caught.value)
    for words in (
        "no requesting organisation",
        "'curiosity' is not an access purpose",
        "unknown categories: dental",
        "'maybe' is not a decision",
        "no reason given",
    ):
        assert words in message
    with pytest.raises(SharingDecisionError, match="there is no person 999"):
        record_sharing_decision(
            store,
            requested_by="Anytown Police",
            request_purpose="safeguarding_enquiry",
            purpose="records_management",
            categories=["police"],
            decision="share",
            reason="Section 47 enquiry under way",
            actor="t",
            person_id=999,
        )
    assert sharing_decisions(store) == [] and _audit(store) == []


# -- the synthetic council's agreements ------------------------------------------------------


def test_the_synthetic_council_has_a_valid_agreement_for_every_partner_source(
    tmp_path: Path,
) -> None:
    synthesise(children=30, seed=4, out_dir=tmp_path)
    document = yaml.safe_load((tmp_path / "agreements.yaml").read_text())
    agreements, problems = agreements_from_document(document, "agreements.yaml")
    assert problems == []
    covered = {s for a in agreements for s in a.source_systems}
    declared = {
        yaml.safe_load(p.read_text())["source_system"] for p in tmp_path.glob("*.mapping.yaml")
    }
    assert declared == {
        "synthetic_child_health_system",
        "synthetic_police_encompass",
        "synthetic_early_help_module",
    }
    assert covered == declared | {"school_census"}
    assert {a.partner_category for a in agreements} == {
        "education", "health", "police", "early_help",
    }  # fmt: skip
    assert {a.lawful_basis for a in agreements} == {"Art. 6(1)(e) public task"}
    schedule1 = {a.schedule1_condition for a in agreements}
    assert schedule1 == {
        "Sch.1 Pt.2 para 18: safeguarding of children and individuals at risk",
        "Sch.1 Pt.1 para 2: health or social care purposes",
    }
    assert all(check_agreement(a) == [] for a in agreements)
    assert agreements_yaml() == (tmp_path / "agreements.yaml").read_text()
    assert len(AGREEMENTS) == 4


# -- the command line -------------------------------------------------------------------------

WHOLECHILD = [sys.executable, "-m", "wholechild.cli"]


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "WHOLECHILD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "COLUMNS": "200",
    }
    return subprocess.run(
        WHOLECHILD + args, capture_output=True, text=True, env=environment, cwd=tmp_path,
        timeout=120,
    )  # fmt: skip


def test_cli_load_list_and_check(tmp_path: Path) -> None:
    (tmp_path / "agreements.yaml").write_text(agreements_yaml())
    loaded = run(["agreements", "load", "agreements.yaml"], tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "4 recorded, 0 amended, 0 unchanged" in loaded.stdout
    listed = run(["agreements", "list", "--on", "2026-01-01"], tmp_path)
    assert listed.stdout.count("in force") == 4 and "DSA-SYN-POLICE-01" in listed.stdout
    quiet = run(["agreements", "check", "--on", "2026-01-01"], tmp_path)
    assert quiet.returncode == 0 and "0 warnings" in quiet.stdout
    late = run(["agreements", "check", "--on", "2028-04-30"], tmp_path)
    assert late.returncode == 1
    assert "DSA-SYN-HEALTH-01 was due for review on 2028-03-31 (30 days ago)" in late.stdout
    ended = run(
        ["agreements", "end", "DSA-SYN-HEALTH-01", "--on", "2026-02-15", "--reason", "replaced"],
        tmp_path,
    )
    assert ended.returncode == 0, ended.stderr
    soon = run(["agreements", "check", "--on", "2026-01-01"], tmp_path)
    assert soon.returncode == 1 and "DSA-SYN-HEALTH-01 ends on 2026-02-15 (45 days)" in soon.stdout


def test_cli_add_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    result = run(
        [
            "agreements", "add", "--ref", "DSA-X", "--title", "X", "--party", "Us",
            "--partner", "health", "--purpose", "curiosity", "--category", "health",
            "--lawful-basis", "6(1)(f)", "--start", "2026-01-01",
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for field in ("parties", "purposes", "lawful_basis", "special_category_condition"):
        assert f"agreement DSA-X, {field}:" in result.stderr
    good = run(
        [
            "agreements", "add", "--ref", "DSA-X", "--title", "X", "--party", "Us",
            "--party", "Them", "--partner", "health", "--purpose", "safeguarding_enquiry",
            "--category", "health", "--lawful-basis", "6(1)(e)", "--art9", "9(2)(h)",
            "--schedule1", "Sch.1 Pt.1 para 2", "--start", "2026-01-01", "--end", "2026-12-31",
            "--source-system", "x_health",
        ],
        tmp_path,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "recorded data-sharing agreement DSA-X: Art. 6(1)(e) public task" in good.stdout


def test_cli_records_a_decision_not_to_share(tmp_path: Path) -> None:
    result = run(
        [
            "sharing", "decide", "--requested-by", "Anytown Police", "--purpose",
            "safeguarding_enquiry", "--category", "health", "--not-share", "--reason",
            "not necessary: the enquiry concerns an adult",
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "decision 1 recorded: not share" in result.stdout
    listed = run(["sharing", "list", "--not-shared"], tmp_path)
    assert "Anytown Police" in listed.stdout and "not share" in listed.stdout
    refused = run(
        ["sharing", "decide", "--requested-by", "X", "--purpose", "safeguarding_enquiry",
         "--category", "health", "--share", "--reason", "ok"],
        tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2 and "no reason given" in refused.stderr


# -- signed-in users: the access policy decides who keeps the register ----------------------

IG_OFFICER = Principal("ig.officer", Role.IG_OFFICER, Category.SOCIAL_CARE)
SOCIAL_WORKER = Principal("social.worker", Role.SOCIAL_WORKER, Category.SOCIAL_CARE)


def test_an_ig_officer_keeps_the_register_and_others_are_refused(store: Engine) -> None:
    record_agreement(store, agreement=BASE, actor=IG_OFFICER, purpose="records_management")
    with pytest.raises(AccessDenied):
        end_agreement(
            store, ref=BASE.ref, end_date=date(2026, 1, 1), actor=SOCIAL_WORKER,
            purpose="safeguarding_enquiry", reason="no longer needed",
        )  # fmt: skip
    with pytest.raises(AccessDenied):
        record_sharing_decision(
            store, requested_by="Anytown Police", request_purpose="safeguarding_enquiry",
            categories=["health"], decision="share", reason="section 47 enquiry under way",
            actor=SOCIAL_WORKER, purpose="safeguarding_enquiry",
        )  # fmt: skip
    with store.connect() as conn:
        assert agreements_in_force(conn, date(2026, 6, 1)) == [BASE]  # not ended
    assert sharing_decisions(store) == []
    entries = [(e.actor, e.action) for e in _audit(store)]
    assert entries == [
        ("ig.officer", "agreement.record"),
        ("social.worker", "access.manage_agreements"),
        ("social.worker", "access.manage_agreements"),
    ]
