"""Clusters: which source records are one child, from links and reviewers' decisions.

A *cluster* is a set of source records linked into one person. It is built from:

- *links*: scored pairs at or above the upper threshold, as ``(record_l, record_r, match_weight)``;
- *must-links*: pairs a reviewer decided are the same child;
- *cannot-links*: pairs a reviewer decided are not the same child.

Without cannot-links a cluster is a connected component of the graph of links and must-links.
With them, edges are taken in order (must-links first, then links strongest first) and an edge
is accepted only if joining its two clusters would not put a cannot-link pair together. So a
reviewer's "not the same child" always wins over the model, and over a chain of "same child"
decisions that would contradict it.

*Exclusive labels* say that a cluster may hold at most one record carrying each label: a source
system that keys its records by child (an LA child id, a PatientID) holds each child once, so two
of its records are two children by its own account. Links that would break this are refused,
strongest links first; a reviewer's "same child" (a duplicate registration) still joins them.

Each cluster is named by its *cluster key*: the smallest record id in it. Pure: no storage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter
from typing import Any, Protocol

RecordId = str
ClusterKey = str
Pair = tuple[RecordId, RecordId]
WeightedPair = tuple[RecordId, RecordId, float]

__all__ = [
    "ClusterKey",
    "Pair",
    "RecordId",
    "ScoredPairs",
    "WeightedPair",
    "accepted_pairs",
    "cluster",
]


class ScoredPairs(Protocol):
    """The scored pairs as the engine gives them (a pandas DataFrame): columns by name."""

    @property
    def columns(self) -> Any: ...

    def __getitem__(self, column: str, /) -> Any: ...


def accepted_pairs(scored_pairs: ScoredPairs, threshold: float) -> list[WeightedPair]:
    """The scored pairs with ``match_probability >= threshold``, as weighted pairs."""
    columns = zip(
        scored_pairs["unique_id_l"].astype(str).tolist(),
        scored_pairs["unique_id_r"].astype(str).tolist(),
        scored_pairs["match_weight"].astype(float).tolist(),
        scored_pairs["match_probability"].astype(float).tolist(),
        strict=True,
    )
    return [(left, right, weight) for left, right, weight, p in columns if p >= threshold]


def cluster(
    record_ids: Iterable[RecordId],
    pairs: Iterable[WeightedPair],
    must_link: Iterable[Pair] = (),
    cannot_link: Iterable[Pair] = (),
    exclusive: Mapping[RecordId, str] | None = None,
) -> dict[RecordId, ClusterKey]:
    """Each record's cluster key (every record gets one; an unlinked record is its own).

    ``pairs`` must only name records in ``record_ids``; decisions naming other records are
    ignored (decisions are kept for the whole store, a run may cluster part of it).

    Fast path: connected components first; only a component that would hold a cannot-link pair
    is rebuilt edge by edge (must-links first, then links strongest first).
    """
    ids = list(dict.fromkeys(record_ids))
    index = {record_id: i for i, record_id in enumerate(ids)}
    musts = _known_pairs(index, must_link)
    links = _weighted_indices(index, pairs)
    if exclusive:
        return _cluster_keys(ids, _exclusive(ids, index, exclusive, musts, cannot_link, links).find)
    components = _Forest(len(ids))
    for a, b in musts:
        components.join(a, b)
    for a, b, _ in links:
        components.join(a, b)
    apart = [(a, b) for a, b in _known_pairs(index, cannot_link) if components.same(a, b)]
    if not apart:
        return _cluster_keys(ids, components.find)
    return _cluster_keys(ids, _rebuild(ids, components, apart, musts, links).find)


def _rebuild(
    ids: list[RecordId],
    components: _Forest,
    apart: list[tuple[int, int]],
    musts: list[tuple[int, int]],
    links: list[tuple[int, int, float]],
) -> _Forest:
    """Clusters honouring cannot-links: components holding none are kept as they are."""
    conflicted = {components.find(a) for a, _ in apart}
    forest = _Forest(len(ids))
    for a, b in apart:
        forest.keep_apart(a, b)
    ordered: list[tuple[RecordId, RecordId, float, int, int]] = []
    for a, b, weight in links:
        if components.find(a) in conflicted:
            ordered.append((min(ids[a], ids[b]), max(ids[a], ids[b]), weight, a, b))
        else:
            forest.join(a, b)
    for a, b in musts:
        forest.join(a, b)
    ordered.sort()  # ties in record-id order, then (a stable sort) strongest first:
    ordered.sort(key=itemgetter(2), reverse=True)
    for _, _, _, a, b in ordered:
        forest.join(a, b)
    return forest


def _exclusive(
    ids: list[RecordId],
    index: dict[RecordId, int],
    exclusive: Mapping[RecordId, str],
    musts: list[tuple[int, int]],
    cannot_link: Iterable[Pair],
    links: list[tuple[int, int, float]],
) -> _Forest:
    """Edge by edge: must-links first (they override labels), then links strongest first."""
    forest = _Forest(len(ids))
    forest.labels = {index[r]: {label} for r, label in exclusive.items() if r in index}
    for a, b in _known_pairs(index, cannot_link):
        forest.keep_apart(a, b)
    for a, b in musts:
        forest.join(a, b, override_labels=True)
    ordered = sorted(
        ((min(ids[a], ids[b]), max(ids[a], ids[b]), weight, a, b) for a, b, weight in links)
    )
    ordered.sort(key=itemgetter(2), reverse=True)
    for _, _, _, a, b in ordered:
        forest.join(a, b)
    return forest


def _known_pairs(index: dict[RecordId, int], pairs: Iterable[Pair]) -> list[tuple[int, int]]:
    """Decision pairs between known records, in record-id order (never the input's order)."""
    known = {
        (min(left, right), max(left, right))
        for left, right in pairs
        if left in index and right in index and left != right
    }
    return [(index[left], index[right]) for left, right in sorted(known)]


def _weighted_indices(
    index: dict[RecordId, int], pairs: Iterable[WeightedPair]
) -> list[tuple[int, int, float]]:
    try:
        return [(index[left], index[right], weight) for left, right, weight in pairs]
    except KeyError as exc:
        raise ValueError(f"a scored pair names record {exc.args[0]} not in record_ids") from None


def _cluster_keys(ids: list[RecordId], find: Callable[[int], int]) -> dict[RecordId, ClusterKey]:
    roots = [find(i) for i in range(len(ids))]
    keys: dict[int, RecordId] = {}
    for record_id, root in zip(ids, roots, strict=True):
        best = keys.get(root)
        if best is None or record_id < best:
            keys[root] = record_id
    return {record_id: keys[root] for record_id, root in zip(ids, roots, strict=True)}


class _Forest:
    """Union-find (path compression, union by size) that refuses joins across cannot-links.

    ``apart[root]`` holds the records that the cluster rooted at ``root`` must never contain;
    only clusters touched by a cannot-link have an entry, so the common case costs nothing.
    """

    __slots__ = ("apart", "labels", "parent", "size")

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.apart: dict[int, set[int]] = {}
        self.labels: dict[int, set[str]] = {}  # root -> exclusive labels its cluster holds

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def same(self, a: int, b: int) -> bool:
        return self.find(a) == self.find(b)

    def keep_apart(self, a: int, b: int) -> None:
        self.apart.setdefault(self.find(a), set()).add(b)
        self.apart.setdefault(self.find(b), set()).add(a)

    def join(self, a: int, b: int, *, override_labels: bool = False) -> bool:
        """Join the clusters of ``a`` and ``b`` unless a cannot-link (or a shared exclusive
        label, unless overridden) forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.apart and self._forbidden(ra, rb):
            return False
        if self.labels and not override_labels and self._clash(ra, rb):
            return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        moved = self.apart.pop(rb, None)
        if moved:
            self.apart.setdefault(ra, set()).update(moved)
        labels = self.labels.pop(rb, None)
        if labels:
            self.labels.setdefault(ra, set()).update(labels)
        return True

    def _clash(self, ra: int, rb: int) -> bool:
        side_a, side_b = self.labels.get(ra), self.labels.get(rb)
        return bool(side_a and side_b and not side_a.isdisjoint(side_b))

    def _forbidden(self, ra: int, rb: int) -> bool:
        side_a, side_b = self.apart.get(ra), self.apart.get(rb)
        if not side_a or not side_b:
            return False  # a cannot-link always marks both of its sides
        smaller, other = (side_a, rb) if len(side_a) <= len(side_b) else (side_b, ra)
        return any(self.find(x) == other for x in smaller)
