"""Reviewers' actions on linkage: decide a pair, merge persons, split a record off its person.

Every decision is stored (superseding earlier decisions on the same pair), overrides the model
on every later linkage run (see ``linkage.persist.load_decisions``) and is applied at once:

- "same" (``decide_pair``): the two records' persons are re-clustered together and the joined
  cluster takes the lower person id;
- "not_same" (``decide_pair``): if the two records share a person, that person's records are
  re-clustered from their stored links and all decisions; the first record's cluster keeps
  the person, the second record's (and anything else cut off) gets a new person;
- ``merge_persons``: "same" decisions between the persons' representative records (each
  person's lowest record id), so the merge survives re-linking; all records go to the lowest
  person id;
- ``split_record``: "not_same" decisions between the record and the rest of its person; the
  record becomes a person on its own.

Each action writes its audit entry (ids and counts) in the same transaction: no audit, no
action.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine

from wholechild.actions.audit import record_audit
from wholechild.errors import UserError
from wholechild.linkage.clusters import ClusterKey, Pair, RecordId, cluster
from wholechild.linkage.persist import (
    Decision,
    choose_persons,
    existing_records,
    linked_pairs,
    load_decisions,
    move_records,
    new_persons,
    persons_of,
    record_decisions,
    records_of_persons,
)

__all__ = ["ReviewOutcome", "decide_pair", "merge_persons", "split_record"]

log = logging.getLogger(__name__)
DECISIONS = ("same", "not_same")


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """The decisions stored, and each record whose person changed with its new person."""

    decision_ids: tuple[int, ...]
    moved: dict[RecordId, int]


def decide_pair(
    engine: Engine,
    *,
    record_l: str,
    record_r: str,
    decision: str,
    reviewer: str,
    reason: str,
    purpose: str,
) -> ReviewOutcome:
    """Record a reviewer's decision that two source records are ("same") or are not
    ("not_same") the same child, close the pair's review item and apply the decision now."""
    first, second = _record_ids([record_l, record_r])
    _check_decision(first, second, decision, reason)
    with engine.begin() as conn:
        _require_records(conn, [first, second])
        ids = record_decisions(
            conn,
            [(first, second)],
            decision=cast(Decision, decision),
            reviewer=reviewer,
            reason=reason,
            action="decide_pair",
        )
        moved = _apply(conn, first, second, decision)
        record_audit(
            conn,
            actor=reviewer,
            purpose=purpose,
            action="linkage.decide_pair",
            target_type="review_decision",
            target_id=str(ids[0]),
            details={"decision": decision, **_moved_counts(moved)},
        )
    log.info("decision %s (%s): %s records moved", ids[0], decision, len(moved))
    return ReviewOutcome(tuple(ids), moved)


def merge_persons(
    engine: Engine, *, person_ids: Collection[int], actor: str, reason: str, purpose: str
) -> ReviewOutcome:
    """Make these persons one (the lowest id), recorded as "same" decisions between their
    representative records so that every later linkage run keeps them together."""
    persons = sorted(set(person_ids))
    if len(persons) < 2:
        raise UserError("merging needs two or more different persons", fix="name the persons")
    _require_reason(reason)
    with engine.begin() as conn:
        records = _records_of_each(conn, persons)
        _refuse_conflicts(conn, records)
        target, others = persons[0], persons[1:]
        pairs = [(records[target][0], records[p][0]) for p in others]
        ids = record_decisions(
            conn, pairs, decision="same", reviewer=actor, reason=reason, action="merge_persons"
        )
        moved = {r: target for p in others for r in records[p]}
        move_records(conn, moved)
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="linkage.merge_persons",
            target_type="person",
            target_id=str(target),
            details={"merged_persons": persons, "decisions": len(ids), **_moved_counts(moved)},
        )
    log.info("merged persons %s into %s: %s records moved", others, target, len(moved))
    return ReviewOutcome(tuple(ids), moved)


def split_record(
    engine: Engine, *, record_id: str, actor: str, reason: str, purpose: str
) -> ReviewOutcome:
    """Make a source record a person on its own, recorded as "not_same" decisions between it
    and every other record of its person so that later linkage runs keep it apart."""
    (record,) = _record_ids([record_id])
    _require_reason(reason)
    with engine.begin() as conn:
        person = _person_of(conn, record)
        others = [r for r in records_of_persons(conn, [person])[person] if r != record]
        if not others:
            raise UserError(
                f"source record {record} is already a person on its own (person {person})",
                fix="nothing to split",
            )
        ids = record_decisions(
            conn,
            [(record, other) for other in others],
            decision="not_same",
            reviewer=actor,
            reason=reason,
            action="split_record",
        )
        moved = {record: new_persons(conn, 1)[0]}
        move_records(conn, moved)
        record_audit(
            conn,
            actor=actor,
            purpose=purpose,
            action="linkage.split_record",
            target_type="source_record",
            target_id=record,
            details={"from_person": person, "decisions": len(ids), **_moved_counts(moved)},
        )
    log.info("split record %s from person %s into %s", record, person, moved[record])
    return ReviewOutcome(tuple(ids), moved)


