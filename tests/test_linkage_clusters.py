"""Clustering: which source records are one child.

The rules are written as a table first (for caseworkers and auditors), then checked against a
plain reference (networkx connected components) and as properties over random graphs.
"""

from __future__ import annotations

import itertools

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wholechild.linkage.clusters import Pair, WeightedPair, accepted_pairs, cluster

# -- the rules, as a table ---------------------------------------------------------------------
#
# Records are named by letter. A link is (record, record, match weight) at or above the upper
# threshold. "same"/"not same" are reviewers' decisions. Each row says which records end up as
# one child.

RULES: list[tuple[str, list[WeightedPair], list[Pair], list[Pair], list[str]]] = [
    ("a record with no links is a child on its own", [], [], [], ["a", "b", "c", "d"]),
    ("two linked records are one child", [("a", "b", 9.0)], [], [], ["ab", "c", "d"]),
    (
        "links chain: a-b and b-c make a, b and c one child",
        [("a", "b", 9.0), ("b", "c", 8.0)],
        [],
        [],
        ["abc", "d"],
    ),
    (
        "a reviewer's 'same child' joins records the model did not link",
        [],
        [("a", "d")],
        [],
        ["ad", "b", "c"],
    ),
    (
        "a reviewer's 'not the same child' overrides a link between the two records",
        [("a", "b", 20.0)],
        [],
        [("a", "b")],
        ["a", "b", "c", "d"],
    ),
    (
        "'not the same child' breaks a chain at its weakest link",
        [("a", "b", 12.0), ("b", "c", 7.0), ("c", "d", 15.0)],
        [],
        [("a", "d")],
        ["ab", "cd"],
    ),
    (
        "the weakest link gives way whichever side it is on",
        [("a", "b", 6.0), ("b", "c", 9.0), ("c", "d", 15.0)],
        [],
        [("a", "d")],
        ["a", "bcd"],
    ),
    (
        "'same child' decisions are taken before any link",
        [("b", "c", 30.0)],
        [("a", "b")],
        [("a", "c")],
        ["ab", "c", "d"],
    ),
    (
        "'not the same child' wins over a chain of 'same child' decisions",
        [],
        [("a", "b"), ("b", "c")],
        [("a", "c")],
        ["ab", "c", "d"],
    ),
    (
        "decisions about records outside this run are ignored",
        [("a", "b", 9.0)],
        [("a", "z")],
        [("b", "y")],
        ["ab", "c", "d"],
    ),
]


@pytest.mark.parametrize(
    ("rule", "links", "same", "not_same", "children"), RULES, ids=[r[0] for r in RULES]
)
def test_clustering_rules(
    rule: str,
    links: list[WeightedPair],
    same: list[Pair],
    not_same: list[Pair],
    children: list[str],
) -> None:
    clusters = cluster("abcd", links, same, not_same)
    assert _partition(clusters) == {frozenset(child) for child in children}, rule


def test_a_cluster_is_named_by_its_smallest_record_id() -> None:
    assert cluster(["c", "b", "a"], [("c", "b", 1.0)]) == {"a": "a", "b": "b", "c": "b"}


def test_a_scored_pair_must_name_records_being_clustered() -> None:
    with pytest.raises(ValueError, match="not in record_ids"):
        cluster(["a"], [("a", "b", 1.0)])


def test_accepted_pairs_are_those_at_or_above_the_threshold() -> None:
    scored = pd.DataFrame(
        {
            "unique_id_l": ["a", "b", "c"],
            "unique_id_r": ["b", "c", "d"],
            "match_weight": [10.0, 4.3, 4.2],
            "match_probability": [0.999, 0.95, 0.949],
        }
    )
    assert accepted_pairs(scored, 0.95) == [("a", "b", 10.0), ("b", "c", 4.3)]


# -- against the reference, and as properties ------------------------------------------------

RECORDS = [f"r{i:02d}" for i in range(30)]
record = st.sampled_from(RECORDS)
weighted = st.lists(st.tuples(record, record, st.floats(-5, 30)), max_size=60)
pairs = st.lists(st.tuples(record, record), max_size=8)


