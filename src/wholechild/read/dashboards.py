"""Dashboards: demand over time and linkage quality, every count through disclosure control.

Authorized at the one choke point (``view_dashboard`` on the ``Dashboard`` resource) and
audited with counts only. Every figure a reader sees has passed ``wholechild.core.disclosure``:
monthly series with their totals through ``suppress_series``, lone figures through
``suppress_figure``.

Demand counts distinct starts: the same child's referral (or plan, or period of care) on the
same date reported by two source systems (the CIN census and Annex A, say) is one start.
A child is the linked person where linkage has run, else the source record.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select

from wholechild.access import Resource, record_access, require
from wholechild.core.access import Principal, Purpose
from wholechild.core.disclosure import SuppressedSeries, suppress_figure, suppress_series
from wholechild.linkage.chart import JSON_FILE
from wholechild.storage.schema import Event, LinkageRun, ReviewItem

__all__ = [
    "MEASURES",
    "DashboardView",
    "Demand",
    "DemandSeries",
    "Evaluation",
    "Figure",
    "LinkageQuality",
    "Measure",
    "dashboards",
    "demand",
]

DASHBOARD: Final = Resource("Dashboard", "dashboards")
MONTHS: Final = 24


@dataclass(frozen=True, slots=True)
class Measure:
    """One demand measure: the event type (SSD table name) whose start dates it counts."""

    key: str
    label: str
    event_type: str


MEASURES: Final = (
    Measure("referrals", "Referrals to children's social care", "cin_episodes"),
    Measure("cin_plans", "Child in need plans starting", "cin_plans"),
    Measure("cp_plans", "Child protection plans starting", "cp_plans"),
    Measure("looked_after", "Periods of being looked after starting", "cla_episodes"),
)


@dataclass(frozen=True, slots=True)
class DemandSeries:
    key: str
    label: str
    months: tuple[str, ...]  # "YYYY-MM", oldest first
    counts: tuple[int | None, ...]  # None: hidden by disclosure control
    total: int | None


@dataclass(frozen=True, slots=True)
class Demand:
    months: tuple[str, ...]
    series: tuple[DemandSeries, ...]
    threshold: int


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: int | None  # None: hidden by disclosure control


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Figures of the last ``wholechild link evaluate`` report (measured on ground truth)."""

    precision: float | None
    recall: float | None
    f1: float | None
    figures: tuple[Figure, ...]
    groups: tuple[tuple[str, int | None, float | None], ...]  # group, children, recall


@dataclass(frozen=True, slots=True)
class LinkageQuality:
    run_id: int | None
    completed_at: datetime | None
    mode: str | None
    upper: float | None
    lower: float | None
    model_hash: str | None
    run_figures: tuple[Figure, ...]
    review: SuppressedSeries  # open, decided, withdrawn review items, with the total
    evaluation: Evaluation | None


@dataclass(frozen=True, slots=True)
class DashboardView:
    demand: Demand
    linkage: LinkageQuality
    threshold: int


# -- demand ----------------------------------------------------------------------------------


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_window(last: date, months: int = MONTHS) -> tuple[str, ...]:
    """The ``months`` calendar months ending with ``last``'s month, oldest first."""
    index = last.year * 12 + last.month - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1))


def _starts(conn: Connection, months: int = MONTHS) -> list[Any]:
    """The measures' events that started in the last ``months`` months of data."""
    types = Event.event_type.in_([m.event_type for m in MEASURES])
    last = conn.scalar(select(func.max(Event.start_date)).where(types))
    if last is None:
        return []
    first = date.fromisoformat(month_window(last, months)[0] + "-01")
    query = select(
        Event.event_type,
        Event.start_date,
        Event.person_id,
        Event.source_record_id,
        Event.source_system,
        Event.subject_key,
    ).where(types, Event.start_date >= first)
    return list(conn.execute(query))


def _child_key(row: Any) -> tuple[str, str]:
    if row.person_id is not None:
        return ("person", str(row.person_id))
    if row.source_record_id is not None:
        return ("record", str(row.source_record_id))
    return (f"subject:{row.source_system}", str(row.subject_key))


def count_starts(rows: Iterable[Any]) -> dict[str, dict[str, int]]:
    """{event_type: {month: distinct (child, start date) pairs}}."""
    seen: dict[str, set[tuple[tuple[str, str], date]]] = defaultdict(set)
    for row in rows:
        seen[row.event_type].add((_child_key(row), row.start_date))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for event_type, starts in seen.items():
        for _child, day in starts:
            counts[event_type][_month(day)] += 1
    return counts


def demand_from_rows(rows: Sequence[Any], *, threshold: int, months: int = MONTHS) -> Demand:
    """Monthly starts per measure over the last ``months`` months of data, suppressed."""
    window = month_window(max(r.start_date for r in rows), months) if rows else ()
    counts = count_starts(rows)
    series = []
    for measure in MEASURES:
        raw = [counts[measure.event_type].get(m, 0) for m in window]
        shown = suppress_series(window, raw, threshold=threshold)
        series.append(DemandSeries(measure.key, measure.label, window, shown.values, shown.total))
    return Demand(window, tuple(series), threshold)


