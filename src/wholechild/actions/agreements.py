"""Recording data-sharing agreements and sharing decisions: audited actions.

Each action checks its input in full first (every problem reported together), then changes the
store and writes its audit entry in the same transaction: no audit, no change. Agreements are
about organisations, so their audit entries carry their terms; a sharing decision's entry
carries ids, categories and the decision, never its reason (which may describe a child).

Given a signed-in ``Principal`` as actor, the access policy must allow ``manage_agreements``
(information-governance officers, for records management); a name (the command line, run by
the store's operator) is recorded as given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, insert, select, update

from wholechild.access import Resource, require
from wholechild.actions.audit import record_audit
from wholechild.core.access import Category, Principal, Purpose
from wholechild.errors import UserError
from wholechild.governance.agreements import (
    Agreement,
    AgreementProblem,
    InvalidAgreementError,
    NoAgreementError,
    agreement_from_mapping,
    check_agreement,
    covering,
    needs_agreement,
)
from wholechild.read.agreements import agreement_named, agreements_in_force
from wholechild.storage.schema import DataSharingAgreement, Person, SharingDecision

__all__ = [
    "AgreementExistsError",
    "FileArrival",
    "LoadOutcome",
    "SharingDecisionError",
    "UnknownAgreementError",
    "agreement_for_file",
    "amend_agreement",
    "end_agreement",
    "load_agreements",
    "record_agreement",
    "record_sharing_decision",
]

log = logging.getLogger(__name__)

MIN_REASON: Final = 10
DECISIONS: Final = ("share", "not_share")
Actor = str | Principal


def _authorize(engine: Engine, actor: Actor, purpose: str) -> str:
    """The actor's name; a signed-in principal must be allowed to manage agreements."""
    if isinstance(actor, str):
        return actor
    try:
        why: Purpose | None = Purpose(purpose)
    except ValueError:
        why = None
    require(engine, actor, "manage_agreements", Resource("Agreements"), purpose=why)
    return actor.username


class AgreementExistsError(UserError):
    """An agreement with this reference is already recorded."""


class UnknownAgreementError(UserError):
    """No agreement has this reference."""


class SharingDecisionError(UserError):
    """A sharing decision cannot be recorded as given; every problem is listed."""


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What loading a file of agreements did, by reference."""

    recorded: tuple[str, ...]
    amended: tuple[str, ...]
    unchanged: tuple[str, ...]


def _terms(agreement: Agreement) -> dict[str, Any]:
    """The agreement as column values."""
    values = asdict(agreement)
    for name in ("parties", "source_systems", "purposes", "categories"):
        values[name] = list(values[name])
    return values


def _audit_terms(agreement: Agreement) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in _terms(agreement).items()}


def _valid(agreement: Agreement) -> Agreement:
    """The agreement in canonical form, or ``InvalidAgreementError`` listing every problem."""
    canonical, problems = agreement_from_mapping(_terms(agreement), f"agreement {agreement.ref}")
    if canonical is None:
        raise InvalidAgreementError(problems)
    return canonical


def record_agreement(
    engine: Engine, *, agreement: Agreement, actor: Actor, purpose: str
) -> Agreement:
    """Record a new data-sharing agreement (checked first); returns it in canonical form."""
    agreement = _valid(agreement)
    name = _authorize(engine, actor, purpose)
    with engine.begin() as conn:
        _insert(conn, agreement, name)
        _audit(conn, agreement, name, purpose, "agreement.record", _audit_terms(agreement))
    log.info("recorded data-sharing agreement %s", agreement.ref)
    return agreement


def _insert(conn: Connection, agreement: Agreement, actor: str) -> None:
    if agreement_named(conn, agreement.ref) is not None:
        raise AgreementExistsError(
            f"a data-sharing agreement with reference {agreement.ref} is already recorded",
            fix="amend it (wholechild agreements load FILE.yaml) or choose another reference",
        )
    values = {**_terms(agreement), "created_by": actor, "created_at": datetime.now(UTC)}
    conn.execute(insert(DataSharingAgreement), values)


def _audit(
    conn: Connection,
    agreement: Agreement,
    actor: str,
    purpose: str,
    action: str,
    details: dict[str, Any],
) -> None:
    record_audit(
        conn,
        actor=actor,
        purpose=purpose,
        action=action,
        target_type="data_sharing_agreement",
        target_id=agreement.ref,
        details=details,
    )


def amend_agreement(
    engine: Engine,
    *,
    ref: str,
    changes: Mapping[str, Any],
    actor: Actor,
    purpose: str,
    reason: str,
) -> Agreement:
    """Change some terms of an agreement; the whole amended agreement is checked again. The
    audit entry records each changed term's old and new value, and the reason."""
    name = _authorize(engine, actor, purpose)
    with engine.begin() as conn:
        current = _existing(conn, ref)
        amended = _amended(current, changes)
        _update(conn, current, amended, name, purpose, reason)
    return amended