# -- applying a pair decision ----------------------------------------------------------------


def _apply(conn: Connection, first: RecordId, second: RecordId, decision: str) -> dict[str, int]:
    """Re-cluster the records of the two records' persons and move whatever changed."""
    before = persons_of(conn, [first, second])
    was_first, was_second = before.get(first), before.get(second)
    together = was_first is not None and was_first == was_second
    if (decision == "same") == together:
        return {}  # already as decided
    involved = {p for p in (was_first, was_second) if p is not None}
    records = sorted({first, second}.union(*records_of_persons(conn, involved).values()))
    must, cannot = load_decisions(conn)
    clusters = cluster(records, linked_pairs(conn, records), must, cannot)
    if decision == "same":
        joined = clusters[first] == clusters[second]
        anchor = (clusters[first], min(involved, default=None)) if joined else None
    else:
        anchor = (clusters[first], was_first)
    current = persons_of(conn, records)
    persons = _persons_for(conn, clusters, current, anchor)
    moved = {r: p for r, p in persons.items() if current.get(r) != p}
    move_records(conn, moved)
    return moved


def _persons_for(
    conn: Connection,
    clusters: dict[RecordId, ClusterKey],
    current: dict[RecordId, int],
    anchor: tuple[ClusterKey, int | None] | None,
) -> dict[RecordId, int]:
    """Each record's person: the anchor cluster takes the anchor person; the other clusters
    choose by the usual rule among the remaining persons; any left over get new persons."""
    rest, current_rest = clusters, current
    if anchor is not None:
        rest = {r: k for r, k in clusters.items() if k != anchor[0]}
        current_rest = {r: p for r, p in current.items() if p != anchor[1]}
    chosen = choose_persons(rest, current_rest)
    if anchor is not None:
        chosen[anchor[0]] = anchor[1]
    unclaimed = sorted(key for key, person in chosen.items() if person is None)
    chosen.update(zip(unclaimed, new_persons(conn, len(unclaimed)), strict=True))
    return {r: _known(chosen[k]) for r, k in clusters.items()}


def _known(person: int | None) -> int:
    assert person is not None
    return person


# -- checks, in the user's words -------------------------------------------------------------


def _record_ids(values: Iterable[str]) -> list[RecordId]:
    ids, bad = [], []
    for value in values:
        try:
            ids.append(uuid.UUID(str(value)).hex)
        except ValueError:
            bad.append(repr(value))
    if bad:
        raise UserError(
            f"not a source record id: {', '.join(bad)}",
            fix="give source record ids as 32 hexadecimal characters (uuid)",
        )
    return ids


def _check_decision(first: RecordId, second: RecordId, decision: str, reason: str) -> None:
    problems = []
    if first == second:
        problems.append("the two records are the same record")
    if decision not in DECISIONS:
        problems.append(f"decision must be 'same' or 'not_same' (got {decision!r})")
    if not reason.strip():
        problems.append("a decision needs a reason")
    if problems:
        raise UserError("; ".join(problems), fix="correct the decision and submit it again")


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise UserError("a reason is required", fix="say why, for the audit trail")


def _require_records(conn: Connection, records: list[RecordId]) -> None:
    found = existing_records(conn, records)
    missing = [r for r in records if r not in found]
    if missing:
        raise UserError(
            f"no source record {', '.join(missing)}", fix="check the record ids in the queue"
        )


def _person_of(conn: Connection, record: RecordId) -> int:
    person = persons_of(conn, [record]).get(record)
    if person is None:
        _require_records(conn, [record])
        raise UserError(
            f"source record {record} is not linked to a person yet", fix="run linkage first"
        )
    return person


def _records_of_each(conn: Connection, persons: list[int]) -> dict[int, list[RecordId]]:
    records = records_of_persons(conn, persons)
    empty = [str(p) for p in persons if p not in records]
    if empty:
        raise UserError(
            f"person(s) {', '.join(empty)} have no source records (or do not exist)",
            fix="merge persons that have records",
        )
    return records


def _refuse_conflicts(conn: Connection, records: dict[int, list[RecordId]]) -> None:
    """Refuse a merge that a standing "not_same" decision forbids, naming every such pair."""
    person_of = {r: p for p, rs in records.items() for r in rs}
    _, cannot = load_decisions(conn)
    conflicts: list[Pair] = [
        (left, right)
        for left, right in cannot
        if left in person_of and right in person_of and person_of[left] != person_of[right]
    ]
    if conflicts:
        named = "; ".join(f"{left} and {right}" for left, right in conflicts)
        raise UserError(
            f"{len(conflicts)} reviewer decision(s) say these records are not the same child: "
            f"{named}",
            fix="decide those pairs again ('same') before merging, or merge fewer persons",
        )


def _moved_counts(moved: dict[RecordId, int]) -> dict[str, Any]:
    return {"records_moved": len(moved), "to_persons": sorted(set(moved.values()))}
