"""The access policy as readable tables: who sees which kind of record, for which purpose.

Each row reads as a sentence: "a police officer, for a safeguarding enquiry, sees health
records? no". These tables are the policy's documentation for caseworkers and auditors
(wholechild/policy/README.md says the same in prose); test_access_matrix.py checks every
combination against a plain-Python reference.
"""

from __future__ import annotations

from pathlib import Path

import cedarpy
import pytest

from access_helpers import HOME
from wholechild.access import MIN_JUSTIFICATION, AccessDenied, Resource, decide, denied
from wholechild.core.access import ROLE_LABELS, Category, Principal, Purpose, Role
from wholechild.policy import ACTIONS, policy_text

C, P, R = Category, Purpose, Role

JUSTIFICATION = "Child disclosed harm at school this morning; strategy meeting at 2pm"


def who(role: Role, *, agency: Category | None = None, team: str | None = None) -> Principal:
    return Principal(f"{role.value}@test", role, agency or HOME[role], team)


def sees(principal: Principal, purpose: Purpose | None, category: Category, **kw: object) -> bool:
    record = Resource("Record", "r1", category, bool(kw.pop("sealed", False)))
    return decide(principal, "view_record", record, purpose=purpose, **kw).allowed  # type: ignore[arg-type]


# -- which records each role sees, by purpose --------------------------------------------------

RECORDS = [
    # role, purpose, category of record, sees it?
    (R.SOCIAL_WORKER, P.SAFEGUARDING_ENQUIRY, C.POLICE, True),
    (R.SOCIAL_WORKER, P.SAFEGUARDING_ENQUIRY, C.HEALTH, True),
    (R.SOCIAL_WORKER, P.CHILD_IN_NEED_ASSESSMENT, C.HOUSING, True),
    (R.SOCIAL_WORKER, P.EHC_NEEDS_ASSESSMENT, C.SOCIAL_CARE, False),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.EARLY_HELP, True),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.EDUCATION, True),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.SEND, True),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.SOCIAL_CARE, True),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.HEALTH, False),
    (R.EARLY_HELP_WORKER, P.EARLY_HELP_ASSESSMENT, C.POLICE, False),
    (R.EARLY_HELP_WORKER, P.SAFEGUARDING_ENQUIRY, C.EARLY_HELP, False),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.SEND, True),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.EDUCATION, True),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.HEALTH, True),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.SOCIAL_CARE, True),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.POLICE, False),
    (R.SEND_CASEWORKER, P.EHC_NEEDS_ASSESSMENT, C.EARLY_HELP, False),
    (R.SCHOOL_SAFEGUARDING_LEAD, P.SAFEGUARDING_ENQUIRY, C.EDUCATION, True),
    (R.SCHOOL_SAFEGUARDING_LEAD, P.SAFEGUARDING_ENQUIRY, C.EARLY_HELP, True),
    (R.SCHOOL_SAFEGUARDING_LEAD, P.SAFEGUARDING_ENQUIRY, C.SOCIAL_CARE, False),
    (R.SCHOOL_SAFEGUARDING_LEAD, P.SAFEGUARDING_ENQUIRY, C.HEALTH, False),
    (R.HEALTH_PRACTITIONER, P.SAFEGUARDING_ENQUIRY, C.HEALTH, True),
    (R.HEALTH_PRACTITIONER, P.SAFEGUARDING_ENQUIRY, C.SOCIAL_CARE, True),
    (R.HEALTH_PRACTITIONER, P.SAFEGUARDING_ENQUIRY, C.POLICE, False),
    (R.HEALTH_PRACTITIONER, P.SAFEGUARDING_ENQUIRY, C.EDUCATION, False),
    (R.POLICE_OFFICER, P.SAFEGUARDING_ENQUIRY, C.POLICE, True),
    (R.POLICE_OFFICER, P.SAFEGUARDING_ENQUIRY, C.SOCIAL_CARE, True),
    (R.POLICE_OFFICER, P.SAFEGUARDING_ENQUIRY, C.HEALTH, False),
    (R.POLICE_OFFICER, P.SAFEGUARDING_ENQUIRY, C.EDUCATION, False),
    (R.POLICE_OFFICER, P.EHC_NEEDS_ASSESSMENT, C.POLICE, False),
    (R.IG_OFFICER, P.SUBJECT_ACCESS_REQUEST, C.HEALTH, True),
    (R.IG_OFFICER, P.SUBJECT_ACCESS_REQUEST, C.POLICE, True),
    (R.IG_OFFICER, P.AUDIT_OVERSIGHT, C.SOCIAL_CARE, False),
    (R.DATA_ANALYST, P.LINKAGE_REVIEW, C.EDUCATION, False),
    (R.DATA_ANALYST, P.STATUTORY_RETURN, C.SEND, False),
    (R.ADMINISTRATOR, P.ADMINISTRATION, C.SOCIAL_CARE, False),
]


