"""The data model: source records, persons and households, events, provenance, findings,
linkage (models, runs, links, the review queue and reviewers' decisions), audit.

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
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
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
        # Search (wholechild.read.search; migration 0009): names, date of birth, identifiers.
        Index("ix_source_record_forename", "forename"),
        Index("ix_source_record_middle_names", "middle_names"),
        Index("ix_source_record_surname", "surname"),
        Index("ix_source_record_preferred_surname", "preferred_surname"),
        Index("ix_source_record_former_surname", "former_surname"),
        Index("ix_source_record_dob", "date_of_birth"),
        Index("ix_source_record_former_upn", "former_upn_raw"),
        Index("ix_source_record_uln", "uln"),
        Index("ix_source_record_la_child_id", "la_child_id"),
        Index("ix_source_record_police_ref", "police_ref"),
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
    # Derived from an age on a date (core/age.py) when the source gives no date of birth.
    dob_earliest: Mapped[date | None] = mapped_column(Date, info=IDENTIFYING)
    dob_latest: Mapped[date | None] = mapped_column(Date, info=IDENTIFYING)
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
    # Sealed records (e.g. a child's life before adoption) are forbidden outside a named role.
    sealed: Mapped[bool] = mapped_column(Boolean, default=False, info=OPERATIONAL)
    # Set when retention replaced the identifying values with pseudonyms (never reversed).
    pseudonymised_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=OPERATIONAL
    )


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
    # The person the entry concerns, for the per-child access report (kept if persons merge).
    person_id: Mapped[int | None] = mapped_column(Integer, index=True, info=OPERATIONAL)
    # Break-glass access and other entries the information-governance officer must look at.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, info=OPERATIONAL)
    # The hash chain: SHA-256 of the previous entry's hash and this entry's content.
    prev_hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True, info=OPERATIONAL)


class AuditCheckpoint(Base):
    """A signed statement of the audit chain's head: entries up to ``last_event_id`` hash to
    ``chain_hash``. Re-hashing the chain after an edit cannot reproduce the signature.
    """

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = _id()
    last_event_id: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    chain_hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    key_id: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    signature: Mapped[str] = mapped_column(Text, info=OPERATIONAL)


class AuditNote(Base):
    """Free text written with an audit entry (a break-glass justification, a reason), kept
    beside the chain so that it can be erased: the entry's details hold only its SHA-256
    (``<kind>_sha256``). Erasing sets ``text`` to NULL and ``erased_at``; the hash stays.
    """

    __tablename__ = "audit_note"
    __table_args__ = (CheckConstraint("text IS NOT NULL OR erased_at IS NOT NULL", name="erased"),)

    audit_event_id: Mapped[int] = mapped_column(
        ForeignKey("audit_event.id"), primary_key=True, info=OPERATIONAL
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True, info=OPERATIONAL)
    # Written by staff: it may name a child or describe their circumstances.
    text: Mapped[str | None] = mapped_column(Text, info=SPECIAL)
    sha256: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class UserAccount(Base):
    """Someone who signs in: a role, an agency and a team drive what they may see."""

    __tablename__ = "user_account"

    id: Mapped[int] = _id()
    username: Mapped[str] = mapped_column(String(128), unique=True, info=OPERATIONAL)
    display_name: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    # argon2id hash; empty for accounts that sign in only through OpenID Connect.
    password_hash: Mapped[str | None] = mapped_column(String(255), info=OPERATIONAL)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True, info=OPERATIONAL)
    role: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    agency: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    team: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    active: Mapped[bool] = mapped_column(Boolean, default=True, info=OPERATIONAL)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, info=OPERATIONAL)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class UserSession(Base):
    """A signed-in browser: the cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = _id()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=OPERATIONAL)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), index=True, info=OPERATIONAL
    )
    csrf_token: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


def _record_fk(**kwargs: Any) -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("source_record.id"), info=OPERATIONAL, **kwargs)


class LinkageModel(Base):
    """A trained linkage model, saved as Splink JSON and known by its SHA-256 (its hash)."""

    __tablename__ = "linkage_model"

    id: Mapped[int] = _id()
    model_hash: Mapped[str] = mapped_column(String(64), unique=True, info=OPERATIONAL)
    # m and u probabilities, comparisons and blocking rules: parameters, never a child's values.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    trained_on_records: Mapped[int | None] = mapped_column(Integer, info=OPERATIONAL)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)


class LinkageRun(Base):
    """One linkage run: which model, which thresholds, who, when, and what it changed (counts)."""

    __tablename__ = "linkage_run"
    __table_args__ = (CheckConstraint("mode IN ('full', 'incremental')", name="mode"),)

    id: Mapped[int] = _id()
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    model_hash: Mapped[str] = mapped_column(
        ForeignKey("linkage_model.model_hash"), index=True, info=OPERATIONAL
    )
    actor: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    purpose: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    mode: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    upper: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    lower: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)


