"""Disclosure control: the one function every aggregate passes before anyone sees it.

A small count can identify a child ("the 3 children placed out of area in March"), so every
table, chart and export wholechild shows suppresses small counts (see docs/adr/0009):

* **Primary suppression.** A count from 1 to ``threshold - 1`` is hidden; so is a total in
  that range. A zero is shown: it says no child had the attribute, it points at nobody, and
  hiding it would tell readers little while making every table harder to read.
* **Secondary suppression.** A hidden count must not be recoverable by subtraction from what
  is shown. Think of the table with its totals as a grid whose every row and column adds up
  (a total is a cell of the totals row or column). Hidden cells form a graph joining their
  row and their column; a hidden cell can be worked out from the equations exactly when its
  edge is a *bridge* (lies on no cycle). So, to a fixed point: every line holding one hidden
  cell hides its smallest other cell; then any hidden cell that is a bridge gets the smallest
  cell that closes a cycle through it. Non-zero inner cells are preferred to zeros, and both
  to totals. Each hidden value can then move by one along its cycle (every value on it is at
  least 1), so no hidden cell has a single feasible value.

A series (counts by month with a total) is a one-row table whose column totals are its cells;
a lone figure is a one-cell table. Pure: no I/O, no framework.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "SUPPRESSED_MARK",
    "CountTable",
    "SuppressedSeries",
    "SuppressedTable",
    "suppress",
    "suppress_figure",
    "suppress_series",
    "suppression_note",
]

SUPPRESSED_MARK: Final = "[c]"


def suppression_note(threshold: int) -> str:
    """The explanation shown wherever ``[c]`` appears."""
    return (
        f"{SUPPRESSED_MARK} means the count is hidden: it is from 1 to {threshold - 1}, or it is "
        "hidden so that a total cannot reveal such a count. Zeros are shown."
    )


Entry = tuple[int, int]  # (row, column) in the grid with its totals row and column


@dataclass(frozen=True, slots=True)
class CountTable:
    """Counts by row and column; the row, column and grand totals are published with them."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if not self.row_labels or not self.column_labels:
            raise ValueError("a count table needs at least one row and one column")
        if len(self.counts) != len(self.row_labels):
            raise ValueError("a count table needs one row of counts per row label")
        for row in self.counts:
            if len(row) != len(self.column_labels) or any(v < 0 for v in row):
                raise ValueError("each row needs one non-negative count per column label")


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """What may be shown: ``None`` stands for a hidden count (shown as ``[c]``)."""

    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    grand_total: int | None
    threshold: int

    @property
    def hidden(self) -> int:
        """How many figures (cells and totals) are hidden."""
        figures = [*self.row_totals, *self.column_totals, self.grand_total]
        return sum(v is None for row in self.cells for v in row) + figures.count(None)


@dataclass(frozen=True, slots=True)
class SuppressedSeries:
    """A series of counts with its total, as it may be shown (``None`` is hidden)."""

    labels: tuple[str, ...]
    values: tuple[int | None, ...]
    total: int | None
    threshold: int


class _Grid:
    """The table with its totals as one grid: the last row and column hold the totals."""

    def __init__(self, table: CountTable) -> None:
        rows = [list(r) for r in table.counts]
        rows.append([sum(col) for col in zip(*table.counts, strict=True)])
        for row in rows:
            row.append(sum(row))
        self.values = rows
        self.n_rows = len(rows)
        self.n_cols = len(rows[0])

    def is_total(self, entry: Entry) -> bool:
        return entry[0] == self.n_rows - 1 or entry[1] == self.n_cols - 1

    def lines(self) -> Iterator[list[Entry]]:
        """Every row and every column of the grid: each one's entries add up."""
        for r in range(self.n_rows):
            yield [(r, c) for c in range(self.n_cols)]
        for c in range(self.n_cols):
            yield [(r, c) for r in range(self.n_rows)]

    def cost(self, entry: Entry, hidden: _Hidden) -> tuple[bool, bool, int, int, Entry]:
        """Cheapest to hide first: inner cells before totals, non-zero before zero, cells whose
        row and column already hide something (no new line is touched), then small values.
        """
        value = self.values[entry[0]][entry[1]]
        return (self.is_total(entry), value == 0, -hidden.touched(entry), value, entry)