def _existing(conn: Connection, ref: str) -> Agreement:
    agreement = agreement_named(conn, ref)
    if agreement is None:
        raise UnknownAgreementError(
            f"no data-sharing agreement has reference {ref}",
            fix="check the reference (wholechild agreements list)",
        )
    return agreement


def _amended(current: Agreement, changes: Mapping[str, Any]) -> Agreement:
    if "ref" in changes and changes["ref"] != current.ref:
        raise InvalidAgreementError(
            [
                AgreementProblem(
                    f"agreement {current.ref}",
                    "ref",
                    "an agreement's reference cannot change",
                    "end this agreement and record a new one",
                )
            ]
        )
    merged = {**_terms(current), **dict(changes)}
    canonical, problems = agreement_from_mapping(merged, f"agreement {current.ref}")
    if canonical is None:
        raise InvalidAgreementError(problems)
    return canonical


def _update(
    conn: Connection,
    current: Agreement,
    amended: Agreement,
    actor: str,
    purpose: str,
    reason: str,
) -> bool:
    before, after = _audit_terms(current), _audit_terms(amended)
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if not changed:
        return False
    values = {k: v for k, v in _terms(amended).items() if k in changed}
    conn.execute(
        update(DataSharingAgreement).where(DataSharingAgreement.ref == current.ref).values(values)
    )
    details = {"changed": changed, "reason": reason}
    _audit(conn, amended, actor, purpose, "agreement.amend", details)
    return True


def end_agreement(
    engine: Engine, *, ref: str, end_date: date, actor: Actor, purpose: str, reason: str
) -> Agreement:
    """End an agreement on ``end_date`` (its last day in force); a review due after that day
    is dropped with it."""
    with engine.connect() as conn:
        review = _existing(conn, ref).review_date
    changes: dict[str, Any] = {"end_date": end_date}
    if review is not None and review > end_date:
        changes["review_date"] = None
    return amend_agreement(
        engine,
        ref=ref,
        changes=changes,
        actor=actor,
        purpose=purpose,
        reason=reason,
    )


def load_agreements(
    engine: Engine, *, agreements: Sequence[Agreement], actor: Actor, purpose: str
) -> LoadOutcome:
    """Record new agreements and amend changed ones, all in one transaction: every agreement
    is checked first, and if any has a problem nothing is recorded."""
    problems = [p for a in agreements for p in check_agreement(a)]
    if problems:
        raise InvalidAgreementError(problems)
    canonical = [_valid(a) for a in agreements]
    name = _authorize(engine, actor, purpose)
    recorded, amended, unchanged = [], [], []
    with engine.begin() as conn:
        for agreement in canonical:
            current = agreement_named(conn, agreement.ref)
            if current is None:
                _insert(conn, agreement, name)
                _audit(conn, agreement, name, purpose, "agreement.record", _audit_terms(agreement))
                recorded.append(agreement.ref)
            elif _update(conn, current, agreement, name, purpose, "loaded from a file"):
                amended.append(agreement.ref)
            else:
                unchanged.append(agreement.ref)
    return LoadOutcome(tuple(recorded), tuple(amended), tuple(unchanged))


# -- sharing decisions ----------------------------------------------------------------------


def record_sharing_decision(
    engine: Engine,
    *,
    requested_by: str,
    request_purpose: str,
    categories: Iterable[str],
    decision: str,
    reason: str,
    actor: Actor,
    purpose: str,
    person_id: int | None = None,
) -> int:
    """Record a decision to share, or not to share, with its reason; returns its id.

    ``request_purpose`` is the access purpose the requester gave (stored with the decision);
    ``purpose`` is the actor's own (records management). The audit entry is against the person
    when the request was about one child."""
    wanted = tuple(dict.fromkeys(c.strip() for c in categories if c.strip()))
    problems = _decision_problems(requested_by, request_purpose, wanted, decision, reason)
    if problems:
        raise SharingDecisionError(
            "the sharing decision cannot be recorded: " + "; ".join(m for m, _ in problems),
            fix="; ".join(f for _, f in problems),
        )
    name = _authorize(engine, actor, purpose)
    values = {
        "requested_by": requested_by.strip(),
        "purpose": request_purpose,
        "categories": list(wanted),
        "person_id": person_id,
        "decision": decision,
        "reason": reason.strip(),
        "decided_by": name,
        "decided_at": datetime.now(UTC),
    }
    with engine.begin() as conn:
        _check_person(conn, person_id)
        return _insert_decision(conn, values, purpose)