class RecordLink(Base):
    """A scored pair at or above a run's lower threshold, with why (each comparison's weight).

    ``status`` is "linked" (at or above the run's upper threshold) or "review" (between the
    thresholds). The pair is stored with ``record_l < record_r``.
    """

    __tablename__ = "record_link"
    __table_args__ = (
        CheckConstraint("status IN ('linked', 'review')", name="status"),
        CheckConstraint("record_l < record_r", name="pair_order"),
        Index("ix_record_link_pair", "record_l", "record_r"),
    )

    id: Mapped[int] = _id()
    run_id: Mapped[int] = mapped_column(ForeignKey("linkage_run.id"), index=True, info=OPERATIONAL)
    record_l: Mapped[uuid.UUID] = _record_fk()
    record_r: Mapped[uuid.UUID] = _record_fk(index=True)
    match_weight: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    match_probability: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    # {comparison: match weight}, e.g. {"dob": 6.1, "forename": -1.2}: weights, never values.
    contributions: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
    model_hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    status: Mapped[str] = mapped_column(String(8), info=OPERATIONAL)


class ReviewItem(Base):
    """A pair waiting for (or given) a reviewer's decision: one row per pair, latest run wins.

    ``status`` is "open", "decided" or "withdrawn" (a full run no longer scores the pair
    between the thresholds).
    """

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("record_l", "record_r"),
        CheckConstraint("status IN ('open', 'decided', 'withdrawn')", name="status"),
        CheckConstraint("record_l < record_r", name="pair_order"),
    )

    id: Mapped[int] = _id()
    run_id: Mapped[int] = mapped_column(ForeignKey("linkage_run.id"), index=True, info=OPERATIONAL)
    record_l: Mapped[uuid.UUID] = _record_fk()
    record_r: Mapped[uuid.UUID] = _record_fk(index=True)
    match_weight: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    match_probability: Mapped[float] = mapped_column(Float, info=OPERATIONAL)
    status: Mapped[str] = mapped_column(String(16), index=True, info=OPERATIONAL)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class ReviewDecision(Base):
    """A reviewer's decision on a pair: "same" or "not_same" child. It overrides the model on
    every later run until a later decision on the same pair supersedes it.
    """

    __tablename__ = "review_decision"
    __table_args__ = (
        CheckConstraint("decision IN ('same', 'not_same')", name="decision"),
        CheckConstraint("record_l < record_r", name="pair_order"),
        Index("ix_review_decision_pair", "record_l", "record_r"),
    )

    id: Mapped[int] = _id()
    record_l: Mapped[uuid.UUID] = _record_fk()
    record_r: Mapped[uuid.UUID] = _record_fk(index=True)
    decision: Mapped[str] = mapped_column(String(8), info=OPERATIONAL)
    reviewer: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    # Free text from the reviewer: may mention a child's details, so handled as identifying.
    reason: Mapped[str] = mapped_column(Text, info=IDENTIFYING)
    # Which action recorded it: decide_pair, merge_persons or split_record.
    action: Mapped[str] = mapped_column(String(32), info=OPERATIONAL)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    superseded_by: Mapped[int | None] = mapped_column(
        ForeignKey("review_decision.id"), info=OPERATIONAL
    )


# --- EHCP cases ---
# A child's EHCP case and the steps recorded in it. The statutory clocks are computed from the
# steps by wholechild.ehcp.clocks (the spec in ehcp/clock_spec.yaml); changes go through
# wholechild.actions.ehcp_cases, which writes each audit entry in the same transaction.


