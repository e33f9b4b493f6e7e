"""The JSON API's request and response bodies (and so its OpenAPI document).

Built from the read layer's dataclasses with ``from_attributes``; match evidence is given as
``{comparison, match_weight}`` objects rather than pairs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes, written in UTC: say so (RFC 3339 needs an offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Contribution(BaseModel):
    comparison: str
    match_weight: float


def _contributions(value: Any) -> Any:
    """(comparison, weight) pairs from the read layer -> Contribution objects."""
    if isinstance(value, list | tuple):
        return [
            {"comparison": item[0], "match_weight": item[1]} if isinstance(item, tuple) else item
            for item in value
        ]
    return value


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    agency: str
    team: str | None
    csrf_token: str = Field(description="Send as the X-CSRF-Token header on every API write.")


class SearchHitOut(_Out):
    person_id: int
    name: str
    date_of_birth: date | None
    sex: str | None
    sources: list[str]
    score: float


class SourceValueOut(_Out):
    value: str
    sources: list[str]


class IdentityFieldOut(_Out):
    name: str
    label: str
    values: list[SourceValueOut]
    conflict: bool = Field(description="The sources disagree.")


class ChronologyEntryOut(_Out):
    event_id: int
    start_date: date | None
    end_date: date | None
    agency: str
    category: str
    event_type: str
    label: str
    code: str | None
    source_system: str


class InvolvementOut(_Out):
    kind: str
    label: str
    start_date: date | None
    end_date: date | None
    current: bool
    agency: str
    event_id: int


class LinkEvidenceOut(_Out):
    other_record_id: str
    match_weight: float
    match_probability: float
    model_hash: str
    status: str
    contributions: list[Contribution]
    run_id: int

    _pairs = field_validator("contributions", mode="before")(_contributions)


class ReviewerLinkOut(_Out):
    other_record_id: str
    decision: str
    reviewer: str
    action: str
    decided_at: UtcDatetime


class LinkedRecordOut(_Out):
    record_id: str
    source_system: str
    agency: str
    category: str
    source_key: str | None
    file_name: str
    row_number: int
    batch_id: int
    ingested_at: UtcDatetime
    agreement_ref: str | None
    sealed: bool
    links: list[LinkEvidenceOut] = Field(description="Why linked: the model's evidence.")
    decisions: list[ReviewerLinkOut]


class WithheldOut(_Out):
    category: str
    records: int
    events: int


class ChildOut(_Out):
    person_id: int
    purpose: str
    identity: list[IdentityFieldOut]
    chronology: list[ChronologyEntryOut]
    involvements: list[InvolvementOut]
    records: list[LinkedRecordOut]
    withheld: list[WithheldOut] = Field(description="Counts the policy kept from this view.")
    break_glass: bool
    break_glass_possible: bool
    agencies: list[str]
    event_types: list[str]


class AccessEntryOut(_Out):
    occurred_at: UtcDatetime
    actor: str
    role: str
    action: str
    purpose: str
    allowed: bool
    flagged: bool
    target_type: str
    target_id: str | None
    justification: str
    audit_id: int


class ReviewSummaryOut(_Out):
    item_id: int
    record_l: str
    record_r: str
    source_l: str
    source_r: str
    match_weight: float
    match_probability: float
    opened_at: UtcDatetime


class ReviewRecordOut(_Out):
    record_id: str
    source_system: str
    category: str
    person_id: int | None
    withheld: bool
    forename: str | None = None
    middle_names: str | None = None
    surname: str | None = None
    former_surname: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    nhs_number: str | None = None
    upn: str | None = None
    uln: str | None = None
    la_child_id: str | None = None
    police_ref: str | None = None
    postcode: str | None = None


class ReviewPairOut(_Out):
    item_id: int
    status: str
    left: ReviewRecordOut
    right: ReviewRecordOut
    match_weight: float
    match_probability: float
    contributions: list[Contribution]
    model_hash: str | None

    _pairs = field_validator("contributions", mode="before")(_contributions)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["same", "not_same"]
    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*\S[^\x00]*$")


class DecisionOut(BaseModel):
    decision_ids: list[int]
    records_moved: int
