"""The single child view: identity, chronology, involvements and linked source records of one
person, showing only what the access policy allows for the declared purpose.

One audit entry per page view (with counts shown and withheld), flagged when break-glass
opened anything; a refused view is audited and committed before ``AccessDenied`` is raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, select

from wholechild.access import Resource, record_access, require
from wholechild.core.access import Category, Principal, Purpose
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.read._records import (
    Held,
    Split,
    agreements_today,
    as_date,
    event_label,
    person_events,
    person_records,
    split,
)
from wholechild.storage.schema import Person, RecordLink, ReviewDecision

__all__ = [
    "ChildView",
    "ChronologyEntry",
    "IdentityField",
    "Involvement",
    "LinkEvidence",
    "LinkedRecord",
    "SourceValue",
    "Withheld",
    "child_view",
]


@dataclass(frozen=True, slots=True)
class SourceValue:
    """One distinct value of an identity field, and the source systems that hold it."""

    value: str
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IdentityField:
    name: str
    label: str
    values: tuple[SourceValue, ...]
    conflict: bool  # the sources disagree


@dataclass(frozen=True, slots=True)
class ChronologyEntry:
    event_id: int
    start_date: date | None
    end_date: date | None
    agency: str
    category: str
    event_type: str
    label: str
    code: str | None
    source_system: str


@dataclass(frozen=True, slots=True)
class Involvement:
    """A service's involvement with the child (current when it has no end date)."""

    kind: str
    label: str
    start_date: date | None
    end_date: date | None
    current: bool
    agency: str
    event_id: int


@dataclass(frozen=True, slots=True)
class LinkEvidence:
    """Why a record is linked to another of this child's records: the model's evidence."""

    other_record_id: str
    match_weight: float
    match_probability: float
    model_hash: str
    status: str
    contributions: tuple[tuple[str, float], ...]  # (comparison, match weight), largest first
    run_id: int


@dataclass(frozen=True, slots=True)
class ReviewerLink:
    """A reviewer's standing decision joining (or parting) this record and another."""

    other_record_id: str
    decision: str
    reviewer: str
    action: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """One source record of the child, with its provenance and why it is linked."""

    record_id: str
    source_system: str
    agency: str
    category: str
    source_key: str | None
    file_name: str
    row_number: int
    batch_id: int
    ingested_at: datetime
    agreement_ref: str | None
    sealed: bool
    links: tuple[LinkEvidence, ...]
    decisions: tuple[ReviewerLink, ...]


@dataclass(frozen=True, slots=True)
class Withheld:
    """How many records and events of one category the policy kept from this view."""

    category: str
    records: int
    events: int


@dataclass(frozen=True, slots=True)
class ChildView:
    person_id: int
    purpose: str
    identity: tuple[IdentityField, ...]
    chronology: tuple[ChronologyEntry, ...]
    involvements: tuple[Involvement, ...]
    records: tuple[LinkedRecord, ...]
    withheld: tuple[Withheld, ...]
    break_glass: bool  # break-glass opened something on this page (audited, flagged)
    break_glass_possible: bool  # a written justification would show more
    agencies: tuple[str, ...]  # filter options: the agencies and event types present
    event_types: tuple[str, ...]


# -- identity --------------------------------------------------------------------------------

# field name, label, the column compared, the column shown.
IDENTITY_FIELDS: Final = (
    ("forename", "Forename", "forename_norm", "forename"),
    ("surname", "Surname", "surname_norm", "surname"),
    ("date_of_birth", "Date of birth", "date_of_birth", "date_of_birth"),
    ("sex", "Sex", "sex", "sex"),
    ("ethnicity", "Ethnicity", "ethnicity", "ethnicity"),
    ("nhs_number", "NHS number", "nhs_number", "nhs_number"),
    ("upn", "UPN", "upn", "upn"),
    ("postcode", "Postcode", "postcode", "postcode"),
)


def _identity_field(
    records: Sequence[Held], name: str, label: str, key: str, shown: str
) -> IdentityField:
    values: dict[Any, tuple[str, set[str]]] = {}
    for held in records:
        compared = getattr(held.row, key)
        if compared is None or compared == "":
            continue
        display = getattr(held.row, shown) or compared
        _, sources = values.setdefault(compared, (str(display), set()))
        sources.add(held.row.source_system)
    found = tuple(SourceValue(v, tuple(sorted(s))) for v, s in values.values())
    return IdentityField(name, label, found, conflict=len(found) > 1)