class EhcpCase(Base):
    """One child's EHCP case: a request for an EHC needs assessment and all that followed
    (the plan, its reviews, amendments and phase transfers).

    ``stage`` is the clock engine's reading of the steps, kept here for caseload counts.
    """

    __tablename__ = "ehcp_case"
    __table_args__ = (
        CheckConstraint("length(opened_by) > 0", name="opened_by"),
        Index("ix_ehcp_case_caseworker_stage", "caseworker", "stage"),
        Index("ix_ehcp_case_team_stage", "team", "stage"),
    )

    id: Mapped[int] = _id()
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True, info=OPERATIONAL)
    # The SEND caseworker (their username) and team the case is allocated to.
    caseworker: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    team: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    request_received_on: Mapped[date] = mapped_column(Date, info=SPECIAL)
    stage: Mapped[str] = mapped_column(String(32), info=SPECIAL)
    # SEN need types in rank order, space separated (SEN2 SENtype codes, e.g. "ASD SLCN").
    sen_needs: Mapped[str | None] = mapped_column(String(64), info=SPECIAL)
    # Where the plan is delivered: the setting's URN (with the child, it says where they are).
    setting_urn: Mapped[str | None] = mapped_column(String(8), info=IDENTIFYING)
    opened_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class EhcpCaseEvent(Base):
    """One step in an EHCP case (a step of ehcp/clock_spec.yaml), with who recorded it and
    when; the database refuses a step without both, and an exception without its evidence.
    Steps are never edited: a correction is a new step.
    """

    __tablename__ = "ehcp_case_event"
    __table_args__ = (
        CheckConstraint("length(recorded_by) > 0", name="recorded_by"),
        CheckConstraint(
            "step <> 'exception_recorded' OR (clock IS NOT NULL AND reason IS NOT NULL "
            "AND evidence IS NOT NULL AND length(evidence) > 0)",
            name="exception_evidence",
        ),
        Index("ix_ehcp_case_event_case_order", "case_id", "occurred_on", "id"),
    )

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("ehcp_case.id"), info=OPERATIONAL)
    step: Mapped[str] = mapped_column(String(32), info=SPECIAL)
    occurred_on: Mapped[date] = mapped_column(Date, info=SPECIAL)
    subject: Mapped[str | None] = mapped_column(String(128), info=SPECIAL)  # the adviser
    outcome: Mapped[str | None] = mapped_column(String(16), info=SPECIAL)  # of a review
    transfer_year: Mapped[int | None] = mapped_column(Integer, info=SPECIAL)
    transfer_kind: Mapped[str | None] = mapped_column(String(8), info=SPECIAL)
    clock: Mapped[str | None] = mapped_column(String(32), info=OPERATIONAL)  # of an exception
    reason: Mapped[str | None] = mapped_column(String(64), info=SPECIAL)
    # Free text on a family's circumstances: special category.
    evidence: Mapped[str | None] = mapped_column(Text, info=SPECIAL)
    recorded_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


# --- Governance ---
# Data-sharing agreements and decisions not to share, legal holds, rectifications and
# retention runs. Changes go through wholechild.actions.governance_* actions, audited.