@pytest.mark.parametrize(
    ("role", "purpose", "category", "expected"),
    RECORDS,
    ids=[f"{r.value}-{p.value}-{c.value}" for r, p, c, _ in RECORDS],
)
def test_who_sees_which_records(
    role: Role, purpose: Purpose, category: Category, expected: bool
) -> None:
    assert sees(who(role), purpose, category) is expected


OWN_AGENCY = [
    # a practitioner always sees their own agency's records, under a purpose their role has
    (R.POLICE_OFFICER, C.HOUSING, P.SAFEGUARDING_ENQUIRY, True),
    (R.HEALTH_PRACTITIONER, C.OTHER, P.SAFEGUARDING_ENQUIRY, True),
    (R.SCHOOL_SAFEGUARDING_LEAD, C.HOUSING, P.SAFEGUARDING_ENQUIRY, True),
    (R.POLICE_OFFICER, C.HOUSING, P.EARLY_HELP_ASSESSMENT, False),  # not a police purpose
    (R.DATA_ANALYST, C.HOUSING, P.LINKAGE_REVIEW, False),  # not a practitioner
]


@pytest.mark.parametrize(("role", "agency", "purpose", "expected"), OWN_AGENCY)
def test_practitioners_see_their_own_agencys_records(
    role: Role, agency: Category, purpose: Purpose, expected: bool
) -> None:
    assert sees(who(role, agency=agency), purpose, agency) is expected


# -- the other actions -------------------------------------------------------------------------

ACTIONS_TABLE = [
    # role, action, resource kind, purpose, allowed?
    (R.SOCIAL_WORKER, "view_child", "Person", P.SAFEGUARDING_ENQUIRY, True),
    (R.SOCIAL_WORKER, "search", "Person", P.CHILD_IN_NEED_ASSESSMENT, True),
    (R.SOCIAL_WORKER, "search", "Person", None, False),
    (R.POLICE_OFFICER, "view_child", "Person", P.SAFEGUARDING_ENQUIRY, True),
    (R.POLICE_OFFICER, "view_child", "Person", P.EHC_NEEDS_ASSESSMENT, False),
    (R.SEND_CASEWORKER, "view_child", "Person", P.EHC_NEEDS_ASSESSMENT, True),
    (R.DATA_ANALYST, "view_child", "Person", P.LINKAGE_REVIEW, False),
    (R.DATA_ANALYST, "search", "Person", P.LINKAGE_REVIEW, False),
    (R.DATA_ANALYST, "view_dashboard", "Dashboard", None, True),
    (R.DATA_ANALYST, "review_links", "ReviewQueue", P.LINKAGE_REVIEW, True),
    (R.DATA_ANALYST, "review_links", "ReviewQueue", P.STATUTORY_RETURN, False),
    (R.DATA_ANALYST, "decide_link", "ReviewQueue", P.LINKAGE_REVIEW, True),
    (R.SOCIAL_WORKER, "decide_link", "ReviewQueue", P.LINKAGE_REVIEW, False),
    (R.IG_OFFICER, "view_access_report", "Person", P.AUDIT_OVERSIGHT, True),
    (R.IG_OFFICER, "view_access_report", "Person", P.SUBJECT_ACCESS_REQUEST, True),
    (R.IG_OFFICER, "view_access_report", "Person", None, False),
    (R.SOCIAL_WORKER, "view_access_report", "Person", P.SAFEGUARDING_ENQUIRY, False),
    (R.IG_OFFICER, "verify_audit", "AuditTrail", P.AUDIT_OVERSIGHT, True),
    (R.ADMINISTRATOR, "verify_audit", "AuditTrail", P.AUDIT_OVERSIGHT, False),
    (R.IG_OFFICER, "view_child", "Person", P.SUBJECT_ACCESS_REQUEST, True),
    (R.IG_OFFICER, "view_child", "Person", P.AUDIT_OVERSIGHT, False),
    (R.IG_OFFICER, "export", "Person", P.SUBJECT_ACCESS_REQUEST, True),
    (R.IG_OFFICER, "seal_records", "Record", P.AUDIT_OVERSIGHT, True),
    (R.SOCIAL_WORKER, "seal_records", "Record", P.SAFEGUARDING_ENQUIRY, False),
    (R.ADMINISTRATOR, "manage_users", "Accounts", None, True),
    (R.ADMINISTRATOR, "view_child", "Person", P.ADMINISTRATION, False),
    (R.ADMINISTRATOR, "view_dashboard", "Dashboard", None, False),
    (R.IG_OFFICER, "manage_users", "Accounts", None, False),
]


