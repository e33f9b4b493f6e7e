"""The one choke point for access: every read and write of child data passes here.

``decide`` asks the Cedar policy (``wholechild/policy/wholechild.cedar``) and, when it
refuses, explains why in plain words by asking the same policy what would have been
allowed (another purpose? a justification? no role may?), so the explanation can never
disagree with the rule. ``authorize`` decides and writes the audit entry in the caller's
transaction; ``require`` is for callers that open their own transaction afterwards: a
refusal is recorded and committed on its own before ``AccessDenied`` is raised, so refused
attempts are never lost with the caller's rolled-back work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import Connection, Engine

from wholechild.actions.audit import record_audit
from wholechild.core.access import (
    PURPOSE_LABELS,
    ROLE_LABELS,
    Category,
    Principal,
    Purpose,
    Role,
)
from wholechild.errors import UserError
from wholechild.governance.agreements import Agreement, partner_allows
from wholechild.policy import Request, evaluate

__all__ = [
    "MIN_JUSTIFICATION",
    "PRACTITIONERS",
    "AccessDenied",
    "Decision",
    "Resource",
    "authorize",
    "decide",
    "record_access",
    "require",
]

MIN_JUSTIFICATION: Final = 20

# The roles that work with children directly: only they may break glass.
PRACTITIONERS: Final = frozenset(
    {
        "social_worker",
        "early_help_worker",
        "send_caseworker",
        "school_safeguarding_lead",
        "health_practitioner",
        "police_officer",
    }
)

ACTION_LABELS: Final = {
    "search": "search for a child",
    "view_child": "open a child's page",
    "view_record": "see this record",
    "review_links": "review uncertain links",
    "decide_link": "decide, merge or split links",
    "view_dashboard": "see dashboards",
    "view_access_report": "read a child's access report",
    "verify_audit": "verify the audit trail",
    "manage_users": "manage user accounts",
    "export": "export a child's record",
    "seal_records": "seal or unseal records",
    "view_caseload": "see an EHCP caseload",
    "view_case": "open an EHCP case",
    "draft_plan": "draft or edit an EHC plan",
    "sign_off_plan": "sign off a draft EHC plan",
    "manage_agreements": "manage data-sharing agreements",
    "retention": "run the retention schedule",
    "legal_hold": "place or release legal holds",
    "rectify": "correct a child's records",
}

CATEGORY_LABELS: Final = {
    Category.SOCIAL_CARE: "social care",
    Category.EDUCATION: "education",
    Category.SEND: "SEND",
    Category.HEALTH: "health",
    Category.POLICE: "police",
    Category.EARLY_HELP: "early help",
    Category.HOUSING: "housing",
    Category.OTHER: "other agencies'",
}


class AccessDenied(UserError):  # noqa: N818 - the contract's name, read as a sentence
    """The policy refused: ``reason`` says why in plain words."""

    exit_code = 6

    def __init__(self, reason: str, *, break_glass_possible: bool = False, fix: str = "") -> None:
        super().__init__(f"access refused: {reason}", fix=fix or _default_fix(break_glass_possible))
        self.reason = reason
        self.break_glass_possible = break_glass_possible


def _default_fix(break_glass_possible: bool) -> str:
    if break_glass_possible:
        return (
            f"if you must see it now, give a written justification (at least "
            f"{MIN_JUSTIFICATION} characters): the access is flagged for the "
            f"information-governance officer"
        )
    return "ask your manager or the information-governance officer if you need this access"


@dataclass(frozen=True, slots=True)
class Resource:
    """What is being accessed: a kind (Record, Person, ReviewQueue, ...), and for a record
    its data category and whether it is sealed."""

    kind: str
    id: str | None = None
    category: Category | None = None
    sealed: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's answer. ``break_glass``: allowed only because of a written justification.
    ``break_glass_possible``: refused, but a justification would open it."""

    allowed: bool
    reasons: tuple[str, ...]
    break_glass: bool = False
    break_glass_possible: bool = False


def _justified(justification: str | None) -> bool:
    return justification is not None and len(justification.strip()) >= MIN_JUSTIFICATION


def _request(
    principal: Principal, action: str, resource: Resource, purpose: Purpose | None, glass: bool
) -> Request:
    return Request(
        role=principal.role.value,
        agency=principal.agency.value,
        team=principal.team or "",
        action=action,
        kind=resource.kind,
        # Only a record has a category and sealing: other resources ask the same question.
        category=(resource.category or Category.OTHER).value if resource.kind == "Record" else "",
        sealed=resource.sealed and resource.kind == "Record",
        purpose=purpose.value if purpose is not None else "",
        break_glass=glass and principal.role.value in PRACTITIONERS,
    )