class DataSharingAgreement(Base):
    """An agreement under which a partner's data arrives and is used: parties, purposes, data
    categories, lawful basis (UK GDPR Art. 6; for special-category data the Art. 9 condition and
    its DPA 2018 Schedule 1 condition), and its start, end and review dates."""

    __tablename__ = "data_sharing_agreement"

    id: Mapped[int] = _id()
    ref: Mapped[str] = mapped_column(String(64), unique=True, info=OPERATIONAL)
    title: Mapped[str] = mapped_column(String(255), info=OPERATIONAL)
    # Organisations party to it, e.g. ["Anytown Council", "Anytown NHS Trust"].
    parties: Mapped[list[str]] = mapped_column(JSON, info=OPERATIONAL)
    # The source systems whose files arrive under it (ingest_batch.source_system).
    source_systems: Mapped[list[str]] = mapped_column(JSON, info=OPERATIONAL)
    # The agency (as a core.access.Category) whose staff it lets see shared data.
    partner_category: Mapped[str] = mapped_column(String(32), info=OPERATIONAL)
    purposes: Mapped[list[str]] = mapped_column(JSON, info=OPERATIONAL)  # core.access.Purpose
    categories: Mapped[list[str]] = mapped_column(JSON, info=OPERATIONAL)  # core.access.Category
    lawful_basis: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)  # Art. 6(1)(e)...
    special_category_condition: Mapped[str | None] = mapped_column(String(64), info=OPERATIONAL)
    schedule1_condition: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)
    start_date: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    end_date: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    review_date: Mapped[date | None] = mapped_column(Date, info=OPERATIONAL)
    created_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class SharingDecision(Base):
    """A recorded decision on a request to share, including decisions *not* to share, with
    reasons (the DfE information-sharing advice expects both to be written down)."""

    __tablename__ = "sharing_decision"
    __table_args__ = (CheckConstraint("decision IN ('share', 'not_share')", name="decision"),)

    id: Mapped[int] = _id()
    requested_by: Mapped[str] = mapped_column(String(255), info=OPERATIONAL)  # organisation
    purpose: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    categories: Mapped[list[str]] = mapped_column(JSON, info=OPERATIONAL)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), info=OPERATIONAL)
    decision: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    # Free text that may describe a child's circumstances.
    reason: Mapped[str] = mapped_column(Text, info=SPECIAL)
    decided_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class LegalHold(Base):
    """Records that retention must not touch (litigation, an inquiry, a complaint), until
    released."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = _id()
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id"), index=True, info=OPERATIONAL
    )
    source_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("source_record.id"), index=True, info=OPERATIONAL
    )
    reason: Mapped[str] = mapped_column(Text, info=SPECIAL)
    placed_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    released_by: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


class Rectification(Base):
    """A correction to a source value (UK GDPR Art. 16): old and new value, why, who asked, and
    when the source agency was told (so its own system is corrected too)."""

    __tablename__ = "rectification"

    id: Mapped[int] = _id()
    source_record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("source_record.id"), index=True, info=OPERATIONAL
    )
    field: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    old_value: Mapped[str | None] = mapped_column(Text, info=IDENTIFYING)
    new_value: Mapped[str | None] = mapped_column(Text, info=IDENTIFYING)
    reason: Mapped[str] = mapped_column(Text, info=SPECIAL)
    requested_by: Mapped[str] = mapped_column(String(255), info=IDENTIFYING)
    recorded_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    source_notified_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=OPERATIONAL
    )
    source_notification_ref: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)


class RetentionRun(Base):
    """One run of the retention rules: report (dry run) or apply, with counts per rule."""

    __tablename__ = "retention_run"
    __table_args__ = (CheckConstraint("mode IN ('report', 'apply')", name="mode"),)

    id: Mapped[int] = _id()
    mode: Mapped[str] = mapped_column(String(8), info=OPERATIONAL)
    as_of: Mapped[date] = mapped_column(Date, info=OPERATIONAL)
    rules_hash: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, info=OPERATIONAL)
    actor: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)


# --- EHCP drafts ---
# A draft plan drafted from advice (wholechild.ehcp.drafting), kept so that the caseworker's
# edits and sign-off are recorded: which words came from which advice, who changed them, who
# signed the AI-drafted text off. Changes go through wholechild.actions.ehcp_drafts, audited.


class EhcpDraft(Base):
    """One draft plan for one EHCP case; signed off once, by a named caseworker."""

    __tablename__ = "ehcp_draft"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed_off')", name="status"),
        CheckConstraint("length(drafted_by) > 0", name="drafted_by"),
        CheckConstraint(
            "status <> 'signed_off' OR (signed_off_by IS NOT NULL AND signed_off_at IS NOT NULL)",
            name="signed_off_by",
        ),
    )

    id: Mapped[int] = _id()
    case_id: Mapped[int] = mapped_column(ForeignKey("ehcp_case.id"), index=True, info=OPERATIONAL)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True, info=OPERATIONAL)
    status: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    drafted_by: Mapped[str] = mapped_column(String(128), info=OPERATIONAL)
    drafted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
    # The language model that reworded sentences, if any ("model version"), else None.
    rephraser: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)
    signed_off_by: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)
    signed_off_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), info=OPERATIONAL
    )


class EhcpAdviceDocument(Base):
    """One piece of advice a draft was made from, with its text by page (as spans index it)."""

    __tablename__ = "ehcp_advice_document"
    __table_args__ = (UniqueConstraint("draft_id", "doc_id"),)

    id: Mapped[int] = _id()
    draft_id: Mapped[int] = mapped_column(ForeignKey("ehcp_draft.id"), index=True, info=OPERATIONAL)
    doc_id: Mapped[str] = mapped_column(String(64), info=OPERATIONAL)  # SHA-256 of the file
    file_name: Mapped[str] = mapped_column(String(255), info=IDENTIFYING)
    kind: Mapped[str] = mapped_column(String(32), info=OPERATIONAL)
    author: Mapped[str | None] = mapped_column(String(255), info=IDENTIFYING)
    pages: Mapped[list[str]] = mapped_column(JSON, info=SPECIAL)


class EhcpDraftSentence(Base):
    """One sentence of a draft: the words drafted from the advice, the words as they stand
    after the caseworker's edits, and the spans (document, page, offsets) it cites."""

    __tablename__ = "ehcp_draft_sentence"
    __table_args__ = (UniqueConstraint("draft_id", "sentence_id"),)

    id: Mapped[int] = _id()
    draft_id: Mapped[int] = mapped_column(ForeignKey("ehcp_draft.id"), index=True, info=OPERATIONAL)
    sentence_id: Mapped[str] = mapped_column(String(16), info=OPERATIONAL)
    position: Mapped[int] = mapped_column(Integer, info=OPERATIONAL)
    section: Mapped[str] = mapped_column(String(4), info=OPERATIONAL)
    area: Mapped[str | None] = mapped_column(String(48), info=SPECIAL)  # area of need
    original_text: Mapped[str] = mapped_column(Text, info=SPECIAL)
    current_text: Mapped[str] = mapped_column(Text, info=SPECIAL)
    # [{"doc_id", "page", "start", "end"}]: offsets only; the words are in the advice.
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, info=OPERATIONAL)
    # What a language model did ({"model", "model_version", "prompt_sha256", "original_text"}).
    generation: Mapped[dict[str, Any] | None] = mapped_column(JSON, info=SPECIAL)
    edited_by: Mapped[str | None] = mapped_column(String(128), info=OPERATIONAL)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), info=OPERATIONAL)
