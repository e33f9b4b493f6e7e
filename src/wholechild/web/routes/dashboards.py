"""Dashboards: demand over time and linkage quality as charts, with the same figures in tables
beneath; small counts hidden (``[c]``) by the shared disclosure control.

The charts are SVG written here (no chart library, no script): each has ``role="img"``, a
``<title>`` and a ``<desc>`` saying what it shows, and every colour passes WCAG AA contrast.
"""

from __future__ import annotations

from typing import Annotated, Final
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel, Field

from wholechild.core.access import Purpose
from wholechild.core.disclosure import SUPPRESSED_MARK, suppression_note
from wholechild.read.dashboards import DemandSeries, dashboards, demand
from wholechild.web.deps import EngineDep, PrincipalDep, SettingsDep, current_session
from wholechild.web.forms import Problems, parse_purpose
from wholechild.web.problems import API_ERRORS
from wholechild.web.templating import render

router = APIRouter()

DEFAULT_PURPOSE: Final = Purpose.STATUTORY_RETURN


def _purpose(value: str) -> Purpose | None:
    problems = Problems()
    chosen = parse_purpose(value, problems)
    problems.check()
    return chosen


@router.get("/dashboards", include_in_schema=False)
def dashboards_page(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    purpose: str = DEFAULT_PURPOSE.value,
) -> HTMLResponse:
    view = dashboards(
        engine,
        principal,
        purpose=_purpose(purpose),
        threshold=settings.disclosure_threshold,
        evaluation_dir=settings.linkage_report_dir,
    )
    charts = [Markup(demand_svg(s, f"demand-{s.key}")) for s in view.demand.series]  # noqa: S704
    evaluation = view.linkage.evaluation
    return render(
        request,
        "dashboards/index.html",
        view=view,
        charts=charts,
        months=[month_label(m) for m in view.demand.months],
        mark=SUPPRESSED_MARK,
        note=suppression_note(view.threshold),
        review_chart=Markup(review_svg(view.linkage.review.values)),  # noqa: S704
        recall_chart=Markup(recall_svg(evaluation.groups)) if evaluation else None,  # noqa: S704
    )


# -- the JSON API ----------------------------------------------------------------------------


class DemandSeriesOut(BaseModel):
    key: str
    label: str
    counts: list[int | None] = Field(description="One per month; null: hidden ([c]).")
    total: int | None = Field(description="The series total; null: hidden.")


class DemandOut(BaseModel):
    """Starts per month over the last 24 months of data, small counts hidden."""

    months: list[str] = Field(description="YYYY-MM, oldest first.")
    threshold: int = Field(description="Counts from 1 to threshold - 1 are hidden.")
    note: str
    series: list[DemandSeriesOut]


@router.get(
    "/api/dashboards/demand",
    response_model=DemandOut,
    tags=["api"],
    responses=API_ERRORS,
    dependencies=[Depends(current_session)],
)
def demand_api(
    engine: EngineDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    purpose: Annotated[Purpose, Query(description="Why you are looking (recorded).")],
) -> DemandOut:
    """Demand over time: referrals, child in need plans, child protection plans and periods of
    being looked after starting, by month; counts below the threshold are null."""
    shown = demand(engine, principal, purpose=purpose, threshold=settings.disclosure_threshold)
    return DemandOut(
        months=list(shown.months),
        threshold=shown.threshold,
        note=suppression_note(shown.threshold),
        series=[
            DemandSeriesOut(key=s.key, label=s.label, counts=list(s.counts), total=s.total)
            for s in shown.series
        ],
    )


# -- charts ----------------------------------------------------------------------------------

MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip
WIDTH: Final = 760
LEFT: Final = 56
TOP: Final = 44
PLOT_HEIGHT: Final = 160
BOTTOM: Final = 48
INK: Final = "#1a1a1a"  # text: 17:1 on white
BAR: Final = "#1f4e79"  # bars: 8.6:1 on white
GRID: Final = "#767676"  # axis: 4.5:1 on white
FONT: Final = 'font-family="Arial, Helvetica, sans-serif" font-size="12"'


