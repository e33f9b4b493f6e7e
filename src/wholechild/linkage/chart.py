"""The linkage-quality report on disk: Markdown, a recall-by-group SVG chart, and JSON.

The chart is written by hand (no plotting library, no fonts or URLs fetched): a horizontal bar
per ethnic group, its recall written on the bar's end, and the overall recall as a dashed
reference line. It carries ``<title>`` and ``<desc>`` for screen readers, and every colour
passes WCAG AA contrast on white; the Markdown table beside it holds the same numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from wholechild.linkage.evaluate import CHART_FILE, EvaluationReport, GroupRow

__all__ = ["recall_by_group_svg", "write_report"]

MARKDOWN_FILE: Final = "linkage-quality.md"
JSON_FILE: Final = "linkage-quality.json"

WIDTH: Final = 760
LABEL_WIDTH: Final = 250  # room for the group names, right-aligned against the axis
VALUE_WIDTH: Final = 170  # room for "100.0% of 12,345 pairs" after the longest bar
BAR_HEIGHT: Final = 22
ROW_HEIGHT: Final = 32
TOP: Final = 64
BOTTOM: Final = 56
INK: Final = "#1a1a1a"  # text: 17:1 on white
BAR: Final = "#1f4e79"  # bars: 8.6:1 on white
REFERENCE: Final = "#b3261e"  # overall recall line: 6.1:1 on white
GRID: Final = "#767676"  # axis and ticks: 4.5:1 on white
FONT: Final = 'font-family="Arial, Helvetica, sans-serif" font-size="13"'


def _axis_start(report: EvaluationReport) -> float:
    """Where the recall axis starts: a multiple of 10%, below every value, so gaps are visible."""
    values = [r.pairs.recall for r in report.by_group if r.pairs.recall is not None]
    if report.overall.recall is not None:
        values.append(report.overall.recall)
    lowest = min(values, default=0.0)
    return max(0.0, (int(lowest * 10) - 1) / 10)


class _Scale:
    def __init__(self, start: float) -> None:
        self.start = start
        self.span = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x(self, value: float) -> float:
        return LABEL_WIDTH + (value - self.start) / (1 - self.start) * self.span


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}" {FONT}{extra}>'
        f"{escape(content)}</text>"
    )


def _bar(row: GroupRow, index: int, scale: _Scale) -> list[str]:
    top = TOP + index * ROW_HEIGHT
    middle = top + BAR_HEIGHT / 2 + 4
    label = _text(LABEL_WIDTH - 8, middle, row.group, "end")
    recall = row.pairs.recall
    if recall is None:
        return [label, _text(LABEL_WIDTH + 6, middle, "no true pairs (single-record children)")]
    end = scale.x(recall)
    value = f"{recall:.1%} of {row.pairs.true_pairs:,} pairs"
    return [
        label,
        f'<rect x="{LABEL_WIDTH}" y="{top}" width="{max(end - LABEL_WIDTH, 1):.1f}" '
        f'height="{BAR_HEIGHT}" fill="{BAR}"><title>{escape(row.group)}: recall {recall:.1%}'
        f"</title></rect>",
        _text(end + 6, middle, value),
    ]


def _axis(scale: _Scale, bottom: float) -> list[str]:
    parts = [
        f'<line x1="{LABEL_WIDTH}" y1="{TOP - 8}" x2="{LABEL_WIDTH}" y2="{bottom}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    ]
    ticks = [scale.start + step * (1 - scale.start) / 4 for step in range(5)]
    for tick in ticks:
        x = scale.x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" stroke="{GRID}"/>'
        )
        parts.append(_text(x, bottom + 19, f"{tick:.0%}", "middle"))
    parts.append(_text(LABEL_WIDTH, bottom + 40, _axis_caption(scale.start)))
    return parts


def _axis_caption(start: float) -> str:
    caption = "Pairwise recall: share of each group's true pairs that were linked"
    return caption + (f" (axis starts at {start:.0%})" if start > 0 else "")


def _reference(overall: float | None, scale: _Scale, bottom: float) -> list[str]:
    if overall is None:
        return []
    x = scale.x(overall)
    return [
        f'<line x1="{x:.1f}" y1="{TOP - 8}" x2="{x:.1f}" y2="{bottom}" stroke="{REFERENCE}" '
        'stroke-width="2" stroke-dasharray="6 4"/>',
        _text(x, TOP - 14, f"Overall {overall:.1%}", "middle"),
    ]


def _description(report: EvaluationReport, start: float) -> str:
    shown = [r for r in report.by_group if r.pairs.recall is not None]
    parts = [f"{r.group} {r.pairs.recall:.1%}" for r in shown if r.pairs.recall is not None]
    overall = report.overall.recall
    lead = "Overall recall n/a" if overall is None else f"Overall recall {overall:.1%}"
    axis = f" The axis starts at {start:.0%}, not zero." if start > 0 else ""
    return f"{lead}. By ethnic group, worst gap first: {'; '.join(parts) or 'none'}.{axis}"


def recall_by_group_svg(report: EvaluationReport) -> str:
    """An accessible SVG bar chart of pairwise recall by ethnic group, overall recall marked."""
    scale = _Scale(_axis_start(report))
    rows = report.by_group
    bottom = TOP + max(len(rows), 1) * ROW_HEIGHT
    height = bottom + BOTTOM
    body = [part for i, row in enumerate(rows) for part in _bar(row, i, scale)]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title desc">',
            '<title id="title">Linkage recall by ethnic group</title>',
            f'<desc id="desc">{escape(_description(report, scale.start))}</desc>',
            f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
            _text(8, 22, "Linkage recall by ethnic group", extra=' font-weight="bold"'),
            *body,
            *_axis(scale, bottom),
            *_reference(report.overall.recall, scale, bottom),
            "</svg>",
            "",
        ]
    )


def write_report(report: EvaluationReport, out_dir: Path) -> Path:
    """Write the Markdown report, its chart and its JSON into ``out_dir``; the Markdown's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CHART_FILE).write_text(recall_by_group_svg(report), encoding="utf-8")
    (out_dir / JSON_FILE).write_text(report.to_json_text(), encoding="utf-8")
    markdown = out_dir / MARKDOWN_FILE
    markdown.write_text(report.to_markdown(chart=CHART_FILE), encoding="utf-8")
    return markdown
