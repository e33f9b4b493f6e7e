"""The JSON API's request and response bodies (and so its OpenAPI document).

The read layer's dataclasses are the API's types wherever they can be sent as they are (a
chronology entry, an involvement, one side of a review pair...); a model here is built from one
with ``from_attributes`` only where the API says something differently: times with their UTC
offset, and match evidence as ``{comparison, match_weight}`` objects rather than pairs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from wholechild.read.child import ChronologyEntry, IdentityField, Involvement, Withheld
from wholechild.read.review import ReviewRecord


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


class ChildOut(_Out):
    person_id: int
    purpose: str
    identity: list[IdentityField] = Field(
        description="Each identity field's distinct values, with the sources holding each "
        "(conflict: the sources disagree)."
    )
    chronology: list[ChronologyEntry]
    involvements: list[Involvement]
    records: list[LinkedRecordOut]
    withheld: list[Withheld] = Field(description="Counts the policy kept from this view.")
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


class ReviewPairOut(_Out):
    item_id: int
    status: str
    left: ReviewRecord
    right: ReviewRecord
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
