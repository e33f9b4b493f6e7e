"""Loading a person's source records and events with their data category and sealing, and
splitting them into what the policy lets a principal see and what it withholds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Row, select

from wholechild.access import Decision, Resource, decide
from wholechild.core.access import Category, Principal, Purpose, category_of
from wholechild.governance.agreements import Agreement
from wholechild.linkage.truth import record_id_hex
from wholechild.read.agreements import agreements_in_force
from wholechild.storage.schema import Event, IngestBatch, SourceRecord

# The plain-English name of each event type the loaders write (SSD table names where SSD has one).
EVENT_LABELS: Final[dict[str, str]] = {
    "contacts": "Contact with children's social care",
    "cin_episodes": "Referral to children's social care (child in need episode)",
    "cin_assessments": "Child and family assessment",
    "cin_plans": "Child in need plan",
    "s47_enquiry": "Section 47 enquiry",
    "cp_plans": "Child protection plan",
    "cla_episodes": "Looked-after episode",
    "cla_reviews": "Looked-after review",
    "cla_outcomes": "Looked-after outcomes (OC2)",
    "missing": "Missing or away from placement",
    "uasc": "Unaccompanied asylum-seeking child",
    "care_leavers": "Care leaver",
    "adoption": "Adoption",
    "placed_for_adoption": "Placed for adoption",
    "previous_permanence": "Previous permanence",
    "sw_episodes": "Social worker allocation",
    "disability": "Disability recorded",
    "death": "Death recorded",
    "early_help_assessments": "Early help assessment",
    "early_help_episode": "Early help episode",
    "ehcp_requests": "Request for an EHC needs assessment",
    "ehcp_assessment": "EHC needs assessment decision",
    "ehcp_named_plan": "EHC plan (named placement)",
    "ehcp_active_plans": "Active EHC plan",
    "sen_need": "Special educational need recorded",
    "school_enrolment": "School enrolment",
    "attendance": "School attendance",
    "exclusion": "Exclusion from school",
    "address": "Address recorded",
    "health_contact": "Health contact",
    "police_notification": "Police notification",
}


def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type, event_type.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class Held:
    """A source record or event, with the facts the policy looks at."""

    row: Row[Any]
    category: Category
    sealed: bool


def _record_columns() -> list[Any]:
    return [
        *SourceRecord.__table__.columns,
        IngestBatch.agency.label("agency"),
    ]


def person_records(conn: Connection, person_id: int) -> list[Held]:
    """Every source record of the person, sealed or not, oldest load first."""
    query = (
        select(*_record_columns())
        .join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
        .where(SourceRecord.person_id == person_id)
        .order_by(SourceRecord.ingested_at, SourceRecord.row_number)
    )
    return [
        Held(row, category_of(row.agency), bool(row.sealed)) for row in conn.execute(query).all()
    ]


def person_events(conn: Connection, person_id: int, records: Sequence[Held]) -> list[Held]:
    """Every event of the person. An event is sealed with its source record, or, when it came
    without one (SSDA903 episodes), with the sealed record of its source system and key."""
    sealed_ids = {record_id_hex(r.row.id) for r in records if r.sealed}
    sealed_keys = {(r.row.source_system, r.row.source_key) for r in records if r.sealed}
    rows = conn.execute(select(Event).where(Event.person_id == person_id)).all()
    held = []
    for row in rows:
        if row.source_record_id is not None:
            sealed = record_id_hex(row.source_record_id) in sealed_ids
        else:
            sealed = (row.source_system, row.subject_key) in sealed_keys
        held.append(Held(row, category_of(row.agency), sealed))
    return held


@dataclass(frozen=True, slots=True)
class Split:
    """What the policy shows and withholds, and whether break-glass was needed or would help."""

    shown: list[Held]
    withheld: list[Held]
    break_glass: bool
    break_glass_possible: bool

    def withheld_by_category(self, *, include_sealed: bool) -> Counter[Category]:
        return Counter(h.category for h in self.withheld if include_sealed or not h.sealed)


def split(
    conn: Connection,
    principal: Principal,
    items: Sequence[Held],
    *,
    purpose: Purpose | None,
    justification: str | None = None,
    agreements: Sequence[Agreement] | None = None,
) -> Split:
    """Apply ``view_record`` to each item, within the data-sharing agreements in force today
    (decisions are cached by category and sealing). A caller splitting several lists in one
    transaction passes ``agreements`` (from ``agreements_today``) so they are read once."""
    if agreements is None:
        agreements = agreements_today(conn)
    shown: list[Held] = []
    withheld: list[Held] = []
    glass = possible = False
    for item in items:
        decision: Decision = decide(
            principal,
            "view_record",
            Resource("Record", None, item.category, item.sealed),
            purpose=purpose,
            justification=justification,
            agreements=agreements,
        )
        (shown if decision.allowed else withheld).append(item)
        glass |= decision.break_glass
        possible |= decision.break_glass_possible
    return Split(shown, withheld, glass, possible)


def agreements_today(conn: Connection) -> list[Agreement]:
    """The data-sharing agreements in force today, for ``split``."""
    return agreements_in_force(conn, datetime.now(UTC).date())


def as_date(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value