def identity(records: Sequence[Held]) -> tuple[IdentityField, ...]:
    """Each identity field's distinct values (compared in normalised form) with sources."""
    return tuple(_identity_field(records, *spec) for spec in IDENTITY_FIELDS)


# -- chronology and involvements -------------------------------------------------------------

INVOLVEMENTS: Final[dict[str, tuple[str, str]]] = {
    "early_help_assessments": ("early_help", "Early help"),
    "early_help_episode": ("early_help", "Early help"),
    "cin_episodes": ("child_in_need", "Child in need"),
    "cin_plans": ("child_in_need_plan", "Child in need plan"),
    "cp_plans": ("child_protection_plan", "Child protection plan"),
    "cla_episodes": ("looked_after", "Looked after"),
    "ehcp_named_plan": ("ehcp", "EHC plan"),
}


@dataclass(frozen=True, slots=True)
class Filters:
    agencies: Collection[str] | None = None
    event_types: Collection[str] | None = None
    date_from: date | None = None
    date_to: date | None = None

    def keep(self, row: Any) -> bool:
        """Events of the chosen agencies and types whose dates overlap the chosen period
        (an undated event cannot be placed in a period, so a date filter leaves it out)."""
        if self.agencies and row.agency not in self.agencies:
            return False
        if self.event_types and row.event_type not in self.event_types:
            return False
        if self.date_from is None and self.date_to is None:
            return True
        start, end = as_date(row.start_date), as_date(row.end_date)
        first, last = start or end, end or start
        if first is None or last is None:
            return False
        return (self.date_from is None or last >= self.date_from) and (
            self.date_to is None or first <= self.date_to
        )


def _newest_first(held: Held) -> tuple[bool, date, int]:
    start = as_date(held.row.start_date)
    return (start is not None, start or date.min, held.row.id)


def chronology(events: Sequence[Held], filters: Filters) -> tuple[ChronologyEntry, ...]:
    """Events across agencies, newest first (undated last), after the user's filters."""
    kept = sorted((h for h in events if filters.keep(h.row)), key=_newest_first, reverse=True)
    return tuple(
        ChronologyEntry(
            h.row.id,
            as_date(h.row.start_date),
            as_date(h.row.end_date),
            h.row.agency,
            h.category.value,
            h.row.event_type,
            event_label(h.row.event_type),
            h.row.code,
            h.row.source_system,
        )
        for h in kept
    )


def involvements(events: Sequence[Held]) -> tuple[Involvement, ...]:
    """Current involvements first, then past ones, each newest first."""
    found = [
        Involvement(
            INVOLVEMENTS[h.row.event_type][0],
            INVOLVEMENTS[h.row.event_type][1],
            as_date(h.row.start_date),
            as_date(h.row.end_date),
            h.row.end_date is None,
            h.row.agency,
            h.row.id,
        )
        for h in events
        if h.row.event_type in INVOLVEMENTS
    ]
    found.sort(key=lambda i: (i.start_date or date.min, i.event_id), reverse=True)
    found.sort(key=lambda i: not i.current)
    return tuple(found)


# -- linked records and why ------------------------------------------------------------------


def _uuids(ids: Collection[str]) -> list[uuid.UUID]:
    return [uuid.UUID(i) for i in ids]


def _link_evidence(conn: Connection, ids: set[str]) -> dict[str, list[LinkEvidence]]:
    """Each record's links to the person's other shown records, the latest run's per pair."""
    keys = _uuids(ids)
    rows = conn.execute(
        select(RecordLink)
        .where(RecordLink.record_l.in_(keys), RecordLink.record_r.in_(keys))
        .order_by(RecordLink.run_id)
    ).all()
    latest = {(record_id_hex(r.record_l), record_id_hex(r.record_r)): r for r in rows}
    evidence: dict[str, list[LinkEvidence]] = {}
    for (left, right), row in latest.items():
        weights = sorted(
            ((k, float(v)) for k, v in (row.contributions or {}).items() if v),
            key=lambda kv: -abs(kv[1]),
        )
        for this, other in ((left, right), (right, left)):
            evidence.setdefault(this, []).append(
                LinkEvidence(
                    other,
                    float(row.match_weight),
                    float(row.match_probability),
                    row.model_hash,
                    row.status,
                    tuple(weights),
                    row.run_id,
                )
            )
    return evidence


