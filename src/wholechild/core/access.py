"""The vocabulary of access control: roles, purposes of access, actions, data categories.

Pure domain: the policy itself lives in Cedar files (``wholechild/policy/*.cedar``) that an
information-governance officer can read; the one choke point that applies it is
``wholechild.access``. These names are the ones the glossary, the policy files, the audit trail
and the UI use.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    EARLY_HELP_WORKER = "early_help_worker"
    SEND_CASEWORKER = "send_caseworker"
    SCHOOL_SAFEGUARDING_LEAD = "school_safeguarding_lead"
    HEALTH_PRACTITIONER = "health_practitioner"
    POLICE_OFFICER = "police_officer"
    DATA_ANALYST = "data_analyst"
    IG_OFFICER = "ig_officer"
    ADMINISTRATOR = "administrator"


ROLE_LABELS: Final[dict[Role, str]] = {
    Role.SOCIAL_WORKER: "Social worker",
    Role.EARLY_HELP_WORKER: "Early help worker",
    Role.SEND_CASEWORKER: "SEND caseworker",
    Role.SCHOOL_SAFEGUARDING_LEAD: "School safeguarding lead",
    Role.HEALTH_PRACTITIONER: "Health practitioner",
    Role.POLICE_OFFICER: "Police officer",
    Role.DATA_ANALYST: "Data analyst",
    Role.IG_OFFICER: "Information-governance officer",
    Role.ADMINISTRATOR: "Administrator",
}


class Purpose(StrEnum):
    """Why someone is looking: declared before any sensitive view, recorded with it."""

    SAFEGUARDING_ENQUIRY = "safeguarding_enquiry"
    CHILD_IN_NEED_ASSESSMENT = "child_in_need_assessment"
    EARLY_HELP_ASSESSMENT = "early_help_assessment"
    EHC_NEEDS_ASSESSMENT = "ehc_needs_assessment"
    STATUTORY_RETURN = "statutory_return"
    LINKAGE_REVIEW = "linkage_review"
    SUBJECT_ACCESS_REQUEST = "subject_access_request"
    AUDIT_OVERSIGHT = "audit_oversight"
    ADMINISTRATION = "administration"
    # Agreements, retention, legal holds and corrections (information governance).
    RECORDS_MANAGEMENT = "records_management"


PURPOSE_LABELS: Final[dict[Purpose, str]] = {
    Purpose.SAFEGUARDING_ENQUIRY: "Safeguarding enquiry",
    Purpose.CHILD_IN_NEED_ASSESSMENT: "Child in need assessment",
    Purpose.EARLY_HELP_ASSESSMENT: "Early help assessment",
    Purpose.EHC_NEEDS_ASSESSMENT: "EHC needs assessment",
    Purpose.STATUTORY_RETURN: "Statutory return",
    Purpose.LINKAGE_REVIEW: "Linkage quality review",
    Purpose.SUBJECT_ACCESS_REQUEST: "Subject access request",
    Purpose.AUDIT_OVERSIGHT: "Audit oversight",
    Purpose.ADMINISTRATION: "Administration",
    Purpose.RECORDS_MANAGEMENT: "Records management",
}


class Category(StrEnum):
    """The kind of data a source record or event is, by the agency that holds it."""

    SOCIAL_CARE = "social_care"
    EDUCATION = "education"
    SEND = "send"
    HEALTH = "health"
    POLICE = "police"
    EARLY_HELP = "early_help"
    HOUSING = "housing"
    OTHER = "other"


# The agency names the loaders write (formats.*.AGENCY, mapping files) → a data category.
_AGENCY_CATEGORY: Final[dict[str, Category]] = {
    "children's social care": Category.SOCIAL_CARE,
    "social_care": Category.SOCIAL_CARE,
    "education": Category.EDUCATION,
    "school": Category.EDUCATION,
    "send": Category.SEND,
    "health": Category.HEALTH,
    "police": Category.POLICE,
    "early_help": Category.EARLY_HELP,
    "housing": Category.HOUSING,
}


def category_of(agency: str) -> Category:
    """The data category of an agency's records; unknown agencies are ``other``."""
    return _AGENCY_CATEGORY.get(agency.strip().lower(), Category.OTHER)


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone acting: their account, role, agency (as a category) and team."""

    username: str
    role: Role
    agency: Category
    team: str | None = None
