"""Reading the clerical-review queue (ids, probabilities and evidence; no child's values)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, select

from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import RecordLink, ReviewItem


@dataclass(frozen=True, slots=True)
class OpenItem:
    record_l: str
    record_r: str
    match_probability: float
    contributions: dict[str, float]


def open_items(engine: Engine, *, limit: int) -> list[OpenItem]:
    """Open items, most likely matches first, with the latest run's comparison weights."""
    query = (
        select(
            ReviewItem.record_l,
            ReviewItem.record_r,
            ReviewItem.match_probability,
            RecordLink.contributions,
        )
        .outerjoin(
            RecordLink,
            and_(
                RecordLink.run_id == ReviewItem.run_id,
                RecordLink.record_l == ReviewItem.record_l,
                RecordLink.record_r == ReviewItem.record_r,
            ),
        )
        .where(ReviewItem.status == "open")
        .order_by(ReviewItem.match_probability.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        OpenItem(
            record_id_hex(left),
            record_id_hex(right),
            float(probability),
            {k: float(v) for k, v in (contributions or {}).items() if v is not None},
        )
        for left, right, probability, contributions in rows
    ]