@pytest.mark.parametrize(("role", "action", "kind", "purpose", "expected"), ACTIONS_TABLE)
def test_who_may_do_what(
    role: Role, action: str, kind: str, purpose: Purpose | None, expected: bool
) -> None:
    assert decide(who(role), action, Resource(kind), purpose=purpose).allowed is expected


# -- sealed records ----------------------------------------------------------------------------

SEALED = [
    # who, purpose, sees a sealed social care record?
    (who(R.SOCIAL_WORKER, team="adoption"), P.SAFEGUARDING_ENQUIRY, True),
    (who(R.SOCIAL_WORKER, team="east"), P.SAFEGUARDING_ENQUIRY, False),
    (who(R.SOCIAL_WORKER), P.CHILD_IN_NEED_ASSESSMENT, False),
    (who(R.POLICE_OFFICER, team="adoption"), P.SAFEGUARDING_ENQUIRY, False),
    (who(R.IG_OFFICER), P.SUBJECT_ACCESS_REQUEST, False),
]


@pytest.mark.parametrize(("principal", "purpose", "expected"), SEALED)
def test_sealed_records_only_for_the_adoption_team(
    principal: Principal, purpose: Purpose, expected: bool
) -> None:
    assert sees(principal, purpose, C.SOCIAL_CARE, sealed=True) is expected
    glass = sees(principal, purpose, C.SOCIAL_CARE, sealed=True, justification=JUSTIFICATION)
    assert glass is expected  # a justification changes nothing


def test_break_glass_never_opens_a_sealed_record() -> None:
    for principal in (who(R.SOCIAL_WORKER), who(R.POLICE_OFFICER), who(R.HEALTH_PRACTITIONER)):
        record = Resource("Record", "r1", C.SOCIAL_CARE, sealed=True)
        decision = decide(
            principal,
            "view_record",
            record,
            purpose=P.SAFEGUARDING_ENQUIRY,
            justification=JUSTIFICATION,
        )
        assert not decision.allowed and not decision.break_glass_possible
        assert "sealed" in decision.reasons[0]


def test_a_sealed_record_is_withheld_from_a_linkage_reviewer_too() -> None:
    record = Resource("Record", "r1", C.SOCIAL_CARE, sealed=True)
    analyst = who(R.DATA_ANALYST)
    assert not decide(analyst, "review_links", record, purpose=P.LINKAGE_REVIEW).allowed
    unsealed = Resource("Record", "r1", C.SOCIAL_CARE)
    assert decide(analyst, "review_links", unsealed, purpose=P.LINKAGE_REVIEW).allowed


# -- break-glass -------------------------------------------------------------------------------


def test_break_glass_needs_a_written_justification_and_says_so() -> None:
    police, health = who(R.POLICE_OFFICER), Resource("Record", "r1", C.HEALTH)
    purpose = P.SAFEGUARDING_ENQUIRY
    without = decide(police, "view_record", health, purpose=purpose)
    assert not without.allowed and without.break_glass_possible
    assert "without a written break-glass justification" in without.reasons[0]
    short = decide(police, "view_record", health, purpose=purpose, justification="urgent")
    assert not short.allowed and f"at least {MIN_JUSTIFICATION} characters" in short.reasons[0]
    blank = decide(police, "view_record", health, purpose=purpose, justification=" " * 30)
    assert not blank.allowed
    given = decide(police, "view_record", health, purpose=purpose, justification=JUSTIFICATION)
    assert given.allowed and given.break_glass
    assert any("break-glass" in reason for reason in given.reasons)