# -- linkage quality -------------------------------------------------------------------------

# The run's own count of pairs sent to review is left out: beside the review queue's counts by
# status (open, decided, withdrawn, total) it would reveal a hidden one by subtraction.
RUN_FIGURES: Final = (
    ("records", "Source records linked"),
    ("clusters", "Persons (clusters)"),
    ("linked", "Pairs linked by the model"),
    ("persons_new", "New persons"),
    ("records_moved", "Records moved between persons"),
)
REVIEW_STATUSES: Final = ("open", "decided", "withdrawn")


def _figure(label: str, value: Any, threshold: int) -> Figure:
    count = int(value) if isinstance(value, int | float) else 0
    return Figure(label, suppress_figure(count, threshold=threshold))


def _latest_run(conn: Connection) -> Any:
    query = (
        select(LinkageRun)
        .where(LinkageRun.completed_at.is_not(None))
        .order_by(LinkageRun.completed_at.desc(), LinkageRun.id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def _review_counts(conn: Connection, threshold: int) -> SuppressedSeries:
    query = select(ReviewItem.status, func.count()).group_by(ReviewItem.status)
    found = {status: int(n) for status, n in conn.execute(query)}
    counts = [found.get(s, 0) for s in REVIEW_STATUSES]
    return suppress_series(REVIEW_STATUSES, counts, threshold=threshold)


def read_evaluation(folder: Path | None, threshold: int) -> Evaluation | None:
    """The evaluation report's figures, suppressed; None when there is no readable report."""
    path = folder / JSON_FILE if folder is not None else None
    if path is None or not path.is_file():
        return None
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        overall, clusters = report["overall"], report["clusters"]
        figures = (
            _figure("Records measured", clusters["records"], threshold),
            _figure("Children (ground truth)", clusters["children"], threshold),
            _figure("Missed links (pairs)", overall["false_negatives"], threshold),
            _figure("False links (pairs)", overall["false_positives"], threshold),
        )
        groups = tuple(_group(row, threshold) for row in report.get("by_group", []))
        return Evaluation(overall["precision"], overall["recall"], overall["f1"], figures, groups)
    except (ValueError, KeyError, TypeError):
        return None


def _group(row: dict[str, Any], threshold: int) -> tuple[str, int | None, float | None]:
    """A group's recall is shown only when its number of children is."""
    children = suppress_figure(int(row["children"]), threshold=threshold)
    recall = row.get("recall") if children is not None else None
    return (str(row["group"]), children, float(recall) if recall is not None else None)


def linkage_quality(
    conn: Connection, *, threshold: int, evaluation_dir: Path | None
) -> LinkageQuality:
    run = _latest_run(conn)
    counts: dict[str, Any] = dict(run.counts) if run is not None else {}
    figures = tuple(_figure(label, counts.get(key, 0), threshold) for key, label in RUN_FIGURES)
    return LinkageQuality(
        run_id=run.id if run is not None else None,
        completed_at=run.completed_at if run is not None else None,
        mode=run.mode if run is not None else None,
        upper=float(run.upper) if run is not None else None,
        lower=float(run.lower) if run is not None else None,
        model_hash=run.model_hash if run is not None else None,
        run_figures=figures if run is not None else (),
        review=_review_counts(conn, threshold),
        evaluation=read_evaluation(evaluation_dir, threshold),
    )


# -- through the choke point -----------------------------------------------------------------


def demand(
    engine: Engine, principal: Principal, *, purpose: Purpose | None, threshold: int
) -> Demand:
    """Demand over time, for a principal the policy lets see dashboards (audited)."""
    allowed = require(engine, principal, "view_dashboard", DASHBOARD, purpose=purpose)
    with engine.begin() as conn:
        shown = demand_from_rows(_starts(conn), threshold=threshold)
        record_access(
            conn, principal, "view_dashboard", DASHBOARD, allowed, purpose=purpose,
            details={"view": "demand", "months": len(shown.months)},
        )  # fmt: skip
    return shown


def dashboards(
    engine: Engine,
    principal: Principal,
    *,
    purpose: Purpose | None,
    threshold: int,
    evaluation_dir: Path | None = None,
) -> DashboardView:
    """Demand and linkage quality, for a principal the policy lets see dashboards (audited)."""
    allowed = require(engine, principal, "view_dashboard", DASHBOARD, purpose=purpose)
    with engine.begin() as conn:
        shown = demand_from_rows(_starts(conn), threshold=threshold)
        linkage = linkage_quality(conn, threshold=threshold, evaluation_dir=evaluation_dir)
        record_access(
            conn, principal, "view_dashboard", DASHBOARD, allowed, purpose=purpose,
            details={"view": "dashboards", "months": len(shown.months)},
        )  # fmt: skip
    return DashboardView(shown, linkage, threshold)
