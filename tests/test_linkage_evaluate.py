"""Linkage-quality evaluation: hand-worked examples, and the fast counts against brute force."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholechild.errors import UserError
from wholechild.linkage.chart import recall_by_group_svg, write_report
from wholechild.linkage.evaluate import EvaluationReport, GroupRow, PairMetrics, evaluate

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Rec:
    """One source record in a hand-built example."""

    uid: str
    cluster: str
    child: str
    group: str
    source: str


def frames(records: list[Rec]) -> tuple[pd.DataFrame, pd.DataFrame]:
    clusters = pd.DataFrame(
        {"unique_id": [r.uid for r in records], "cluster_id": [r.cluster for r in records]}
    )
    truth = pd.DataFrame(
        {
            "unique_id": [r.uid for r in records],
            "true_id": [r.child for r in records],
            "group": [r.group for r in records],
            "source_system": [r.source for r in records],
        }
    )
    return clusters, truth


def candidates(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["unique_id_l", "unique_id_r"])


def group_row(report: EvaluationReport, group: str) -> GroupRow:
    return next(row for row in report.by_group if row.group == group)


def source_pair(report: EvaluationReport, a: str, b: str) -> PairMetrics:
    return next(row.pairs for row in report.by_source_pair if row.source_pair == (a, b))


# The worked example. Child A (White British) is linked, but child B's school record is wrongly
# merged into A's cluster; child C is linked. Counts worked by hand:
#   true pairs  r1-r2 (A, health×school), r3-r4 (B, health×school), r5-r6 (C, health×police)
#   predicted   cluster 1 {r1, r2, r4}: r1-r2, r1-r4, r2-r4; cluster 3 {r5, r6}: r5-r6
#   true positives r1-r2, r5-r6
WB, PK = "White British", "Pakistani"
WORKED = [
    Rec("r1", "k1", "A", WB, "health"),
    Rec("r2", "k1", "A", WB, "school"),
    Rec("r3", "k2", "B", PK, "health"),
    Rec("r4", "k1", "B", PK, "school"),
    Rec("r5", "k3", "C", PK, "health"),
    Rec("r6", "k3", "C", PK, "police"),
]
WORKED_CANDIDATES = [("r2", "r1"), ("r1", "r2"), ("r3", "r3"), ("r3", "r5"), ("r6", "r5")]


@pytest.fixture
def worked() -> EvaluationReport:
    return evaluate(*frames(WORKED), candidates(WORKED_CANDIDATES))


def test_a_perfect_clustering_scores_one_everywhere() -> None:
    records = [Rec(f"r{i}", f"k{i // 3}", f"c{i // 3}", WB, "health") for i in range(9)]
    report = evaluate(*frames(records))
    assert (report.overall.precision, report.overall.recall, report.overall.f1) == (1, 1, 1)
    assert report.overall.true_positives == report.overall.true_pairs == 9
    assert report.clusters.children_exact == 3 and report.clusters.exact_match_rate == 1
    assert report.clusters.bcubed_f1 == pytest.approx(1.0)
    assert report.clusters.children_split == report.clusters.clusters_merged == 0


def test_merging_two_singleton_children_is_one_false_positive() -> None:
    records = [
        Rec("a", "k1", "A", WB, "health"),
        Rec("b", "k1", "B", WB, "school"),
        Rec("c1", "k2", "C", WB, "health"),
        Rec("c2", "k2", "C", WB, "school"),
    ]
    report = evaluate(*frames(records))
    overall = report.overall
    assert (overall.true_positives, overall.false_positives, overall.false_negatives) == (1, 1, 0)
    assert overall.precision == 0.5 and overall.recall == 1.0
    assert report.clusters.clusters_merged == 1
    assert report.clusters.children_exact == 1  # only C: A and B share a cluster


def test_splitting_one_child_gives_exact_missed_links() -> None:
    records = [
        Rec("a1", "k1", "A", WB, "health"),
        Rec("a2", "k1", "A", WB, "school"),
        Rec("a3", "k2", "A", WB, "police"),
    ]
    report = evaluate(*frames(records))
    assert (report.overall.true_pairs, report.overall.false_negatives) == (3, 2)
    assert report.overall.false_positives == 0
    assert report.overall.recall == pytest.approx(1 / 3)
    assert report.clusters.children_split == 1 and report.clusters.children_exact == 0


def test_worked_example_overall_and_cluster_level(worked: EvaluationReport) -> None:
    assert (worked.overall.true_pairs, worked.overall.predicted_pairs) == (3, 4)
    assert worked.overall.true_positives == 2
    assert worked.overall.precision == 0.5 and worked.overall.recall == pytest.approx(2 / 3)
    clusters = worked.clusters
    assert (clusters.children, clusters.clusters, clusters.children_exact) == (3, 3, 1)
    assert (clusters.children_split, clusters.clusters_merged) == (1, 1)
    # B-cubed precision: r1, r2 2/3; r4 1/3; r3, r5, r6 1. Recall: r3, r4 1/2; the rest 1.
    assert clusters.bcubed_precision == pytest.approx(7 / 9)
    assert clusters.bcubed_recall == pytest.approx(5 / 6)


def test_worked_example_by_group(worked: EvaluationReport) -> None:
    assert [row.group for row in worked.by_group] == [PK, WB]  # worst recall gap first
    pakistani, white = group_row(worked, PK), group_row(worked, WB)
    # Pakistani: true pairs r3-r4, r5-r6; linked r5-r6; predicted touching the group r1-r4,
    # r2-r4, r5-r6.
    assert (pakistani.pairs.true_pairs, pakistani.pairs.true_positives) == (2, 1)
    assert pakistani.pairs.predicted_pairs == 3 and pakistani.pairs.false_positives == 2
    assert pakistani.recall_gap_pp == pytest.approx((0.5 - 2 / 3) * 100)
    assert (pakistani.children, pakistani.records, pakistani.children_split) == (2, 4, 1)
    # White British: r1-r2 linked; predicted touching the group: all three in cluster 1.
    assert white.pairs.recall == 1.0 and white.pairs.precision == pytest.approx(1 / 3)
    assert white.recall_gap_pp == pytest.approx(100 / 3)


def test_worked_example_by_source_pair(worked: EvaluationReport) -> None:
    health_school = source_pair(worked, "health", "school")
    assert (health_school.true_pairs, health_school.predicted_pairs) == (2, 2)
    assert health_school.true_positives == 1
    assert source_pair(worked, "health", "police").recall == 1.0
    school_school = source_pair(worked, "school", "school")
    assert (school_school.true_pairs, school_school.false_positives) == (0, 1)
    assert worked.by_source_pair[0].label == "health × police"


def test_blocking_recall_normalises_pair_order_and_ignores_self_pairs(
    worked: EvaluationReport,
) -> None:
    assert worked.blocking is not None
    assert worked.blocking.candidate_pairs == 3  # r1-r2 (twice, both orders), r3-r5, r5-r6
    assert worked.blocking.true_pairs_found == 2
    assert worked.blocking.recall == pytest.approx(2 / 3)
    assert group_row(worked, PK).blocking_recall == 0.5
    assert group_row(worked, WB).blocking_recall == 1.0
    assert next(r for r in worked.by_source_pair if r.label == "health × school").blocking_recall


def test_without_candidate_pairs_blocking_is_not_measured() -> None:
    report = evaluate(*frames(WORKED))
    assert report.blocking is None
    assert all(row.blocking_recall is None for row in report.by_group)
    assert "blocking recall was not measured" in report.to_markdown()


def test_records_missing_from_either_side_are_all_reported() -> None:
    clusters, truth = frames(WORKED)
    strangers = pd.DataFrame({"unique_id": ["x", "y"], "cluster_id": ["k9", "k9"]})
    clusters = pd.concat([clusters.iloc[1:], strangers])
    with pytest.raises(UserError) as raised:
        evaluate(clusters, truth)
    message = str(raised.value)
    assert "2 of 7 clustered records have no truth row" in message
    assert "1 of 6 truth records are in no cluster" in message


def test_candidate_pairs_naming_unknown_records_are_refused() -> None:
    with pytest.raises(UserError, match="1 candidate pair"):
        evaluate(*frames(WORKED), candidates([("r1", "nobody")]))


def test_missing_columns_are_named() -> None:
    clusters, truth = frames(WORKED)
    with pytest.raises(UserError, match="truth lacks column"):
        evaluate(clusters, truth.drop(columns=["group"]))


def test_markdown_has_every_section_and_links_the_chart(worked: EvaluationReport) -> None:
    markdown = worked.to_markdown()
    for heading in (
        "# Linkage quality",
        "## Pairwise (overall)",
        "## Cluster level",
        "## Blocking",
        "## By ethnic group",
        "## By source pair",
    ):
        assert heading in markdown
    assert "![Recall by ethnic group](recall_by_group.svg)" in markdown
    assert "| Pakistani | 2 | 4 | 2 | 50.0% | -16.7 |" in markdown
    assert "| health × school | 2 | 2 | 50.0% | 50.0% |" in markdown


def test_json_is_strict_json_and_carries_the_breakdowns(worked: EvaluationReport) -> None:
    text = json.dumps(worked.to_json(), allow_nan=False)
    data = json.loads(text)
    assert data["overall"]["false_positives"] == 2
    assert [g["group"] for g in data["by_group"]] == [PK, WB]
    assert data["by_source_pair"][0]["source_pair"] == ["health", "police"]
    assert data["blocking"]["true_pairs_found"] == 2


def test_a_group_without_true_pairs_has_no_rate_and_sorts_last() -> None:
    records = [*WORKED, Rec("r7", "k7", "D", "Chinese", "health")]
    report = evaluate(*frames(records))
    last = report.by_group[-1]
    assert last.group == "Chinese" and last.pairs.recall is None and last.recall_gap_pp is None
    assert "| Chinese | 1 | 1 | 0 | n/a | n/a |" in report.to_markdown()


def test_the_chart_is_accessible_svg(worked: EvaluationReport) -> None:
    root = ET.fromstring(recall_by_group_svg(worked))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.findtext(f"{SVG}title") == "Linkage recall by ethnic group"
    assert "Pakistani 50.0%" in (root.findtext(f"{SVG}desc") or "")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {PK, WB, "50.0% of 2 pairs", "Overall 66.7%"} <= set(texts)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 2
    assert "http" not in recall_by_group_svg(worked).replace('xmlns="http://www.w3.org/2000', "")


def test_group_names_are_escaped_in_the_chart() -> None:
    records = [
        Rec("a", "k", "A", "Mixed <& other>", "h"),
        Rec("b", "k", "A", "Mixed <& other>", "h"),
    ]
    root = ET.fromstring(recall_by_group_svg(evaluate(*frames(records))))
    assert "Mixed <& other>" in [t.text for t in root.iter(f"{SVG}text")]


def test_write_report_writes_markdown_chart_and_json(
    worked: EvaluationReport, tmp_path: Path
) -> None:
    markdown = write_report(worked, tmp_path / "out")
    assert markdown.name == "linkage-quality.md"
    assert "(recall_by_group.svg)" in markdown.read_text(encoding="utf-8")
    ET.parse(tmp_path / "out" / "recall_by_group.svg")
    saved = json.loads((tmp_path / "out" / "linkage-quality.json").read_text(encoding="utf-8"))
    assert saved == json.loads(json.dumps(worked.to_json()))


# --- The fast path against brute-force pair enumeration -------------------------------------


def brute_force(records: list[Rec], blocked: list[tuple[str, str]]) -> dict[str, object]:
    """Every number the report gives, by enumerating every pair (the simple reference)."""
    pairs = list(combinations(records, 2))
    true = {(a.uid, b.uid) for a, b in pairs if a.child == b.child}
    predicted = {(a.uid, b.uid) for a, b in pairs if a.cluster == b.cluster}
    by_uid = {r.uid: r for r in records}
    found = {tuple(sorted(p)) for p in blocked if p[0] != p[1]}
    out: dict[str, object] = {
        "overall": (len(true), len(predicted), len(true & predicted)),
        "blocking": (len(found), len({p for p in true if tuple(sorted(p)) in found})),
    }
    for group in {r.group for r in records}:
        g_true = {p for p in true if by_uid[p[0]].group == group}
        g_pred = {p for p in predicted if group in (by_uid[p[0]].group, by_uid[p[1]].group)}
        out[f"group {group}"] = (len(g_true), len(g_pred), len(g_true & g_pred))
    for a, b in combinations(sorted({r.source for r in records}), 2):
        out[f"sources {a}|{b}"] = source_counts(records, true, predicted, a, b)
    for a in {r.source for r in records}:
        out[f"sources {a}|{a}"] = source_counts(records, true, predicted, a, a)
    out.update(brute_force_clusters(records))
    return out


def source_counts(
    records: list[Rec], true: set[tuple[str, str]], pred: set[tuple[str, str]], a: str, b: str
) -> tuple[int, int, int]:
    source = {r.uid: r.source for r in records}
    wanted = {p for p in true | pred if sorted((source[p[0]], source[p[1]])) == [a, b]}
    return len(wanted & true), len(wanted & pred), len(wanted & true & pred)


def brute_force_clusters(records: list[Rec]) -> dict[str, object]:
    members: dict[str, set[str]] = {}
    for r in records:
        members.setdefault(r.cluster, set()).add(r.child)
    homes = {c: {r.cluster for r in records if r.child == c} for c in {r.child for r in records}}
    exact = sum(1 for c, h in homes.items() if len(h) == 1 and members[next(iter(h))] == {c})
    same = {
        r.uid: [s for s in records if s.cluster == r.cluster and s.child == r.child]
        for r in records
    }
    precision = sum(
        len(same[r.uid]) / sum(s.cluster == r.cluster for s in records) for r in records
    ) / len(records)
    recall = sum(
        len(same[r.uid]) / sum(s.child == r.child for s in records) for r in records
    ) / len(records)
    split = sum(len(h) > 1 for h in homes.values())
    merged = sum(len(m) > 1 for m in members.values())
    return {"clusters": (exact, split, merged), "bcubed": (precision, recall)}


def fast(report: EvaluationReport) -> dict[str, object]:
    """The same numbers, read from the report."""
    o, c = report.overall, report.clusters
    assert report.blocking is not None
    out: dict[str, object] = {
        "overall": (o.true_pairs, o.predicted_pairs, o.true_positives),
        "blocking": (report.blocking.candidate_pairs, report.blocking.true_pairs_found),
        "clusters": (c.children_exact, c.children_split, c.clusters_merged),
        "bcubed": (c.bcubed_precision, c.bcubed_recall),
    }
    for row in report.by_group:
        p = row.pairs
        out[f"group {row.group}"] = (p.true_pairs, p.predicted_pairs, p.true_positives)
    for pair in report.by_source_pair:
        p = pair.pairs
        out[f"sources {'|'.join(pair.source_pair)}"] = (
            p.true_pairs,
            p.predicted_pairs,
            p.true_positives,
        )
    return out


@st.composite
def clusterings(draw: st.DrawFn) -> tuple[list[Rec], list[tuple[str, str]]]:
    n = draw(st.integers(min_value=1, max_value=24))
    groups = draw(st.lists(st.sampled_from([WB, PK, "Indian"]), min_size=6, max_size=6))
    records = []
    for i in range(n):
        child = draw(st.integers(0, 5))
        cluster = draw(st.integers(0, 6))
        source = draw(st.sampled_from(["health", "school", "police"]))
        records.append(Rec(f"r{i}", f"k{cluster}", f"c{child}", groups[child], source))
    index = st.integers(0, n - 1)
    blocked = draw(st.lists(st.tuples(index, index), max_size=40))
    return records, [(f"r{a}", f"r{b}") for a, b in blocked]


@settings(max_examples=300, deadline=None)
@given(clusterings())
def test_the_contingency_counts_match_brute_force(
    example: tuple[list[Rec], list[tuple[str, str]]],
) -> None:
    records, blocked = example
    got = fast(evaluate(*frames(records), candidates(blocked)))
    want = brute_force(records, blocked)
    got_bcubed, want_bcubed = got.pop("bcubed"), want.pop("bcubed")
    assert isinstance(got_bcubed, tuple) and isinstance(want_bcubed, tuple)
    assert all(math.isclose(g, w) for g, w in zip(got_bcubed, want_bcubed, strict=True))
    # The report lists only source pairs with some true or predicted pair.
    want = {k: v for k, v in want.items() if not k.startswith("sources") or v[:2] != (0, 0)}
    assert got == want


def test_a_record_without_a_cluster_or_group_is_handled_plainly() -> None:
    clusters, truth = frames(WORKED)
    truth.loc[0, "group"] = None
    report = evaluate(clusters, truth)
    assert "Not recorded" in [row.group for row in report.by_group]
    clusters.loc[0, "cluster_id"] = None
    with pytest.raises(UserError, match="1 record"):
        evaluate(clusters, truth)


def test_nothing_to_evaluate_gives_no_rates_rather_than_errors() -> None:
    report = evaluate(*frames([]), candidates([]))
    assert report.overall.recall is None and report.clusters.exact_match_rate is None
    assert report.blocking is not None and report.blocking.recall is None
    ET.fromstring(recall_by_group_svg(report))