def test_break_glass_is_not_needed_where_the_policy_already_allows() -> None:
    decision = decide(
        who(R.POLICE_OFFICER),
        "view_record",
        Resource("Record", "r1", C.POLICE),
        purpose=P.SAFEGUARDING_ENQUIRY,
        justification=JUSTIFICATION,
    )
    assert decision.allowed and not decision.break_glass


@pytest.mark.parametrize("role", [R.DATA_ANALYST, R.ADMINISTRATOR, R.IG_OFFICER])
def test_only_practitioners_may_break_glass(role: Role) -> None:
    for purpose in (*Purpose, None):
        decision = decide(
            who(role),
            "view_record",
            Resource("Record", "r1", C.POLICE),
            purpose=purpose,
            justification=JUSTIFICATION,
        )
        assert not decision.break_glass and not decision.break_glass_possible
        assert decision.allowed is (role is R.IG_OFFICER and purpose is P.SUBJECT_ACCESS_REQUEST)


def test_break_glass_widens_categories_not_purposes() -> None:
    decision = decide(
        who(R.POLICE_OFFICER),
        "view_record",
        Resource("Record", "r1", C.HEALTH),
        purpose=P.EHC_NEEDS_ASSESSMENT,
        justification=JUSTIFICATION,
    )
    assert not decision.allowed and not decision.break_glass_possible


# -- refusals in plain words -------------------------------------------------------------------

REFUSALS = [
    # who, action, resource kind, purpose, the reason says
    (R.DATA_ANALYST, "view_child", "Person", P.LINKAGE_REVIEW, "a data analyst may not open a"),
    (R.POLICE_OFFICER, "view_child", "Person", None, "a purpose is required"),
    (R.POLICE_OFFICER, "search", "Person", P.EHC_NEEDS_ASSESSMENT, "only for: safeguarding"),
    (R.SEND_CASEWORKER, "search", "Person", None, "may do this for: EHC needs assessment"),
    (R.ADMINISTRATOR, "view_dashboard", "Dashboard", None, "an administrator may not see"),
    (R.IG_OFFICER, "verify_audit", "AuditTrail", None, "a purpose is required to verify"),
]


@pytest.mark.parametrize(("role", "action", "kind", "purpose", "says"), REFUSALS)
def test_refusals_say_why_in_plain_words(
    role: Role, action: str, kind: str, purpose: Purpose | None, says: str
) -> None:
    decision = decide(who(role), action, Resource(kind), purpose=purpose)
    assert not decision.allowed
    assert says in decision.reasons[0]
    error = denied(decision)
    assert isinstance(error, AccessDenied) and error.exit_code == 6
    assert error.reason == decision.reasons[0] and error.fix


def test_an_allowed_decision_names_the_rule_that_allowed_it() -> None:
    decision = decide(
        who(R.HEALTH_PRACTITIONER),
        "view_record",
        Resource("Record", "r1", C.SOCIAL_CARE),
        purpose=P.SAFEGUARDING_ENQUIRY,
    )
    assert decision.reasons == (
        "a health practitioner sees health and social care records for a safeguarding enquiry",
    )


# -- the policy files ----------------------------------------------------------------------


def test_the_policy_is_valid_against_its_schema() -> None:
    policies, schema = policy_text()
    checked = cedarpy.validate_policies(policies, schema)
    assert checked.validation_passed, checked.errors
    for action in ACTIONS:
        assert f'Action::"{action}"' in policies, f"no rule mentions {action}"


def test_a_policy_that_does_not_match_the_schema_is_refused() -> None:
    policies, schema = policy_text()
    broken = policies + "\npermit (principal, action, resource) when { principal.grade == 1 };\n"
    assert not cedarpy.validate_policies(broken, schema).validation_passed


def test_the_readme_explains_every_role() -> None:
    readme = (Path(__file__).parents[1] / "src/wholechild/policy/README.md").read_text()
    for label in ROLE_LABELS.values():
        assert label.lower() in readme.lower(), f"README.md does not explain {label}"
