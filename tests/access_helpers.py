"""Principals for access-policy tests: each role at its usual agency."""

from __future__ import annotations

from typing import Final

from wholechild.core.access import Category, Role

C, R = Category, Role

# Each role's usual agency (its own category of data).
HOME: Final[dict[Role, Category]] = {
    R.SOCIAL_WORKER: C.SOCIAL_CARE,
    R.EARLY_HELP_WORKER: C.EARLY_HELP,
    R.SEND_CASEWORKER: C.SEND,
    R.SCHOOL_SAFEGUARDING_LEAD: C.EDUCATION,
    R.HEALTH_PRACTITIONER: C.HEALTH,
    R.POLICE_OFFICER: C.POLICE,
    R.DATA_ANALYST: C.OTHER,
    R.IG_OFFICER: C.OTHER,
    R.ADMINISTRATOR: C.OTHER,
}

__all__ = ["HOME"]
