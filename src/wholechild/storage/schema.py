"""The data model: source records, persons and households, events, provenance, findings, audit.

Every column declares a sensitivity class in ``info`` (see :class:`Sensitivity`); a test fails
when a new column has none. Where the Data to Insight Standard Safeguarding Dataset (SSD)
covers a concept, event types use SSD table names (see docs/data-model.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class Sensitivity(StrEnum):
    """How a column's values must be handled: drives redaction, export and pseudonymisation."""

    IDENTIFYING = "identifying"  # names, dates of birth, identifiers, addresses, raw rows
    SPECIAL_CATEGORY = "special_category"  # UK GDPR Art. 9 (ethnicity, health) and safeguarding
    OPERATIONAL = "operational"  # keys, counts, timestamps, codes that say nothing of a child


IDENTIFYING = {"sensitivity": Sensitivity.IDENTIFYING}
SPECIAL = {"sensitivity": Sensitivity.SPECIAL_CATEGORY}
OPERATIONAL = {"sensitivity": Sensitivity.OPERATIONAL}

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


def _id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=True, info=OPERATIONAL)


class Provenance:
    """Where a row came from: source system, file, row, batch, when, under which agreement."""

    @declared_attr
    def batch_id(cls) -> Mapped[int]:  # noqa: N805 - SQLAlchemy declared_attr
        return mapped_column(ForeignKey("ingest_batch.id"), index=True, info=OPERATIONAL)

    source_system: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    file_name: Mapped[str] = mapped_column(String(255), info=OPERATIONAL)
    row_number: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    # The data-sharing agreement the row arrived under (enforced by the governance issue).
    agreement_ref: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)


class IngestBatch(Base):
    """One file loaded in one transaction. Present only if the whole file committed."""

    __tablename__ = "ingest_batch"
    __table_args__ = (UniqueConstraint("source_system", "file_sha256"),)

    id: Mapped[int] = _id()
    file_name: Mapped[str] = mapped_column(String(255), info=OPERATIONAL)
    file_sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    format: Mapped[str] = mapped_column(String(32), info=OPERATIONAL)
    source_system: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    agency: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    agreement_ref: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    actor: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    rows_read: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    rows_loaded: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    rows_quarantined: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    records_loaded: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    events_loaded: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    findings_count: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)


class Person(Base):
    """The linked child: one person, many source records (filled by linkage)."""

    __tablename__ = "person"

    id: Mapped[int] = _id()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class Household(Base):
    """A family or household that persons belong to over time."""

    __tablename__ = "household"

    id: Mapped[int] = _id()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class HouseholdMember(Base):
    __tablename__ = "household_member"

    id: Mapped[int] = _id()
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id"), index=True, info=OPERATIONAL
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True, info=OPERATIONAL)
    relationship: Mapped[str] = mapped_column(String(32), info=SPECIAL)  # child, sibling, parent...
    start_date: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    end_date: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)


class SourceRecord(Provenance, Base):
    """A person as one source system sees them: values as received, plus normalised forms."""

    __tablename__ = "source_record"
    __table_args__ = (
        Index("ix_source_record_system_key", "source_system", "source_key"),
        Index("ix_source_record_nhs", "nhs_number"),
        Index("ix_source_record_upn", "upn"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, info=OPERATIONAL)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id"), index=True, info=OPERATIONAL
    )
    source_key: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    raw_row: Mapped[str] = mapped_column(Text, info=IDENTIFYING)
    # As received (parsed from the row, not normalised).
    forename: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    middle_names: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    surname: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    preferred_surname: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    former_surname: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    date_of_birth: Mapped[date | None] = mapped_column(Date, info=IDENTIFYING)
    sex_raw: Mapped[str | None] = mapped_column(String(16), info=IDENTIFYING)
    ethnicity_raw: Mapped[str | None] = mapped_column(String(16), info=SPECIAL)
    nhs_number_raw: Mapped[str | None] = mapped_column(String(32), info=IDENTIFYING)
    upn_raw: Mapped[str | None] = mapped_column(String(32), info=IDENTIFYING)
    former_upn_raw: Mapped[str | None] = mapped_column(String(32), info=IDENTIFYING)
    uln_raw: Mapped[str | None] = mapped_column(String(32), info=IDENTIFYING)
    la_child_id: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    police_ref: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    # Normalised forms (wholechild.core.normalise / identifiers).
    forename_norm: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    surname_norm: Mapped[str | None] = mapped_column(String(128), info=IDENTIFYING)
    sex: Mapped[str | None] = mapped_column(String(1), info=IDENTIFYING)
    ethnicity: Mapped[str | None] = mapped_column(String(4), info=SPECIAL)
    nhs_number: Mapped[str | None] = mapped_column(String(10), info=IDENTIFYING)
    nhs_number_check: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    upn: Mapped[str | None] = mapped_column(String(13), info=IDENTIFYING)
    upn_check: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    upn_unknown: Mapped[str | None] = mapped_column(String(4), info=SPECIAL)  # SSD pers_upn_unknown
    uln: Mapped[str | None] = mapped_column(String(10), info=IDENTIFYING)
    uln_check: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    postcode: Mapped[str | None] = mapped_column(String(8), info=IDENTIFYING)  # latest known