def decide(
    principal: Principal,
    action: str,
    resource: Resource,
    *,
    purpose: Purpose | None,
    justification: str | None = None,
    agreements: Sequence[Agreement] | None = None,
) -> Decision:
    """May ``principal`` do ``action`` to ``resource`` for ``purpose``? Pure; no audit.

    ``agreements``: the data-sharing agreements in force today. For a record, a partner
    agency's staff then see another agency's category only where an agreement with their agency
    covers that category and purpose. A justified break-glass is let through without an
    agreement, deliberately: sharing to safeguard a child at risk needs no data-sharing
    agreement (DPA 2018 Sch 8 para 4; Working Together to Safeguard Children 2023), and the
    access is flagged for the information-governance officer. Sealed records stay closed."""
    plain = _request(principal, action, resource, purpose, glass=False)
    given = justification is not None
    decision = _decide(plain, justified=_justified(justification), given=given)
    if (
        agreements is None
        or not decision.allowed
        or decision.break_glass
        or resource.kind != "Record"
    ):
        return decision
    return _within_agreements(principal, resource, purpose, decision, agreements, justification)


def _within_agreements(
    principal: Principal,
    resource: Resource,
    purpose: Purpose | None,
    decision: Decision,
    agreements: Sequence[Agreement],
    justification: str | None,
) -> Decision:
    """``decision`` (allowed by the policy) within the agreements; where none covers the
    record, a practitioner's justified break-glass still opens it (flagged), as it opens what
    the policy withholds: the same rule whichever of the two withholds the record."""
    category = resource.category or Category.OTHER
    if partner_allows(
        agreements,
        partner_category=principal.agency.value,
        purpose=purpose.value if purpose is not None else "",
        category=category.value,
    ):
        return decision
    staff, data = CATEGORY_LABELS[principal.agency], CATEGORY_LABELS[category]
    why = (
        f"no data-sharing agreement in force lets {staff} staff see {data} records for this purpose"
    )
    glass_opens = principal.role.value in PRACTITIONERS and not resource.sealed
    if glass_opens and _justified(justification):
        reasons = (*decision.reasons, f"break-glass: {why}; a written justification was given")
        return Decision(True, reasons, break_glass=True)
    if glass_opens:
        why += (
            f"; a break-glass justification must be at least {MIN_JUSTIFICATION} characters"
            if justification is not None
            else " without a written break-glass justification"
        )
    return Decision(False, (why,), break_glass_possible=glass_opens)


@lru_cache(maxsize=65_536)
def _decide(plain: Request, *, justified: bool, given: bool) -> Decision:
    allowed, reasons = evaluate(plain)
    if allowed:
        return Decision(True, reasons)
    glass = replace(plain, break_glass=plain.role in PRACTITIONERS)
    glass_opens = glass.break_glass and evaluate(glass)[0]
    if glass_opens and justified:
        reasons = (*evaluate(glass)[1], "break-glass: a written justification was given")
        return Decision(True, reasons, break_glass=True)
    why = _explain(plain, glass_opens, given)
    return Decision(False, (why,), break_glass_possible=glass_opens)


def decide_each(
    principal: Principal,
    action: str,
    resources: Iterable[Resource],
    *,
    purpose: Purpose | None,
    justification: str | None = None,
) -> list[Decision]:
    """``decide`` for many resources (cached: only category and sealing vary)."""
    return [
        decide(principal, action, r, purpose=purpose, justification=justification)
        for r in resources
    ]


# -- why refused, in plain words, from the policy itself ---------------------------------