def _reviewer_links(conn: Connection, ids: set[str]) -> dict[str, list[ReviewerLink]]:
    keys = _uuids(ids)
    rows = conn.execute(
        select(ReviewDecision).where(
            ReviewDecision.superseded_by.is_(None),
            ReviewDecision.record_l.in_(keys),
            ReviewDecision.record_r.in_(keys),
        )
    ).all()
    found: dict[str, list[ReviewerLink]] = {}
    for row in rows:
        left, right = record_id_hex(row.record_l), record_id_hex(row.record_r)
        for this, other in ((left, right), (right, left)):
            found.setdefault(this, []).append(
                ReviewerLink(other, row.decision, row.reviewer, row.action, row.decided_at)
            )
    return found


def linked_records(conn: Connection, records: Sequence[Held]) -> tuple[LinkedRecord, ...]:
    ids = {record_id_hex(h.row.id) for h in records}
    evidence, decisions = _link_evidence(conn, ids), _reviewer_links(conn, ids)
    out = []
    for held in records:
        row, rid = held.row, record_id_hex(held.row.id)
        out.append(
            LinkedRecord(
                rid, row.source_system, row.agency, held.category.value, row.source_key,
                row.file_name, row.row_number, row.batch_id, row.ingested_at, row.agreement_ref,
                held.sealed, tuple(evidence.get(rid, ())), tuple(decisions.get(rid, ())),
            )
        )  # fmt: skip
    return tuple(out)


# -- the view --------------------------------------------------------------------------------


def _withheld(records: Sequence[Held], events: Sequence[Held]) -> tuple[Withheld, ...]:
    """Counts by category. Sealed items are not counted: their existence alone could reveal
    an adoption."""
    counts: dict[Category, list[int]] = {}
    for index, items in enumerate((records, events)):
        for held in items:
            if not held.sealed:
                counts.setdefault(held.category, [0, 0])[index] += 1
    return tuple(Withheld(c.value, r, e) for c, (r, e) in sorted(counts.items()))


def _require_person(conn: Connection, person_id: int) -> None:
    if conn.scalar(select(Person.id).where(Person.id == person_id)) is None:
        raise UserError(f"there is no person {person_id}", fix="search for the child again")


def child_view(
    engine: Engine,
    principal: Principal,
    *,
    person_id: int,
    purpose: Purpose | None,
    justification: str | None = None,
    agencies: Collection[str] | None = None,
    event_types: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ChildView:
    """The child's page, as far as the policy lets ``principal`` see it for ``purpose``."""
    page = Resource("Person", str(person_id))
    allowed = require(engine, principal, "view_child", page, purpose=purpose, person_id=person_id)
    with engine.begin() as conn:
        _require_person(conn, person_id)
        records = person_records(conn, person_id)
        events = person_events(conn, person_id, records)
        shared = agreements_today(conn)
        rec = split(
            conn, principal, records, purpose=purpose, justification=justification,
            agreements=shared,
        )  # fmt: skip
        evs = split(
            conn, principal, events, purpose=purpose, justification=justification,
            agreements=shared,
        )  # fmt: skip
        filters = Filters(agencies, event_types, date_from, date_to)
        view = _assemble(conn, person_id, purpose, rec, evs, filters)
        decision = replace(allowed, break_glass=view.break_glass)
        details = _counts(view, rec, evs)
        record_access(
            conn, principal, "view_child", page, decision, purpose=purpose,
            justification=justification, person_id=person_id, details=details,
        )  # fmt: skip
    return view


def _assemble(
    conn: Connection,
    person_id: int,
    purpose: Purpose | None,
    rec: Split,
    evs: Split,
    filters: Filters,
) -> ChildView:
    return ChildView(
        person_id=person_id,
        purpose=purpose.value if purpose is not None else "",
        identity=identity(rec.shown),
        chronology=chronology(evs.shown, filters),
        involvements=involvements(evs.shown),
        records=linked_records(conn, rec.shown),
        withheld=_withheld(rec.withheld, evs.withheld),
        break_glass=rec.break_glass or evs.break_glass,
        break_glass_possible=rec.break_glass_possible or evs.break_glass_possible,
        agencies=tuple(sorted({h.row.agency for h in evs.shown})),
        event_types=tuple(sorted({h.row.event_type for h in evs.shown})),
    )


def _counts(view: ChildView, rec: Split, evs: Split) -> dict[str, Any]:
    """What the page showed and withheld: counts only, never a value."""
    return {
        "records_shown": len(rec.shown),
        "records_withheld": len(rec.withheld),
        "events_shown": len(evs.shown),
        "events_withheld": len(evs.withheld),
        "sealed_withheld": sum(h.sealed for h in (*rec.withheld, *evs.withheld)),
        "chronology_listed": len(view.chronology),
    }