@given(links=weighted, same=pairs)
@settings(max_examples=300, deadline=None)
def test_without_not_same_decisions_clusters_are_connected_components(
    links: list[WeightedPair], same: list[Pair]
) -> None:
    graph = nx.Graph()
    graph.add_nodes_from(RECORDS)
    graph.add_edges_from((left, right) for left, right, _ in links)
    graph.add_edges_from(same)
    expected = {frozenset(c) for c in nx.connected_components(graph)}
    assert _partition(cluster(RECORDS, links, same)) == expected


@given(links=weighted, same=pairs, not_same=pairs)
@settings(max_examples=300, deadline=None)
def test_not_same_decisions_are_always_honoured_and_nothing_else_is_split(
    links: list[WeightedPair], same: list[Pair], not_same: list[Pair]
) -> None:
    clusters = cluster(RECORDS, links, same, not_same)
    apart = {frozenset(p) for p in not_same if p[0] != p[1]}
    for left, right in apart:
        assert clusters[left] != clusters[right]
    # Maximal: an edge left out would have put a 'not the same child' pair together.
    members = _members(clusters)
    for left, right in [*((x, y) for x, y, _ in links), *same]:
        if clusters[left] != clusters[right]:
            joined = members[clusters[left]] | members[clusters[right]]
            assert any(p <= joined for p in apart)
    # A refinement of the connected components: never joins records nothing connects.
    unconstrained = cluster(RECORDS, links, same)
    for left, right in itertools.combinations(RECORDS, 2):
        if clusters[left] == clusters[right]:
            assert unconstrained[left] == unconstrained[right]


@given(links=weighted, same=pairs, not_same=pairs, seed=st.randoms())
@settings(max_examples=200, deadline=None)
def test_the_result_does_not_depend_on_the_order_of_the_input(
    links: list[WeightedPair], same: list[Pair], not_same: list[Pair], seed: object
) -> None:
    shuffled = [list(x) for x in (RECORDS, links, same, not_same)]
    for items in shuffled:
        seed.shuffle(items)  # type: ignore[attr-defined]
    flipped = [(right, left, w) for left, right, w in shuffled[1]]
    expected = cluster(RECORDS, links, same, not_same)
    assert cluster(shuffled[0], flipped, shuffled[2], shuffled[3]) == expected


def _partition(clusters: dict[str, str]) -> set[frozenset[str]]:
    return {frozenset(m) for m in _members(clusters).values()}


def _members(clusters: dict[str, str]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for record_id, key in clusters.items():
        members.setdefault(key, set()).add(record_id)
    return members


# A keyed source system holds each child once ("exclusive labels").
EXCLUSIVE_SPEC = [
    # (links strongest first, labels, expected clusters, what it shows)
    (
        [("h1", "s1", 9.0), ("h2", "s1", 5.0)],
        {"h1": "health", "h2": "health"},
        [{"h1", "s1"}, {"h2"}],
        "two health records are two children: the weaker link to the school record loses",
    ),
    (
        [("h1", "s1", 9.0), ("s1", "c1", 8.0)],
        {"h1": "health", "c1": "cin"},
        [{"h1", "s1", "c1"}],
        "records from different keyed systems join freely",
    ),
    (
        [("p1", "p2", 7.0)],
        {},
        [{"p1", "p2"}],
        "records with no key (two police notifications) may be one child",
    ),
]


@pytest.mark.parametrize(("links", "labels", "expected", "why"), EXCLUSIVE_SPEC)
def test_exclusive_labels(
    links: list[tuple[str, str, float]],
    labels: dict[str, str],
    expected: list[set[str]],
    why: str,
) -> None:
    ids = sorted({r for a, b, _ in links for r in (a, b)})
    keys = cluster(ids, links, exclusive=labels)
    got = sorted(sorted(r for r in ids if keys[r] == k) for k in set(keys.values()))
    assert got == sorted(sorted(c) for c in expected), why


def test_a_reviewer_can_join_two_records_of_one_system() -> None:
    keys = cluster(["h1", "h2"], [], must_link=[("h1", "h2")], exclusive={"h1": "x", "h2": "x"})
    assert keys["h1"] == keys["h2"]
