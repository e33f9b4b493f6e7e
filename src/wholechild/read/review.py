"""Clerical review through the choke point: the queue, a pair side by side, and reviewers'
decisions (decide, split, merge), each authorized for the declared purpose.

Seeing a pair shows two children's identifying details, so it is audited against each
person concerned; a sealed record in a pair is withheld from anyone the policy keeps it from.
Decisions are the existing audited actions (``wholechild.actions.review``), run with the
signed-in reviewer's name once the policy allows ``decide_link``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, select

from wholechild import access
from wholechild.access import Decision, Resource, record_access, require
from wholechild.actions import review as actions
from wholechild.actions.review import ReviewOutcome
from wholechild.core.access import Category, Principal, Purpose, category_of
from wholechild.errors import UserError
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import IngestBatch, RecordLink, ReviewItem, SourceRecord

__all__ = [
    "ReviewPair",
    "ReviewRecord",
    "ReviewSummary",
    "decide",
    "merge",
    "review_pair",
    "review_queue",
    "split",
]

QUEUE = Resource("ReviewQueue")


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    item_id: int
    record_l: str
    record_r: str
    source_l: str
    source_r: str
    match_weight: float
    match_probability: float
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """One side of a pair. ``withheld``: the policy keeps this record's details from the
    reviewer (a sealed record); only its id and source are shown."""

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


@dataclass(frozen=True, slots=True)
class ReviewPair:
    item_id: int
    status: str
    left: ReviewRecord
    right: ReviewRecord
    match_weight: float
    match_probability: float
    contributions: tuple[tuple[str, float], ...]  # (comparison, match weight), largest first
    model_hash: str | None


def review_queue(
    engine: Engine, principal: Principal, *, purpose: Purpose | None, limit: int = 50
) -> list[ReviewSummary]:
    """Open review items, most likely matches first (ids and sources, no child's details)."""
    allowed = require(engine, principal, "review_links", QUEUE, purpose=purpose)
    left, right = SourceRecord.__table__.alias("l"), SourceRecord.__table__.alias("r")
    query = (
        select(ReviewItem, left.c.source_system.label("sl"), right.c.source_system.label("sr"))
        .join(left, left.c.id == ReviewItem.record_l)
        .join(right, right.c.id == ReviewItem.record_r)
        .where(ReviewItem.status == "open")
        .order_by(ReviewItem.match_probability.desc(), ReviewItem.id)
        .limit(limit)
    )
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        record_access(
            conn, principal, "review_links", QUEUE, allowed, purpose=purpose,
            details={"items_listed": len(rows)},
        )  # fmt: skip
    return [_summary(r) for r in rows]


def _summary(r: Any) -> ReviewSummary:
    return ReviewSummary(
        r.id, record_id_hex(r.record_l), record_id_hex(r.record_r), r.sl, r.sr,
        float(r.match_weight), float(r.match_probability), r.opened_at,
    )  # fmt: skip


def _item(conn: Connection, item_id: int) -> Any:
    item = conn.execute(select(ReviewItem).where(ReviewItem.id == item_id)).one_or_none()
    if item is None:
        raise UserError(f"there is no review item {item_id}", fix="pick a pair from the queue")
    return item


def _side(
    conn: Connection, principal: Principal, purpose: Purpose | None, record: Any
) -> ReviewRecord:
    source = conn.execute(
        select(SourceRecord, IngestBatch.agency)
        .join(IngestBatch, IngestBatch.id == SourceRecord.batch_id)
        .where(SourceRecord.id == record)
    ).one()
    category: Category = category_of(source.agency)
    seen = access.decide(
        principal, "review_links", Resource("Record", None, category, bool(source.sealed)),
        purpose=purpose,
    )  # fmt: skip
    base = ReviewRecord(
        record_id_hex(source.id), source.source_system, category.value, source.person_id,
        withheld=not seen.allowed,
    )  # fmt: skip
    if not seen.allowed:
        return base
    return replace(
        base, forename=source.forename, middle_names=source.middle_names,
        surname=source.surname, former_surname=source.former_surname,
        date_of_birth=source.date_of_birth, sex=source.sex, nhs_number=source.nhs_number,
        upn=source.upn, uln=source.uln, la_child_id=source.la_child_id,
        police_ref=source.police_ref, postcode=source.postcode,
    )  # fmt: skip


def _evidence(conn: Connection, item: Any) -> tuple[tuple[tuple[str, float], ...], str | None]:
    link = conn.execute(
        select(RecordLink.contributions, RecordLink.model_hash).where(
            and_(
                RecordLink.run_id == item.run_id,
                RecordLink.record_l == item.record_l,
                RecordLink.record_r == item.record_r,
            )
        )
    ).one_or_none()
    if link is None:
        return (), None
    weights = [(k, float(v)) for k, v in (link.contributions or {}).items() if v]
    return tuple(sorted(weights, key=lambda kv: -abs(kv[1]))), link.model_hash


def review_pair(
    engine: Engine, principal: Principal, *, item_id: int, purpose: Purpose | None
) -> ReviewPair:
    """Both records of a review item side by side, with the model's evidence."""
    target = Resource("ReviewQueue", str(item_id))
    allowed = require(engine, principal, "review_links", target, purpose=purpose)
    with engine.begin() as conn:
        item = _item(conn, item_id)
        left = _side(conn, principal, purpose, item.record_l)
        right = _side(conn, principal, purpose, item.record_r)
        contributions, model_hash = _evidence(conn, item)
        shown = sum(not side.withheld for side in (left, right))
        for person in sorted({s.person_id for s in (left, right) if s.person_id is not None}):
            record_access(
                conn, principal, "review_links", target, allowed, purpose=purpose,
                person_id=person, details={"records_shown": shown, "records_withheld": 2 - shown},
            )  # fmt: skip
    return ReviewPair(
        item_id, item.status, left, right, float(item.match_weight),
        float(item.match_probability), contributions, model_hash,
    )  # fmt: skip


# -- decisions -------------------------------------------------------------------------------


def _may_decide(engine: Engine, principal: Principal, purpose: Purpose | None) -> Decision:
    return require(engine, principal, "decide_link", QUEUE, purpose=purpose)


def _purpose(purpose: Purpose | None) -> str:
    return purpose.value if purpose is not None else ""


def decide(
    engine: Engine,
    principal: Principal,
    *,
    item_id: int,
    decision: str,
    reason: str,
    purpose: Purpose | None,
) -> ReviewOutcome:
    """Decide a review item: "same" or "not_same" child (the audited action)."""
    _may_decide(engine, principal, purpose)
    with engine.connect() as conn:
        item = _item(conn, item_id)
    return actions.decide_pair(
        engine,
        record_l=record_id_hex(item.record_l),
        record_r=record_id_hex(item.record_r),
        decision=decision,
        reviewer=principal.username,
        reason=reason,
        purpose=_purpose(purpose),
    )


def split(
    engine: Engine, principal: Principal, *, record_id: str, reason: str, purpose: Purpose | None
) -> ReviewOutcome:
    """Split a source record off its person (the audited action)."""
    _may_decide(engine, principal, purpose)
    return actions.split_record(
        engine, record_id=record_id, actor=principal.username, reason=reason,
        purpose=_purpose(purpose),
    )  # fmt: skip


def merge(
    engine: Engine,
    principal: Principal,
    *,
    person_ids: Collection[int],
    reason: str,
    purpose: Purpose | None,
) -> ReviewOutcome:
    """Merge persons that are one child (the audited action)."""
    _may_decide(engine, principal, purpose)
    return actions.merge_persons(
        engine, person_ids=person_ids, actor=principal.username, reason=reason,
        purpose=_purpose(purpose),
    )  # fmt: skip
