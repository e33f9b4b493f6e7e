"""Evaluating the Cedar policy: parsed and checked against its schema once, then asked.

A request depends only on the principal's role, agency and team, the action, the kind of
resource, a record's category and sealing, the purpose and break-glass; so answers are
cached by exactly those, and a page of a hundred records costs a handful of evaluations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Final

import cedarpy

from wholechild.errors import ConfigurationError

ACTIONS: Final = (
    "search",
    "view_child",
    "view_record",
    "review_links",
    "decide_link",
    "view_dashboard",
    "view_access_report",
    "verify_audit",
    "manage_users",
    "export",
    "seal_records",
    # EHCP caseload and drafting (W1)
    "view_caseload",
    "view_case",
    "draft_plan",
    "sign_off_plan",
    # Information governance: agreements, retention, legal holds, corrections (W2)
    "manage_agreements",
    "retention",
    "legal_hold",
    "rectify",
)
RESOURCE_KINDS: Final = (
    "Record",
    "Person",
    "ReviewQueue",
    "Dashboard",
    "AuditTrail",
    "Accounts",
    "Caseload",
    "EhcpCase",
    "Agreements",
    "Retention",
)


@dataclass(frozen=True, slots=True)
class Request:
    """One question for the policy, reduced to what the policy can look at."""

    role: str
    agency: str
    team: str
    action: str
    kind: str
    category: str = ""
    sealed: bool = False
    purpose: str = ""
    break_glass: bool = False


def policy_text() -> tuple[str, str]:
    """The policy and its schema, as shipped in this package."""
    folder = resources.files("wholechild.policy")
    return (
        folder.joinpath("wholechild.cedar").read_text(encoding="utf-8"),
        folder.joinpath("wholechild.cedarschema").read_text(encoding="utf-8"),
    )


@lru_cache(maxsize=1)
def _loaded() -> tuple[cedarpy.PolicySet, cedarpy.Schema]:
    policies, schema = policy_text()
    checked = cedarpy.validate_policies(policies, schema)
    if not checked.validation_passed:
        problems = "; ".join(str(error) for error in checked.errors)
        raise ConfigurationError(
            f"the access policy does not match its schema: {problems}",
            fix="correct wholechild/policy/wholechild.cedar (see its README)",
        )
    return cedarpy.PolicySet.from_str(policies), cedarpy.Schema.from_str(schema)


def _entities(request: Request) -> list[dict[str, Any]]:
    user = {
        "uid": {"type": "User", "id": "principal"},
        "attrs": {"role": request.role, "agency": request.agency, "team": request.team},
        "parents": [],
    }
    attrs = {"category": request.category, "sealed": request.sealed}
    target = {
        "uid": {"type": request.kind, "id": "resource"},
        "attrs": attrs if request.kind == "Record" else {},
        "parents": [],
    }
    return [user, target]


@lru_cache(maxsize=8192)
def evaluate(request: Request) -> tuple[bool, tuple[str, ...]]:
    """Allowed?, and the rules (their ``@id`` in plain words) that decided it."""
    if request.action not in ACTIONS or request.kind not in RESOURCE_KINDS:
        return False, (f"unknown action {request.action!r} on {request.kind!r}",)
    policies, schema = _loaded()
    context = {"purpose": request.purpose, "break_glass": request.break_glass}
    question = {
        "principal": {"type": "User", "id": "principal"},
        "action": {"type": "Action", "id": request.action},
        "resource": {"type": request.kind, "id": "resource"},
        "context": context,
    }
    answer = cedarpy.is_authorized(question, policies, json.dumps(_entities(request)), schema)
    if answer.diagnostics.errors:
        return False, tuple(f"policy error: {error}" for error in answer.diagnostics.errors)
    named = answer.diagnostics.id_annotations_by_reason
    return answer.allowed, tuple(named.get(p, p) for p in answer.diagnostics.reasons)