class _Hidden:
    """The hidden entries, with how many each row and column of the grid holds."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: set[Entry] = set()
        self.in_row: Counter[int] = Counter()
        self.in_col: Counter[int] = Counter()
        for entry in entries:
            self.add(entry)

    def __contains__(self, entry: object) -> bool:
        return entry in self.entries

    def add(self, entry: Entry) -> None:
        if entry not in self.entries:
            self.entries.add(entry)
            self.in_row[entry[0]] += 1
            self.in_col[entry[1]] += 1

    def touched(self, entry: Entry) -> int:
        return (self.in_row[entry[0]] > 0) + (self.in_col[entry[1]] > 0)


def _primary(grid: _Grid, threshold: int) -> _Hidden:
    return _Hidden(
        (r, c)
        for r in range(grid.n_rows)
        for c in range(grid.n_cols)
        if 0 < grid.values[r][c] < threshold
    )


def _pair_lines(grid: _Grid, hidden: _Hidden) -> bool:
    """Hide the cheapest other entry of every line that hides exactly one; True if any hid."""
    changed = False
    for number, line in enumerate(grid.lines()):
        is_row = number < grid.n_rows
        count = hidden.in_row[number] if is_row else hidden.in_col[number - grid.n_rows]
        if count == 1:
            candidates = [e for e in line if e not in hidden]
            hidden.add(min(candidates, key=lambda e: grid.cost(e, hidden)))
            changed = True
    return changed


Node = tuple[str, int]  # ("r", row) or ("c", column) of the grid


def _adjacency(entries: Iterable[Entry]) -> dict[Node, list[tuple[Node, Entry]]]:
    """The graph of hidden entries: each joins its row node and its column node."""
    graph: dict[Node, list[tuple[Node, Entry]]] = defaultdict(list)
    for r, c in entries:
        graph[("r", r)].append((("c", c), (r, c)))
        graph[("c", c)].append((("r", r), (r, c)))
    return graph


def _bridges(graph: dict[Node, list[tuple[Node, Entry]]]) -> set[Entry]:
    """Entries on no cycle (Tarjan's bridge-finding, iterative depth-first search)."""
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    found: set[Entry] = set()
    for root in graph:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, (-1, -1), iter(graph[root]))]
        while stack:
            node, via, edges = stack[-1]
            for nxt, entry in edges:
                if entry == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                    continue
                order[nxt] = low[nxt] = len(order)
                stack.append((nxt, entry, iter(graph[nxt])))
                break
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.add(via)
    return found


def _component(graph: dict[Node, list[tuple[Node, Entry]]], start: Node) -> set[Node]:
    seen, todo = {start}, [start]
    while todo:
        for nxt, _entry in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _close_a_bridge(grid: _Grid, hidden: _Hidden) -> bool:
    """Give one bridge (a hidden entry on no cycle) a cycle with the cheapest entry; True if so."""
    bridges = _bridges(_adjacency(hidden.entries))
    if not bridges:
        return False
    bridge = min(bridges)
    side = _component(_adjacency(hidden.entries - {bridge}), ("r", bridge[0]))
    closing = [
        (r, c)
        for r in range(grid.n_rows)
        for c in range(grid.n_cols)
        if (r, c) not in hidden and ((("r", r) in side) != (("c", c) in side))
    ]
    hidden.add(min(closing, key=lambda e: grid.cost(e, hidden)))
    return True


def _hide(grid: _Grid, threshold: int) -> set[Entry]:
    hidden = _primary(grid, threshold)
    while _pair_lines(grid, hidden) or _close_a_bridge(grid, hidden):
        pass
    return hidden.entries


def suppress(table: CountTable, *, threshold: int) -> SuppressedTable:
    """``table`` as it may be published: small counts and what would reveal them hidden."""
    if threshold < 1:
        raise ValueError("the disclosure threshold is a count of at least 1")
    grid = _Grid(table)
    hidden = _hide(grid, threshold)

    def shown(r: int, c: int) -> int | None:
        return None if (r, c) in hidden else grid.values[r][c]

    inner_rows, inner_cols = grid.n_rows - 1, grid.n_cols - 1
    return SuppressedTable(
        row_labels=table.row_labels,
        column_labels=table.column_labels,
        cells=tuple(tuple(shown(r, c) for c in range(inner_cols)) for r in range(inner_rows)),
        row_totals=tuple(shown(r, inner_cols) for r in range(inner_rows)),
        column_totals=tuple(shown(inner_rows, c) for c in range(inner_cols)),
        grand_total=shown(inner_rows, inner_cols),
        threshold=threshold,
    )


def suppress_series(
    labels: Sequence[str], counts: Sequence[int], *, threshold: int
) -> SuppressedSeries:
    """A series with its total (e.g. referrals by month): a one-row table of ``suppress``."""
    if not labels:
        return SuppressedSeries((), (), 0, threshold)
    table = suppress(CountTable(("all",), tuple(labels), (tuple(counts),)), threshold=threshold)
    return SuppressedSeries(tuple(labels), table.cells[0], table.grand_total, threshold)


def suppress_figure(count: int, *, threshold: int) -> int | None:
    """One count shown on its own (no total beside it): hidden when from 1 to threshold - 1."""
    return suppress(CountTable(("all",), ("all",), ((count,),)), threshold=threshold).grand_total
