"""Disclosure control: small counts hidden, and no hidden count recoverable from what is shown.

Three attackers, each simple enough to trust, try to recover hidden counts from a published
table: subtraction along rows and columns, exact linear algebra over the table's equations,
and an exhaustive search for every feasible value of a hidden cell (non-negative integers).
Each must fail on what ``suppress`` publishes, and each must succeed on a table that only
hides the small counts themselves (so they are real attackers, not strawmen).
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wholechild.core.disclosure import (
    SUPPRESSED_MARK,
    CountTable,
    SuppressedTable,
    _adjacency,
    _bridges,
    suppress,
    suppress_figure,
    suppress_series,
    suppression_note,
)

Grid = list[list[int | None]]
Entry = tuple[int, int]


# --- The attacker's view ---------------------------------------------------------------------


def published(table: SuppressedTable) -> Grid:
    """The table as a reader sees it: cells, row totals on the right, column totals below."""
    pairs = zip(table.cells, table.row_totals, strict=True)
    rows: Grid = [[*cells, total] for cells, total in pairs]
    rows.append([*table.column_totals, table.grand_total])
    return rows


def full(table: CountTable) -> list[list[int]]:
    rows = [[*r, sum(r)] for r in table.counts]
    rows.append([sum(col) for col in zip(*rows, strict=True)])
    return rows


def lines(grid: Grid) -> list[list[Entry]]:
    """Every row and column: its entries before the last add up to the last (the total)."""
    n_rows, n_cols = len(grid), len(grid[0])
    return [[(r, c) for c in range(n_cols)] for r in range(n_rows)] + [
        [(r, c) for r in range(n_rows)] for c in range(n_cols)
    ]


def equations(grid: Grid) -> list[tuple[dict[Entry, int], int]]:
    """Each line as {unknown: coefficient} = constant (inner +1, total -1)."""
    out = []
    for line in lines(grid):
        coefficients: dict[Entry, int] = {}
        constant = 0
        for position, (r, c) in enumerate(line):
            sign = -1 if position == len(line) - 1 else 1
            if grid[r][c] is None:
                coefficients[(r, c)] = sign
            else:
                constant -= sign * grid[r][c]  # type: ignore[operator]
        out.append((coefficients, constant))
    return out


def hidden_entries(grid: Grid) -> list[Entry]:
    return [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v is None]


# --- Attacker 1: subtraction -------------------------------------------------------------------


def subtraction_attack(grid: Grid) -> dict[Entry, int]:
    """Fill any line with exactly one hidden entry by subtraction, until nothing changes."""
    grid = [row[:] for row in grid]
    recovered: dict[Entry, int] = {}
    changed = True
    while changed:
        changed = False
        for coefficients, constant in equations(grid):
            if len(coefficients) == 1:
                ((entry, sign),) = coefficients.items()
                grid[entry[0]][entry[1]] = recovered[entry] = constant * sign
                changed = True
    return recovered


# --- Attacker 2: exact linear algebra ----------------------------------------------------------


def algebraic_attack(grid: Grid) -> dict[Entry, Fraction]:
    """Reduce the equations to row echelon form; a pivot row with one unknown gives its value."""
    unknowns = hidden_entries(grid)
    index = {e: i for i, e in enumerate(unknowns)}
    matrix = []
    for coefficients, constant in equations(grid):
        row = [Fraction(0)] * (len(unknowns) + 1)
        for entry, sign in coefficients.items():
            row[index[entry]] = Fraction(sign)
        row[-1] = Fraction(constant)
        matrix.append(row)
    pivot_row = 0
    for col in range(len(unknowns)):
        found = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col] != 0), None)
        if found is None:
            continue
        matrix[pivot_row], matrix[found] = matrix[found], matrix[pivot_row]
        lead = matrix[pivot_row][col]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][col] != 0:
                factor = matrix[r][col]
                pairs = zip(matrix[r], matrix[pivot_row], strict=True)
                matrix[r] = [a - factor * b for a, b in pairs]
        pivot_row += 1
    recovered = {}
    for row in matrix:
        nonzero = [i for i, v in enumerate(row[:-1]) if v != 0]
        if len(nonzero) == 1:
            recovered[unknowns[nonzero[0]]] = row[-1] / row[nonzero[0]]
    return recovered


# --- Attacker 3: exhaustive search over non-negative integers --------------------------------


Equations = list[tuple[dict[Entry, int], int]]


def _feasible(eqs: Equations, assigned: dict[Entry, int], order: list[Entry], cap: int) -> bool:
    """Is there a completion of ``assigned`` in 0..cap satisfying every equation?"""
    for coefficients, constant in eqs:
        free = [e for e in coefficients if e not in assigned]
        total = sum(s * assigned[e] for e, s in coefficients.items() if e in assigned)
        low = total + sum(min(0, s * cap) for e, s in coefficients.items() if e in free)
        high = total + sum(max(0, s * cap) for e, s in coefficients.items() if e in free)
        if not low <= constant <= high:
            return False
        if len(free) == 1:
            forced = (constant - total) * coefficients[free[0]]
            if not 0 <= forced <= cap:
                return False
            return _feasible(eqs, {**assigned, free[0]: forced}, order, cap)
    rest = [e for e in order if e not in assigned]
    if not rest:
        return True
    return any(_feasible(eqs, {**assigned, rest[0]: v}, order, cap) for v in range(cap + 1))


def feasible_values(grid: Grid, entry: Entry, cap: int) -> set[int]:
    """Every value of ``entry`` that some non-negative completion of the table allows."""
    eqs = equations(grid)
    order = hidden_entries(grid)
    return {v for v in range(cap + 1) if _feasible(eqs, {entry: v}, order, cap)}


def attacker_cap(truth: list[list[int]]) -> int:
    """The search's bound: one above the largest true figure. An attacker told this much knows
    more than a real one, and searching a smaller box can only pin values more often."""
    return max(v for row in truth for v in row) + 1


# --- Spec tests: what is shown ----------------------------------------------------------------

SERIES_CASES = [
    # counts by month, threshold 10 → what is shown ([c] hidden), total shown
    ([12, 3, 40, 25, 0, 18], ["[c]", "[c]", "40", "25", "0", "18"], "98"),
    ([3, 4, 50], ["[c]", "[c]", "50"], "57"),
    ([3, 0, 0], ["[c]", "0", "0"], "[c]"),
    ([10, 11, 0], ["10", "11", "0"], "21"),
    ([9, 31, 30], ["[c]", "31", "[c]"], "70"),
    ([0, 0, 0], ["0", "0", "0"], "0"),
    ([5], ["[c]"], "[c]"),
]


def _show(value: int | None) -> str:
    return SUPPRESSED_MARK if value is None else str(value)


@pytest.mark.parametrize(("counts", "shown", "total"), SERIES_CASES)
def test_series_spec(counts: list[int], shown: list[str], total: str) -> None:
    labels = [f"m{i}" for i in range(len(counts))]
    series = suppress_series(labels, counts, threshold=10)
    assert [_show(v) for v in series.values] == shown
    assert _show(series.total) == total


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "[c]"), (9, "[c]"), (10, "10"), (250, "250")]
)
def test_a_figure_on_its_own_hides_only_small_counts(count: int, shown: str) -> None:
    assert _show(suppress_figure(count, threshold=10)) == shown


def test_a_table_hides_a_small_cell_in_a_cycle_of_four() -> None:
    table = CountTable(("a", "b", "c"), ("x", "y", "z"), ((3, 20, 30), (15, 25, 12), (40, 11, 50)))
    shown = suppress(table, threshold=10)
    assert [[_show(v) for v in row] for row in shown.cells] == [
        ["[c]", "[c]", "30"],
        ["[c]", "[c]", "12"],
        ["40", "11", "50"],
    ]
    assert shown.row_totals == (53, 52, 101)
    assert shown.column_totals == (58, 56, 92)
    assert shown.grand_total == 206
    assert shown.hidden == 4


def test_small_totals_are_hidden_too() -> None:
    table = CountTable(("a", "b"), ("x", "y"), ((2, 0), (40, 50)))
    shown = suppress(table, threshold=10)
    assert shown.row_totals[0] is None
    assert shown.column_totals[0] == 42 or shown.column_totals[0] is None
    assert not subtraction_attack(published(shown))
    assert not algebraic_attack(published(shown))


def test_the_note_explains_the_mark_and_the_threshold() -> None:
    note = suppression_note(10)
    assert "[c]" in note and "1 to 9" in note


def test_threshold_must_be_a_positive_count() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        suppress(CountTable(("a",), ("x",), ((1,),)), threshold=0)


def test_a_table_needs_a_count_per_cell() -> None:
    with pytest.raises(ValueError, match="one non-negative count"):
        CountTable(("a",), ("x", "y"), ((1,),))


# --- The attackers are real: they break primary-only suppression -------------------------------


def _primary_only(table: CountTable, threshold: int) -> Grid:
    return [[None if 0 < v < threshold else v for v in row] for row in full(table)]


def test_attackers_recover_a_lone_hidden_cell_from_primary_only_suppression() -> None:
    table = CountTable(("a", "b"), ("x", "y", "z"), ((3, 20, 30), (15, 25, 12)))
    naive = _primary_only(table, 10)
    assert subtraction_attack(naive) == {(0, 0): 3}
    assert algebraic_attack(naive) == {(0, 0): 3}
    assert feasible_values(naive, (0, 0), attacker_cap(full(table))) == {3}


def test_algebra_finds_a_bridge_that_subtraction_misses() -> None:
    """Two hidden squares joined by one hidden cell: every line hides two, yet the joining
    cell is determined; the bridge rule in ``suppress`` is what prevents this pattern."""
    grid = full(CountTable(("a", "b", "c", "d"), ("w", "x", "y", "z"), ((20,) * 4,) * 4))
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    pattern: Grid = [
        [None if (r, c) in hidden else v for c, v in enumerate(row)] for r, row in enumerate(grid)
    ]
    assert not subtraction_attack(pattern)
    assert algebraic_attack(pattern) == {(0, 2): 20}


# --- Property tests: the attackers fail on whatever suppress publishes ------------------------

small = st.one_of(st.integers(0, 12), st.integers(0, 3))
mixed = st.one_of(st.integers(0, 12), st.integers(0, 60))


def tables(values: st.SearchStrategy[int], max_side: int) -> st.SearchStrategy[CountTable]:
    def build(shape: tuple[int, int]) -> st.SearchStrategy[CountTable]:
        rows, cols = shape
        counts = st.lists(
            st.lists(values, min_size=cols, max_size=cols).map(tuple), min_size=rows, max_size=rows
        ).map(tuple)
        return counts.map(
            lambda c: CountTable(
                tuple(f"r{i}" for i in range(rows)), tuple(f"c{j}" for j in range(cols)), c
            )
        )

    return st.tuples(st.integers(1, max_side), st.integers(1, max_side)).flatmap(build)


def _check_shown_is_true_and_small_is_hidden(table: CountTable, threshold: int) -> Grid:
    grid = published(suppress(table, threshold=threshold))
    truth = full(table)
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if 0 < truth[r][c] < threshold:
                assert value is None, f"count {truth[r][c]} at {(r, c)} shown"
            if value is not None:
                assert value == truth[r][c]
    return grid


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(mixed, 6), threshold=st.integers(2, 12))
def test_no_hidden_count_is_determined_by_the_equations(table: CountTable, threshold: int) -> None:
    grid = _check_shown_is_true_and_small_is_hidden(table, threshold)
    assert subtraction_attack(grid) == {}
    assert algebraic_attack(grid) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(small, 3), threshold=st.integers(2, 6))
@example(table=CountTable(("a", "b"), ("x", "y"), ((11, 0), (0, 2))), threshold=7)
@example(table=CountTable(("a", "b"), ("x", "y", "z"), ((3, 9, 1), (0, 2, 12))), threshold=5)
def test_every_hidden_count_has_more_than_one_feasible_value(
    table: CountTable, threshold: int
) -> None:
    grid = _check_shown_is_true_and_small_is_hidden(table, threshold)
    truth = full(table)
    cap = attacker_cap(truth)
    for r, c in hidden_entries(grid):
        values = feasible_values(grid, (r, c), cap)
        assert truth[r][c] in values
        assert len(values) > 1, f"hidden {(r, c)} pinned to {values}"


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.one_of(st.integers(0, 12), st.integers(0, 80)), min_size=1, max_size=24),
    threshold=st.integers(2, 12),
)
def test_a_series_never_reveals_a_hidden_month(counts: list[int], threshold: int) -> None:
    series = suppress_series([str(i) for i in range(len(counts))], counts, threshold=threshold)
    hidden = [i for i, v in enumerate(series.values) if v is None]
    for i, value in enumerate(series.values):
        assert (value is None) if 0 < counts[i] < threshold else value in (None, counts[i])
    if series.total is not None:
        assert len(hidden) != 1, "one hidden month and its total shown: recoverable"
        assert series.total == sum(counts)
    else:
        assert 0 < sum(counts) < threshold or len(hidden) >= 1


# --- The fast bridge finder against the plain definition -------------------------------------


def _bridges_by_definition(entries: set[Entry]) -> set[Entry]:
    """An entry is a bridge when removing it disconnects its row from its column."""

    def connected(edges: set[Entry], start: tuple[str, int], goal: tuple[str, int]) -> bool:
        seen, todo = {start}, [start]
        while todo:
            kind, index = todo.pop()
            for r, c in edges:
                ends = [("r", r), ("c", c)]
                if (kind, index) in ends:
                    other = ends[1] if ends[0] == (kind, index) else ends[0]
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
        return goal in seen

    return {e for e in entries if not connected(entries - {e}, ("r", e[0]), ("c", e[1]))}


@settings(max_examples=300, deadline=None)
@given(entries=st.sets(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=25))
def test_tarjan_bridges_match_the_definition(entries: set[Entry]) -> None:
    assert _bridges(_adjacency(entries)) == _bridges_by_definition(entries)


def test_a_large_table_is_suppressed_quickly() -> None:
    rows, cols = 100, 20
    counts = tuple(tuple((r * 7 + c * 13) % 40 for c in range(cols)) for r in range(rows))
    table = CountTable(tuple(map(str, range(rows))), tuple(map(str, range(cols))), counts)
    started = time.perf_counter()
    shown = suppress(table, threshold=10)
    assert time.perf_counter() - started < 5
    assert not subtraction_attack(published(shown))