def _in_sentence(label: str) -> str:
    """'Police officer' -> 'police officer'; 'SEND caseworker' and 'EHC ...' keep capitals."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _a(label: str) -> str:
    return f"{'an' if label[:1].lower() in 'aeiou' else 'a'} {label}"


def _role(request: Request) -> str:
    return _a(_in_sentence(ROLE_LABELS[Role(request.role)]))


def _purpose_label(value: str) -> str:
    return _in_sentence(PURPOSE_LABELS[Purpose(value)])


@lru_cache(maxsize=4096)
def _allowed_purposes(base: Request) -> tuple[str, ...]:
    """The purposes for which this role may do this at all (any category, unsealed, with
    break-glass where the role may break glass)."""
    categories = [c.value for c in Category] if base.kind == "Record" else [""]
    glass = (False, True) if base.role in PRACTITIONERS else (False,)
    return tuple(
        purpose.value
        for purpose in Purpose
        if any(
            evaluate(replace(base, purpose=purpose.value, category=c, break_glass=g))[0]
            for c in categories
            for g in glass
        )
    )


def _explain(request: Request, glass_opens: bool, justification_given: bool) -> str:
    role, doing = _role(request), ACTION_LABELS.get(request.action, request.action)
    base = replace(request, purpose="", category="", sealed=False, break_glass=False)
    purposes = _allowed_purposes(base)
    if not purposes:
        return f"{role} may not {doing}"
    named = ", ".join(_purpose_label(p) for p in purposes)
    if not request.purpose:
        return f"a purpose is required to {doing}; {role} may do this for: {named}"
    if request.purpose not in purposes:
        return f"{role} may {doing} only for: {named} (not for {_purpose_label(request.purpose)})"
    if request.sealed:
        return (
            "this record is sealed: only social workers in the adoption team may see it, "
            "and break-glass does not open sealed records"
        )
    category = CATEGORY_LABELS.get(Category(request.category), request.category)
    why = f"for {_a(_purpose_label(request.purpose))}, {role} does not see {category} records"
    if glass_opens and justification_given:
        return f"{why}; a break-glass justification must be at least {MIN_JUSTIFICATION} characters"
    return f"{why} without a written break-glass justification" if glass_opens else why


# -- audit -----------------------------------------------------------------------------------


def record_access(
    conn: Connection,
    principal: Principal,
    action: str,
    resource: Resource,
    decision: Decision,
    *,
    purpose: Purpose | None,
    justification: str | None = None,
    person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """One audit entry for one access decision (allowed or refused), in ``conn``'s
    transaction. Break-glass entries are flagged for the information-governance officer; the
    justification is kept as an audit note (``wholechild.audit.notes``), its hash in the entry."""
    facts: dict[str, Any] = {
        "allowed": decision.allowed,
        "role": principal.role.value,
        "agency": principal.agency.value,
        "break_glass": decision.break_glass,
        **(details or {}),
    }
    if not decision.allowed:
        facts["refused"] = decision.reasons[0] if decision.reasons else ""
    # The justification is free text that may name the child: a note beside the chain.
    written = justification.strip() if decision.break_glass and justification else ""
    record_audit(
        conn,
        actor=principal.username,
        purpose=purpose.value if purpose is not None else "",
        action=f"access.{action}",
        target_type=resource.kind,
        target_id=resource.id,
        details=facts,
        person_id=person_id,
        flagged=decision.break_glass,
        notes={"justification": written} if written else None,
    )


def denied(decision: Decision) -> AccessDenied:
    """The error for a refused decision."""
    reason = decision.reasons[0] if decision.reasons else "not permitted by the access policy"
    return AccessDenied(reason, break_glass_possible=decision.break_glass_possible)


def authorize(
    conn: Connection,
    principal: Principal,
    action: str,
    resource: Resource,
    *,
    purpose: Purpose | None,
    justification: str | None = None,
    person_id: int | None = None,
) -> Decision:
    """Decide and audit in ``conn``'s transaction; raise ``AccessDenied`` when refused.

    The refusal's audit entry shares the caller's transaction: callers that roll back on the
    exception should use ``require`` instead, which commits refusals on their own."""
    decision = decide(principal, action, resource, purpose=purpose, justification=justification)
    record_access(
        conn,
        principal,
        action,
        resource,
        decision,
        purpose=purpose,
        justification=justification,
        person_id=person_id,
    )
    if not decision.allowed:
        raise denied(decision)
    return decision


def require(
    engine: Engine,
    principal: Principal,
    action: str,
    resource: Resource,
    *,
    purpose: Purpose | None,
    justification: str | None = None,
    person_id: int | None = None,
) -> Decision:
    """Decide before any child data is read. A refusal is audited in its own committed
    transaction and raised as ``AccessDenied``; an allowed decision is returned unaudited, for
    the caller to audit with what it then showed (one entry per page view, with counts)."""
    decision = decide(principal, action, resource, purpose=purpose, justification=justification)
    if not decision.allowed:
        with engine.begin() as conn:
            record_access(
                conn, principal, action, resource, decision, purpose=purpose, person_id=person_id
            )
        raise denied(decision)
    return decision