def month_label(month: str) -> str:
    """'2025-03' -> 'Mar 2025'."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}" {FONT}{extra}>'
        f"{escape(content)}</text>"
    )


def _ceiling(peak: int) -> int:
    """A round top for the axis: 10, 20, 50, 100, 200, 500, ..."""
    top = 10
    while top < peak:
        top = top * 5 // 2 if str(top)[0] == "2" else top * 2
    return top


def _describe(series: DemandSeries) -> str:
    if not series.months:
        return f"{series.label}: no data yet."
    shown = [(c, m) for c, m in zip(series.counts, series.months, strict=True) if c is not None]
    hidden = len(series.counts) - len(shown)
    total = SUPPRESSED_MARK if series.total is None else f"{series.total:,}"
    span = f"{month_label(series.months[0])} to {month_label(series.months[-1])}"
    parts = [f"{series.label} by month, {span}: total {total}."]
    if shown:
        peak, when = max(shown)
        parts.append(f"Highest shown: {peak:,} in {month_label(when)}.")
    if hidden:
        parts.append(f"{hidden} month{'s' if hidden > 1 else ''} hidden ({SUPPRESSED_MARK}).")
    return " ".join(parts)


def _bars(series: DemandSeries, top: int) -> list[str]:
    slot = (WIDTH - LEFT - 16) / max(len(series.months), 1)
    base = TOP + PLOT_HEIGHT
    parts = []
    for i, (month, count) in enumerate(zip(series.months, series.counts, strict=True)):
        x = LEFT + i * slot
        if count is None:
            parts.append(_text(x + slot / 2, base - 4, SUPPRESSED_MARK, "middle"))
        elif count > 0:
            height = count / top * PLOT_HEIGHT
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{base - height:.1f}" width="{slot - 4:.1f}" '
                f'height="{height:.1f}" fill="{BAR}"><title>{month_label(month)}: {count:,}'
                "</title></rect>"
            )
        if i % 3 == 0:
            parts.append(_text(x + slot / 2, base + 18, month_label(month), "middle"))
    return parts


def _axis(top: int) -> list[str]:
    base = TOP + PLOT_HEIGHT
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{GRID}"/>',
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - 16}" y2="{base}" stroke="{GRID}"/>',
    ]
    for value in (0, top // 2, top):
        y = base - value / top * PLOT_HEIGHT
        parts.append(_text(LEFT - 6, y + 4, f"{value:,}", "end"))
    return parts


def demand_svg(series: DemandSeries, chart_id: str) -> str:
    """An accessible bar chart of one demand series by month; hidden months marked [c]."""
    peak = max((c for c in series.counts if c is not None), default=0)
    top = _ceiling(peak)
    height = TOP + PLOT_HEIGHT + BOTTOM
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {WIDTH} '
            f'{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
            'focusable="false">',
            f'<title id="{chart_id}-title">{escape(series.label)}</title>',
            f'<desc id="{chart_id}-desc">{escape(_describe(series))}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            _text(8, 22, series.label, extra=' font-weight="bold" font-size="14"'),
            *_axis(top),
            *_bars(series, top),
            "</svg>",
        ]
    )


REVIEW_LABELS: Final = ("Open", "Decided", "Withdrawn")
Row = tuple[str, float, str]  # label, bar length (0 to 1), the figure written after the bar


def hbar_svg(chart_id: str, title: str, rows: list[Row], label_width: int = 180) -> str:
    """Horizontal bars, one per row, each with its figure written after it; the description
    lists every row's figure, so the chart says nothing the table beneath does not."""
    height, span = 40 + 30 * len(rows), WIDTH - label_width - 140
    listed = "; ".join(f"{label} {text}" for label, _, text in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(title)}: {escape(listed)}.</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for i, (label, length, text) in enumerate(rows):
        y = 20 + i * 30
        width = max(0.0, min(1.0, length)) * span
        parts.append(_text(label_width - 8, y + 15, label, "end"))
        if width:
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="20" fill="{BAR}"/>'
            )
        parts.append(_text(label_width + width + 6, y + 15, text))
    parts.append("</svg>")
    return "\n".join(parts)


def review_svg(values: tuple[int | None, ...]) -> str:
    """Review items by status; hidden counts marked [c] and drawn without a bar."""
    top = _ceiling(max((v for v in values if v is not None), default=0))
    rows = [
        (label, (v or 0) / top, SUPPRESSED_MARK if v is None else f"{v:,}")
        for label, v in zip(REVIEW_LABELS, values, strict=True)
    ]
    return hbar_svg("review", "Review items by status", rows, label_width=110)


def recall_svg(groups: tuple[tuple[str, int | None, float | None], ...]) -> str:
    """Pairwise recall by ethnic group; a small group's recall is hidden ([c])."""
    rows = [
        (group, recall or 0.0, SUPPRESSED_MARK if recall is None else f"{recall:.1%}")
        for group, _children, recall in groups
    ]
    return hbar_svg("recall", "Linkage recall by ethnic group", rows, label_width=300)
