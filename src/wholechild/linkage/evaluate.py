"""Linkage quality against ground truth: how many links we missed, how many we made wrongly.

A *missed link* hides part of a child's history; a *false link* puts another child's history on
their record. Both are measured overall, per ethnic group (linkage errors fall more on
ethnic-minority names) and per source pair.

Inputs (all pandas, no storage):

- ``clusters``: ``unique_id``, ``cluster_id`` — our linkage result, one row per source record,
  singletons included.
- ``truth``: ``unique_id``, ``true_id``, ``group``, ``source_system`` — which child each record
  really is, that child's group (any label, e.g. "Pakistani") and the record's source system.
- ``candidate_pairs`` (optional): ``unique_id_l``, ``unique_id_r`` — the pairs blocking produced.

A *pair* is two distinct source records. True pairs share a ``true_id``; predicted pairs share a
``cluster_id``. Pairs are counted from the cluster × child contingency table, never enumerated,
so half a million records take about a second. Undefined rates (no pairs to divide by) are
``None``, shown as "n/a".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from wholechild.errors import UserError

__all__ = [
    "BlockingMetrics",
    "ClusterMetrics",
    "EvaluationReport",
    "GroupRow",
    "PairMetrics",
    "SourcePairRow",
    "evaluate",
]

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | None"
Codes: TypeAlias = npt.NDArray[np.int64]

NOT_RECORDED: Final = "Not recorded"
PAIR_SEPARATOR: Final = " × "
CHART_FILE: Final = "recall_by_group.svg"


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass(frozen=True)
class PairMetrics:
    """Pairwise counts: a true pair is one child's two records, a predicted pair one cluster's."""

    true_pairs: int
    predicted_pairs: int
    true_positives: int

    @property
    def false_positives(self) -> int:
        """False links: pairs we put in one cluster that are two children."""
        return self.predicted_pairs - self.true_positives

    @property
    def false_negatives(self) -> int:
        """Missed links: one child's pairs that we left in different clusters."""
        return self.true_pairs - self.true_positives

    @property
    def precision(self) -> float | None:
        return _ratio(self.true_positives, self.predicted_pairs)

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_positives, self.true_pairs)

    @property
    def f1(self) -> float | None:
        return _f1(self.precision, self.recall)

    def to_json(self) -> dict[str, JSON]:
        return {
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class ClusterMetrics:
    """Cluster-level counts and B-cubed precision/recall (averaged over records)."""

    records: int
    children: int
    clusters: int
    children_exact: int  # the child's records are exactly one cluster, with nothing else in it
    children_split: int  # missed links: the child's records are in more than one cluster
    clusters_merged: int  # false merges: clusters holding more than one child
    bcubed_precision: float | None
    bcubed_recall: float | None

    @property
    def exact_match_rate(self) -> float | None:
        return _ratio(self.children_exact, self.children)

    @property
    def bcubed_f1(self) -> float | None:
        return _f1(self.bcubed_precision, self.bcubed_recall)

    def to_json(self) -> dict[str, JSON]:
        return {
            "records": self.records,
            "children": self.children,
            "clusters": self.clusters,
            "children_exact": self.children_exact,
            "exact_match_rate": self.exact_match_rate,
            "children_split": self.children_split,
            "clusters_merged": self.clusters_merged,
            "bcubed_precision": self.bcubed_precision,
            "bcubed_recall": self.bcubed_recall,
            "bcubed_f1": self.bcubed_f1,
        }


@dataclass(frozen=True)
class BlockingMetrics:
    """How many true pairs blocking let through to scoring (a pair not blocked is never linked)."""

    candidate_pairs: int  # distinct unordered pairs of distinct records
    true_pairs: int
    true_pairs_found: int

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_pairs_found, self.true_pairs)

    def to_json(self) -> dict[str, JSON]:
        return {
            "candidate_pairs": self.candidate_pairs,
            "true_pairs": self.true_pairs,
            "true_pairs_found": self.true_pairs_found,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class GroupRow:
    """One group's numbers. Precision counts predicted pairs with at least one of its records."""

    group: str
    children: int
    records: int
    children_split: int
    pairs: PairMetrics
    recall_gap_pp: float | None  # group recall minus overall recall, in percentage points
    blocking_recall: float | None

    def to_json(self) -> dict[str, JSON]:
        return {
            "group": self.group,
            "children": self.children,
            "records": self.records,
            "children_split": self.children_split,
            **self.pairs.to_json(),
            "recall_gap_pp": self.recall_gap_pp,
            "blocking_recall": self.blocking_recall,
        }


@dataclass(frozen=True)
class SourcePairRow:
    """One (sorted) pair of source systems: pairs with one record from each."""

    source_pair: tuple[str, str]
    pairs: PairMetrics
    blocking_recall: float | None

    @property
    def label(self) -> str:
        return PAIR_SEPARATOR.join(self.source_pair)

    def to_json(self) -> dict[str, JSON]:
        return {
            "source_pair": list(self.source_pair),
            **self.pairs.to_json(),
            "blocking_recall": self.blocking_recall,
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Everything measured: overall, cluster-level, blocking, by group, by source pair."""

    overall: PairMetrics
    clusters: ClusterMetrics
    blocking: BlockingMetrics | None
    by_group: tuple[GroupRow, ...]  # worst recall gap first; groups without true pairs last
    by_source_pair: tuple[SourcePairRow, ...]

    def to_json(self) -> dict[str, JSON]:
        """A plain dict (JSON-serialisable: rates are floats or None) for transparency records."""
        return {
            "overall": self.overall.to_json(),
            "clusters": self.clusters.to_json(),
            "blocking": self.blocking.to_json() if self.blocking else None,
            "by_group": [row.to_json() for row in self.by_group],
            "by_source_pair": [row.to_json() for row in self.by_source_pair],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self, *, chart: str | None = CHART_FILE) -> str:
        """The report as Markdown tables; ``chart`` is the recall-by-group SVG's path, if any."""
        return "\n".join(
            [
                "# Linkage quality",
                "",
                f"Measured against ground truth: {self.clusters.records:,} source records of "
                f"{self.clusters.children:,} children, linked into {self.clusters.clusters:,} "
                "clusters. A missed link hides part of a child's history; a false link puts "
                "another child's history on their record.",
                *_overall_markdown(self.overall),
                *_cluster_markdown(self.clusters),
                *_blocking_markdown(self.blocking),
                *_group_markdown(self.by_group, chart),
                *_source_pair_markdown(self.by_source_pair),
            ]
        )


# --- Inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Records:
    """One row per record as integer codes: cluster, child, group, source system."""

    ids: pd.Index
    cluster: Codes
    child: Codes
    group: Codes
    groups: list[str]
    source: Codes
    sources: list[str]


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> list[str]:
    missing = [c for c in columns if c not in frame.columns]
    return [f"{name} lacks column(s) {', '.join(missing)}"] if missing else []


def _id_problems(clusters: pd.DataFrame, truth: pd.DataFrame) -> list[str]:
    problems = []
    for name, frame in (("clusters", clusters), ("truth", truth)):
        duplicated = int(frame["unique_id"].duplicated().sum())
        if duplicated:
            problems.append(f"{name} has {duplicated} repeated unique_id(s)")
    for name, frame, column in (("clusters", clusters, "cluster_id"), ("truth", truth, "true_id")):
        if blank := int(frame[column].isna().sum()):
            problems.append(f"{name} has {blank} record(s) with no {column}")
    ours, true = pd.Index(clusters["unique_id"]), pd.Index(truth["unique_id"])
    if unmatched := len(ours.difference(true)):
        problems.append(f"{unmatched} of {len(ours)} clustered records have no truth row")
    if unclustered := len(true.difference(ours)):
        problems.append(f"{unclustered} of {len(true)} truth records are in no cluster")
    return problems


def _codes(values: pd.Series) -> tuple[Codes, list[str]]:
    labels = values.astype("string").fillna(NOT_RECORDED)
    codes, uniques = pd.factorize(labels, sort=True)
    return codes.astype(np.int64), [str(u) for u in uniques]


def _records(clusters: pd.DataFrame, truth: pd.DataFrame) -> _Records:
    problems = _require(clusters, "clusters", ("unique_id", "cluster_id"))
    problems += _require(truth, "truth", ("unique_id", "true_id", "group", "source_system"))
    problems = problems or _id_problems(clusters, truth)
    if problems:
        raise UserError(
            "Cannot evaluate the linkage: " + "; ".join(problems) + ".",
            fix="Give clusters and truth for the same source records, one row each, with ids in "
            "the same form (truth.truth_frame gives 32-digit lowercase hex record ids).",
        )
    joined = truth.merge(clusters[["unique_id", "cluster_id"]], on="unique_id")  # ids checked
    group, groups = _codes(joined["group"])
    source, sources = _codes(joined["source_system"])
    return _Records(
        ids=pd.Index(joined["unique_id"]),
        cluster=pd.factorize(joined["cluster_id"])[0].astype(np.int64),
        child=pd.factorize(joined["true_id"])[0].astype(np.int64),
        group=group,
        groups=groups,
        source=source,
        sources=sources,
    )


# --- Counting pairs without enumerating them ------------------------------------------------


def _choose2(sizes: Codes) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _dense(keys: Codes) -> Codes:
    return np.asarray(pd.factorize(keys)[0], dtype=np.int64)


def _cells(records: _Records) -> Codes:
    """A code for each record's (cluster, child) cell of the contingency table."""
    width = int(records.child.max()) + 1 if len(records.child) else 1
    return _dense(records.cluster * width + records.child)


def _pairs_by_label(keys: Codes, labels: Codes, n_labels: int) -> npt.NDArray[np.int64]:
    """Pairs of records sharing a key, by label: [a, b] (a != b) across labels, [a, a] within.

    With M[k, a] = records of key k with label a, pairs across a and b are sum_k M[k,a] M[k,b]
    (that is MᵀM) and pairs within a are sum_k C(M[k,a], 2).
    """
    dense = _dense(keys)
    n_keys = int(dense.max()) + 1 if len(dense) else 0
    flat = np.bincount(dense * n_labels + labels, minlength=n_keys * n_labels)
    counts = flat.reshape(n_keys, n_labels).astype(np.float64)  # exact below 2**53
    product = np.rint(counts.T @ counts).astype(np.int64)
    within = (np.diag(product) - counts.sum(axis=0).astype(np.int64)) // 2
    np.fill_diagonal(product, within)
    return product


@dataclass(frozen=True)
class _PairTables:
    """True, predicted and true-positive pairs by label (see :func:`_pairs_by_label`)."""

    true: npt.NDArray[np.int64]
    predicted: npt.NDArray[np.int64]
    positive: npt.NDArray[np.int64]


def _pair_tables(records: _Records, labels: Codes, n_labels: int) -> _PairTables:
    return _PairTables(
        true=_pairs_by_label(records.child, labels, n_labels),
        predicted=_pairs_by_label(records.cluster, labels, n_labels),
        positive=_pairs_by_label(_cells(records), labels, n_labels),
    )


def _overall(records: _Records) -> PairMetrics:
    return PairMetrics(
        true_pairs=_choose2(np.bincount(records.child)),
        predicted_pairs=_choose2(np.bincount(records.cluster)),
        true_positives=_choose2(np.bincount(_cells(records))),
    )


def _cluster_metrics(records: _Records) -> ClusterMetrics:
    cell = _cells(records)
    n_cell = np.bincount(cell)
    first = np.unique(cell, return_index=True)[1]  # one record of each cell, in code order
    cell_cluster, cell_child = records.cluster[first], records.child[first]
    clusters_of_child = np.bincount(cell_child)
    children_of_cluster = np.bincount(cell_cluster)
    exact = (clusters_of_child[cell_child] == 1) & (children_of_cluster[cell_cluster] == 1)
    n = len(cell)
    n_cluster, n_child = np.bincount(records.cluster), np.bincount(records.child)
    squared = n_cell.astype(np.float64) ** 2
    return ClusterMetrics(
        records=n,
        children=len(clusters_of_child),
        clusters=len(children_of_cluster),
        children_exact=int(exact.sum()),
        children_split=int((clusters_of_child > 1).sum()),
        clusters_merged=int((children_of_cluster > 1).sum()),
        bcubed_precision=_ratio(float((squared / n_cluster[cell_cluster]).sum()), n),
        bcubed_recall=_ratio(float((squared / n_child[cell_child]).sum()), n),
    )


# --- Blocking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Blocking:
    metrics: BlockingMetrics
    found_l: Codes  # record positions of the true pairs found, one pair per element
    found_r: Codes


def _positions(records: _Records, candidates: pd.DataFrame) -> tuple[Codes, Codes]:
    """Each candidate pair as record positions, or a :class:`UserError` naming the problems."""
    problems = _require(candidates, "candidate_pairs", ("unique_id_l", "unique_id_r"))
    if not problems:
        left, right = (
            records.ids.get_indexer(pd.Index(candidates[c])) for c in ("unique_id_l", "unique_id_r")
        )
        if not (unknown := int(((left < 0) | (right < 0)).sum())):
            return np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
        problems.append(f"{unknown} candidate pair(s) name a record with no truth row")
    raise UserError("Cannot measure blocking recall: " + "; ".join(problems) + ".")


def _blocking(records: _Records, candidates: pd.DataFrame, true_pairs: int) -> _Blocking:
    left, right = _positions(records, candidates)
    low, high = np.minimum(left, right), np.maximum(left, right)
    distinct = pd.unique((low * len(records.ids) + high)[low != high])  # one code per pair
    low, high = np.divmod(np.asarray(distinct, dtype=np.int64), len(records.ids))
    found = records.child[low] == records.child[high]
    metrics = BlockingMetrics(
        candidate_pairs=len(distinct), true_pairs=true_pairs, true_pairs_found=int(found.sum())
    )
    return _Blocking(metrics, low[found], high[found])


def _found_by_label(
    blocking: _Blocking | None, labels: Codes, n_labels: int
) -> npt.NDArray[np.int64] | None:
    """True pairs that blocking found, by label, in the layout of :func:`_pairs_by_label`."""
    if blocking is None:
        return None
    a, b = labels[blocking.found_l], labels[blocking.found_r]
    flat = np.bincount(np.minimum(a, b) * n_labels + np.maximum(a, b), minlength=n_labels**2)
    table = flat.reshape(n_labels, n_labels)
    return np.asarray(table + np.triu(table, 1).T, dtype=np.int64)


# --- Breakdowns -----------------------------------------------------------------------------


def _gap(recall: float | None, overall: float | None) -> float | None:
    return None if recall is None or overall is None else (recall - overall) * 100


def _group_rows(
    records: _Records, overall: PairMetrics, blocking: _Blocking | None
) -> tuple[GroupRow, ...]:
    n = len(records.groups)
    tables = _pair_tables(records, records.group, n)
    found = _found_by_label(blocking, records.group, n)
    child_group = pd.Series(records.group).groupby(records.child).first()
    children = np.bincount(child_group.to_numpy(), minlength=n)
    split = _split_children(records)
    split_by_group = np.bincount(child_group.to_numpy()[split], minlength=n)
    rows = []
    for g, name in enumerate(records.groups):
        true_pairs = int(tables.true[g, g])
        pairs = PairMetrics(true_pairs, int(tables.predicted[g].sum()), int(tables.positive[g, g]))
        rows.append(
            GroupRow(
                group=name,
                children=int(children[g]),
                records=int((records.group == g).sum()),
                children_split=int(split_by_group[g]),
                pairs=pairs,
                recall_gap_pp=_gap(pairs.recall, overall.recall),
                blocking_recall=None if found is None else _ratio(int(found[g, g]), true_pairs),
            )
        )
    return tuple(sorted(rows, key=_worst_first))


def _split_children(records: _Records) -> npt.NDArray[np.bool_]:
    """For each child code, whether its records are in more than one cluster."""
    clusters = pd.Series(records.cluster).groupby(records.child).nunique()
    return np.asarray(clusters.to_numpy() > 1)


def _worst_first(row: GroupRow) -> tuple[bool, float, str]:
    gap = row.recall_gap_pp
    return (gap is None, 0.0 if gap is None else gap, row.group)


def _source_pair_rows(records: _Records, blocking: _Blocking | None) -> tuple[SourcePairRow, ...]:
    n = len(records.sources)
    tables = _pair_tables(records, records.source, n)
    found = _found_by_label(blocking, records.source, n)
    rows = []
    for a in range(n):
        for b in range(a, n):
            pairs = PairMetrics(
                int(tables.true[a, b]), int(tables.predicted[a, b]), int(tables.positive[a, b])
            )
            if pairs.true_pairs or pairs.predicted_pairs:
                blocked = None if found is None else _ratio(int(found[a, b]), pairs.true_pairs)
                names = (records.sources[a], records.sources[b])
                rows.append(SourcePairRow(names, pairs, blocked))
    return tuple(rows)


def evaluate(
    clusters: pd.DataFrame,
    truth: pd.DataFrame,
    candidate_pairs: pd.DataFrame | None = None,
) -> EvaluationReport:
    """Measure a linkage result against ground truth (see the module docstring for the inputs).

    Raises :class:`~wholechild.errors.UserError`, listing every problem, when the frames lack
    columns, repeat a record, or do not cover the same records.
    """
    records = _records(clusters, truth)
    overall = _overall(records)
    blocking = (
        None if candidate_pairs is None else _blocking(records, candidate_pairs, overall.true_pairs)
    )
    return EvaluationReport(
        overall=overall,
        clusters=_cluster_metrics(records),
        blocking=blocking.metrics if blocking else None,
        by_group=_group_rows(records, overall, blocking),
        by_source_pair=_source_pair_rows(records, blocking),
    )


# --- Markdown -------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _pp(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _measures(rows: list[tuple[str, str]]) -> list[str]:
    return _table(["measure", "value"], [list(row) for row in rows])


def _overall_markdown(overall: PairMetrics) -> list[str]:
    return [
        "",
        "## Pairwise (overall)",
        "",
        *_measures(
            [
                ("true pairs (same child)", f"{overall.true_pairs:,}"),
                ("predicted pairs (same cluster)", f"{overall.predicted_pairs:,}"),
                ("true positives", f"{overall.true_positives:,}"),
                ("false positives (false links)", f"{overall.false_positives:,}"),
                ("false negatives (missed links)", f"{overall.false_negatives:,}"),
                ("precision", _pct(overall.precision)),
                ("recall", _pct(overall.recall)),
                ("F1", _pct(overall.f1)),
            ]
        ),
    ]


def _cluster_markdown(clusters: ClusterMetrics) -> list[str]:
    return [
        "",
        "## Cluster level",
        "",
        *_measures(
            [
                ("children", f"{clusters.children:,}"),
                ("clusters", f"{clusters.clusters:,}"),
                ("children linked exactly (one cluster, nothing else in it)",
                 f"{clusters.children_exact:,}"),
                ("exact-match rate", _pct(clusters.exact_match_rate)),
                ("children split across clusters (missed links)", f"{clusters.children_split:,}"),
                ("clusters holding more than one child (false merges)",
                 f"{clusters.clusters_merged:,}"),
                ("B-cubed precision", _pct(clusters.bcubed_precision)),
                ("B-cubed recall", _pct(clusters.bcubed_recall)),
                ("B-cubed F1", _pct(clusters.bcubed_f1)),
            ]
        ),
    ]  # fmt: skip


def _blocking_markdown(blocking: BlockingMetrics | None) -> list[str]:
    lines = ["", "## Blocking", ""]
    if blocking is None:
        return [*lines, "No candidate pairs were given, so blocking recall was not measured."]
    return lines + _measures(
        [
            ("candidate pairs", f"{blocking.candidate_pairs:,}"),
            ("true pairs among them", f"{blocking.true_pairs_found:,}"),
            ("blocking recall (share of true pairs ever compared)", _pct(blocking.recall)),
        ]
    )


def _group_markdown(rows: tuple[GroupRow, ...], chart: str | None) -> list[str]:
    header = ["ethnic group", "children", "records", "true pairs", "recall", "gap (pp)",
              "precision", "F1", "missed links", "false links", "children split",
              "blocking recall"]  # fmt: skip
    body = [
        [row.group, f"{row.children:,}", f"{row.records:,}", f"{row.pairs.true_pairs:,}",
         _pct(row.pairs.recall), _pp(row.recall_gap_pp), _pct(row.pairs.precision),
         _pct(row.pairs.f1), f"{row.pairs.false_negatives:,}", f"{row.pairs.false_positives:,}",
         f"{row.children_split:,}", _pct(row.blocking_recall)]
        for row in rows
    ]  # fmt: skip
    image = [f"![Recall by ethnic group]({chart})", ""] if chart else []
    return [
        "",
        "## By ethnic group",
        "",
        *image,
        "Worst recall gap first. The group is the true child's. Recall counts that child's "
        "true pairs; precision counts predicted pairs with at least one record of a child in "
        "the group. Small groups give unstable rates: read the counts alongside.",
        "",
        *_table(header, body),
    ]


def _source_pair_markdown(rows: tuple[SourcePairRow, ...]) -> list[str]:
    header = ["source pair", "true pairs", "predicted pairs", "recall", "precision", "F1",
              "missed links", "false links", "blocking recall"]  # fmt: skip
    body = [
        [row.label, f"{row.pairs.true_pairs:,}", f"{row.pairs.predicted_pairs:,}",
         _pct(row.pairs.recall), _pct(row.pairs.precision), _pct(row.pairs.f1),
         f"{row.pairs.false_negatives:,}", f"{row.pairs.false_positives:,}",
         _pct(row.blocking_recall)]
        for row in rows
    ]  # fmt: skip
    return [
        "",
        "## By source pair",
        "",
        "Pairs with one record from each source system (a system paired with itself: records "
        "within one system).",
        "",
        *_table(header, body),
        "",
    ]