class SourceAddress(Provenance, Base):
    """One address in a source record's history."""

    __tablename__ = "source_address"

    id: Mapped[int] = _id()
    source_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("source_record.id"), index=True, info=OPERATIONAL
    )
    subject_key: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    postcode_raw: Mapped[str | None] = mapped_column(String(32), info=IDENTIFYING)
    postcode: Mapped[str | None] = mapped_column(String(8), info=IDENTIFYING)
    address_line: Mapped[str | None] = mapped_column(Text, info=IDENTIFYING)
    uprn: Mapped[str | None] = mapped_column(String(16), info=IDENTIFYING)
    start_date: Mapped[date | None] = mapped_column(Date, info=IDENTIFYING)
    end_date: Mapped[date | None] = mapped_column(Date, info=IDENTIFYING)


class Event(Provenance, Base):
    """Something that happened to a child, dated, from one agency (see GLOSSARY.md)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_system_subject", "source_system", "subject_key"),)

    id: Mapped[int] = _id()
    source_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("source_record.id"), index=True, info=OPERATIONAL
    )
    subject_key: Mapped[str | None] = mapped_column(String(64), info=IDENTIFYING)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id"), index=True, info=OPERATIONAL
    )
    event_type: Mapped[str] = mapped_column(String(64), index=True, info=OPERATIONAL)
    agency: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    start_date: Mapped[date | None] = mapped_column(Date, info=SPECIAL)
    end_date: Mapped[date | None] = mapped_column(Date, info=SPECIAL)
    code: Mapped[str | None] = mapped_column(String(64), info=SPECIAL)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, info=SPECIAL)


class IngestFinding(Base):
    """A problem found in a file: row, field, rule, message, how to fix it."""

    __tablename__ = "ingest_finding"

    id: Mapped[int] = _id()
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("ingest_batch.id"), index=True, info=OPERATIONAL
    )
    source_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("source_record.id"), index=True, info=OPERATIONAL
    )
    row_number: Mapped[int | None] = mapped_column(Integer, info=OPERATIONAL)
    field: Mapped[str | None] = mapped_column(String(255), info=OPERATIONAL)
    rule: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    severity: Mapped[str] = mapped_column(String(8), info=OPERATIONAL)
    message: Mapped[str] = mapped_column(Text, info=OPERATIONAL)
    fix: Mapped[str] = mapped_column(Text, info=OPERATIONAL)


class QuarantinedRow(Provenance, Base):
    """A row that could not be loaded, kept exactly as received with the reason."""

    __tablename__ = "quarantined_row"

    id: Mapped[int] = _id()
    raw: Mapped[str] = mapped_column(Text, info=IDENTIFYING)
    reason: Mapped[str] = mapped_column(Text, info=OPERATIONAL)


class AuditEvent(Base):
    """One entry in the audit trail: who did what, why, to what; counts, never a child's details.

    Written in the same transaction as the action it records (no audit, no action).
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = _id()
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    actor: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    purpose: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    action: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    target_type: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    target_id: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
