"""Reading data-sharing agreements and sharing decisions: for the access choke point, the
ingestion check, the CLI and the governance pages.

Agreements and decisions describe organisations, not children, so listing them needs no access
decision; a decision's reason (free text that may describe a child) is returned only by
``sharing_decisions``, for callers that have already authorised the viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from wholechild.governance.agreements import (
    Agreement,
    AgreementStatus,
    AgreementWarning,
    status_on,
    warnings_on,
)
from wholechild.storage.schema import DataSharingAgreement, SharingDecision

__all__ = [
    "AgreementListing",
    "SharingDecisionEntry",
    "agreement_from_row",
    "agreement_named",
    "agreements_in_force",
    "all_agreements",
    "list_agreements",
    "sharing_decisions",
]


@dataclass(frozen=True, slots=True)
class AgreementListing:
    """An agreement with its status on a date, for a list or a page."""

    agreement: Agreement
    status: AgreementStatus
    review_overdue: bool
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SharingDecisionEntry:
    id: int
    requested_by: str
    purpose: str
    categories: tuple[str, ...]
    person_id: int | None
    decision: str
    reason: str
    decided_by: str
    decided_at: datetime


def agreement_from_row(row: Any) -> Agreement:
    """An ``Agreement`` from a ``data_sharing_agreement`` row."""
    return Agreement(
        ref=row.ref,
        title=row.title,
        parties=tuple(row.parties),
        source_systems=tuple(row.source_systems),
        partner_category=row.partner_category,
        purposes=tuple(row.purposes),
        categories=tuple(row.categories),
        lawful_basis=row.lawful_basis,
        special_category_condition=row.special_category_condition,
        schedule1_condition=row.schedule1_condition,
        start_date=row.start_date,
        end_date=row.end_date,
        review_date=row.review_date,
    )


def all_agreements(conn: Connection) -> list[Agreement]:
    rows = conn.execute(select(DataSharingAgreement).order_by(DataSharingAgreement.ref))
    return [agreement_from_row(r) for r in rows]


def agreements_in_force(conn: Connection, on: date) -> list[Agreement]:
    """The agreements in force on ``on`` (start <= on <= end), for ``partner_allows`` and the
    ingestion check."""
    query = (
        select(DataSharingAgreement)
        .where(DataSharingAgreement.start_date <= on)
        .where((DataSharingAgreement.end_date.is_(None)) | (DataSharingAgreement.end_date >= on))
        .order_by(DataSharingAgreement.ref)
    )
    return [agreement_from_row(r) for r in conn.execute(query)]


def agreement_named(conn: Connection, ref: str) -> Agreement | None:
    row = conn.execute(
        select(DataSharingAgreement).where(DataSharingAgreement.ref == ref)
    ).one_or_none()
    return agreement_from_row(row) if row is not None else None


def list_agreements(
    engine: Engine, *, on: date, within_days: int = 60
) -> tuple[list[AgreementListing], list[AgreementWarning]]:
    """Every agreement with its status on ``on``, and the warnings to act on."""
    with engine.connect() as conn:
        rows = conn.execute(select(DataSharingAgreement).order_by(DataSharingAgreement.ref)).all()
    listings = [_listing(r, on, within_days) for r in rows]
    warnings = warnings_on([x.agreement for x in listings], on, within_days=within_days)
    return listings, warnings


def _listing(row: Any, on: date, within_days: int) -> AgreementListing:
    agreement = agreement_from_row(row)
    overdue = agreement.review_date is not None and agreement.review_date < on
    status = status_on(agreement, on, within_days=within_days)
    return AgreementListing(agreement, status, overdue, row.created_by, row.created_at)


def sharing_decisions(
    engine: Engine, *, person_id: int | None = None, decision: str | None = None
) -> Sequence[SharingDecisionEntry]:
    """Recorded decisions to share and not to share, newest first; optionally for one person
    or one kind of decision."""
    query = select(SharingDecision).order_by(SharingDecision.id.desc())
    if person_id is not None:
        query = query.where(SharingDecision.person_id == person_id)
    if decision is not None:
        query = query.where(SharingDecision.decision == decision)
    with engine.connect() as conn:
        return [_decision(r) for r in conn.execute(query)]


def _decision(row: Any) -> SharingDecisionEntry:
    return SharingDecisionEntry(
        id=row.id,
        requested_by=row.requested_by,
        purpose=row.purpose,
        categories=tuple(row.categories),
        person_id=row.person_id,
        decision=row.decision,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
