"""The access choke point includes the data-sharing agreements: a partner agency's staff see
another agency's category of data only where an agreement in force with their agency covers
that category and purpose. The council's own staff are not limited by agreements."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from test_access_matrix import seed
from wholechild.access import Decision, decide
from wholechild.actions.agreements import end_agreement, record_agreement
from wholechild.core.access import Category, Principal, Purpose, Role
from wholechild.governance.agreements import Agreement
from wholechild.read.child import child_view

POLICE = Principal("police@t", Role.POLICE_OFFICER, Category.POLICE)
HEALTH = Principal("health@t", Role.HEALTH_PRACTITIONER, Category.HEALTH)
SOCIAL_WORKER = Principal("sw@t", Role.SOCIAL_WORKER, Category.SOCIAL_CARE)
ENQUIRY = Purpose.SAFEGUARDING_ENQUIRY


def police_agreement(*categories: str, end: date | None = None) -> Agreement:
    return Agreement(
        ref="DSA-POLICE-T", title="Police child protection notifications",
        parties=("Test Council", "Test Constabulary"), source_systems=("sys_police",),
        partner_category="police", purposes=("safeguarding_enquiry",), categories=categories,
        lawful_basis="6(1)(e)", special_category_condition="9(2)(g)",
        schedule1_condition="Sch.1 Pt.2 para 18", start_date=date(2020, 4, 1), end_date=end,
        review_date=None if end else date(2099, 3, 31),
    )  # fmt: skip


def shown_categories(engine: Engine, principal: Principal, person_id: int) -> set[str]:
    page = child_view(engine, principal, person_id=person_id, purpose=ENQUIRY)
    return {r.category for r in page.records}


@pytest.mark.parametrize(
    ("covered", "police_sees"),
    [
        ((), {"police"}),
        (("police",), {"police"}),
        (("police", "social_care"), {"police", "social_care"}),
        # The agreement cannot widen what the Cedar policy allows (police never see health).
        (("police", "social_care", "health"), {"police", "social_care"}),
    ],
)
def test_a_partner_sees_only_the_categories_its_agreement_covers(
    store: Engine, covered: tuple[str, ...], police_sees: set[str]
) -> None:
    seeded = seed(store, agreements=False)
    if covered:
        record_agreement(
            store, agreement=police_agreement(*covered), actor="t", purpose="records_management"
        )
    assert shown_categories(store, POLICE, seeded.person_id) == police_sees


def test_the_councils_own_staff_are_not_limited_by_agreements(store: Engine) -> None:
    seeded = seed(store, agreements=False)
    seen = shown_categories(store, SOCIAL_WORKER, seeded.person_id)
    assert {"police", "health", "education", "social_care"} <= seen


def test_an_agreement_that_has_ended_opens_nothing(store: Engine) -> None:
    seeded = seed(store, agreements=False)
    record_agreement(
        store,
        agreement=police_agreement("police", "social_care"),
        actor="t",
        purpose="records_management",
    )
    assert "social_care" in shown_categories(store, POLICE, seeded.person_id)
    end_agreement(
        store, ref="DSA-POLICE-T", end_date=date(2021, 3, 31), actor="t",
        purpose="records_management", reason="superseded",
    )  # fmt: skip
    assert shown_categories(store, POLICE, seeded.person_id) == {"police"}


def test_the_refusal_names_the_missing_agreement_and_a_justified_break_glass_opens_it() -> None:
    from wholechild.access import Resource

    record = Resource("Record", "r", Category.SOCIAL_CARE)

    def health_sees(justification: str | None) -> Decision:
        return decide(
            HEALTH, "view_record", record, purpose=ENQUIRY, justification=justification,
            agreements=[],
        )  # fmt: skip

    refused = health_sees(None)
    assert not refused.allowed and refused.break_glass_possible
    assert "data-sharing agreement" in refused.reasons[0]
    assert "justification" in health_sees("too short").reasons[0]
    opened = health_sees("urgent: child at risk of significant harm tonight")
    assert opened.allowed and opened.break_glass
    sealed = Resource("Record", "r", Category.SOCIAL_CARE, True)
    assert not decide(
        HEALTH, "view_record", sealed, purpose=ENQUIRY,
        justification="urgent: child at risk of significant harm tonight", agreements=[],
    ).allowed  # fmt: skip