def _insert_decision(conn: Connection, values: dict[str, Any], purpose: str) -> int:
    new_id = int(
        conn.execute(insert(SharingDecision).returning(SharingDecision.id), values).scalar_one()
    )
    record_audit(
        conn,
        actor=values["decided_by"],
        purpose=purpose,
        action=f"sharing.{values['decision']}",
        target_type="sharing_decision",
        target_id=str(new_id),
        details={
            "requested_by": values["requested_by"],
            "request_purpose": values["purpose"],
            "categories": values["categories"],
        },
        person_id=values["person_id"],
    )
    return new_id


def _decision_problems(
    requested_by: str, purpose: str, categories: tuple[str, ...], decision: str, reason: str
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not requested_by.strip():
        problems.append(("no requesting organisation", "name who asked (--requested-by)"))
    if purpose not in {p.value for p in Purpose}:
        known = ", ".join(p.value for p in Purpose)
        problems.append((f"'{purpose}' is not an access purpose", f"use one of: {known}"))
    bad = [c for c in categories if c not in {x.value for x in Category}]
    if not categories or bad:
        known = ", ".join(c.value for c in Category)
        what = f"unknown categories: {', '.join(bad)}" if bad else "no data categories"
        problems.append((what, f"name the categories asked for, from: {known}"))
    if decision not in DECISIONS:
        problems.append((f"'{decision}' is not a decision", "decide share or not_share"))
    if len(reason.strip()) < MIN_REASON:
        problems.append(
            ("no reason given", f"write why, in at least {MIN_REASON} characters (--reason)")
        )
    return problems


def _check_person(conn: Connection, person_id: int | None) -> None:
    if person_id is None:
        return
    if conn.execute(select(Person.id).where(Person.id == person_id)).first() is None:
        raise SharingDecisionError(
            f"there is no person {person_id}",
            fix="check the person id on the child's page, or leave it out",
        )


# -- the ingestion check ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileArrival:
    """A file about to be loaded: what the ingestion check needs to know of it."""

    file_name: str
    format_name: str
    source_system: str
    on: date
    agreement_ref: str | None = None  # the agreement the loader named, if any


def agreement_for_file(
    engine: Engine, arrival: FileArrival, *, actor: str, purpose: str
) -> str | None:
    """The agreement a file arrives under, or ``NoAgreementError``.

    Files of the council's own systems (``COUNCIL_OWN_FORMATS``) need none and keep the
    reference given. A partner's file needs an agreement in force on the load date covering
    its source system (the one named, if one is); a refusal is audited and committed on its own
    before the error is raised, and nothing else is written."""
    if not needs_agreement(arrival.format_name):
        return arrival.agreement_ref
    with engine.connect() as conn:
        found = covering(agreements_in_force(conn, arrival.on), arrival.source_system, arrival.on)
    if arrival.agreement_ref is not None:
        found = [a for a in found if a.ref == arrival.agreement_ref]
    if found:
        return found[0].ref
    with engine.begin() as conn:
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="ingest.refused",
            target_type="source_system",
            target_id=arrival.source_system,
            details={
                "file": arrival.file_name,
                "format": arrival.format_name,
                "on": arrival.on.isoformat(),
                "agreement_ref": arrival.agreement_ref,
                "reason": "no data-sharing agreement in force",
            },
        )
    raise _no_agreement(arrival)


def _no_agreement(arrival: FileArrival) -> NoAgreementError:
    ref = arrival.agreement_ref
    named = f"agreement {ref} is not" if ref else "no agreement is"
    return NoAgreementError(
        f"{arrival.file_name}: refused: {named} in force on {arrival.on} covering source system "
        f"{arrival.source_system}; nothing was loaded",
        fix=f"record a data-sharing agreement covering {arrival.source_system} (wholechild "
        f"agreements add ... or wholechild agreements load FILE.yaml) or check its dates "
        f"(wholechild agreements list)",
    )
