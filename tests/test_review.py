"""Reviewers' actions: decisions on pairs, merging persons, splitting a record off.

Each decision is applied at once, persists, and overrides the model on every later linkage
run; each action is audited in its own transaction (no audit, no action). Each test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select

from test_linkage_persist import (
    add_event,
    add_records,
    count,
    groups,
    persons,
    review_queue,
    run,
    scored,
)
from wholechild.actions import review
from wholechild.actions.review import decide_pair, merge_persons, split_record
from wholechild.errors import UserError
from wholechild.storage.schema import AuditEvent, Event, Person, ReviewDecision

PURPOSE = "linkage review"


def decide(engine: Engine, left: str, right: str, decision: str) -> review.ReviewOutcome:
    return decide_pair(
        engine,
        record_l=left,
        record_r=right,
        decision=decision,
        reviewer="reviewer@council",
        reason="checked with the school",
        purpose=PURPOSE,
    )


def test_same_merges_the_two_persons_into_the_lower_id(store: Engine) -> None:
    a, b, c, d = add_records(store, 4)
    pairs = scored([(a, b, 0.99), (c, d, 0.99), (b, c, 0.8)])
    run(store, [a, b, c, d], pairs)
    before = persons(store)
    assert review_queue(store) == {(b, c)}
    add_event(store, record=d)
    outcome = decide(store, b, c, "same")
    after = persons(store)
    assert set(after.values()) == {min(before.values())}
    assert outcome.moved == {r: after[r] for r in after if before[r] != after[r]}
    assert review_queue(store) == set()
    with store.connect() as conn:
        assert conn.execute(select(Event.person_id)).scalar_one() == after[d]
        entry = conn.execute(select(AuditEvent).where(AuditEvent.actor != "linkage-job")).one()
    assert (entry.action, entry.target_id) == ("linkage.decide_pair", str(outcome.decision_ids[0]))
    assert entry.details["records_moved"] == 2


def test_not_same_splits_the_second_record_and_what_goes_with_it(store: Engine) -> None:
    a, b, c, d, e = add_records(store, 5)
    pairs = scored([(a, b, 0.999), (b, c, 0.96), (c, d, 0.999), (a, e, 0.97)])
    run(store, [a, b, c, d, e], pairs)
    (person,) = set(persons(store).values())
    outcome = decide(store, a, d, "not_same")
    after = persons(store)
    assert groups(after) == {frozenset({a, b, e}), frozenset({c, d})}
    assert after[a] == person  # the first record's part keeps the person
    assert after[d] not in (person, None)
    assert set(outcome.moved) == {c, d}


@pytest.mark.parametrize("decision", ["same", "not_same"])
def test_decisions_survive_every_later_run_with_stable_ids(store: Engine, decision: str) -> None:
    a, b, c = add_records(store, 3)
    model_says = 0.99 if decision == "not_same" else 0.6  # the model disagrees with the reviewer
    pairs = scored([(a, b, model_says), (b, c, 0.99)])
    run(store, [a, b, c], pairs)
    decide(store, a, b, decision)
    decided = persons(store)
    run(store, [a, b, c], pairs)
    run(store, [a, b, c], pairs, mode="incremental")
    assert persons(store) == decided
    apart = {frozenset({a}), frozenset({b, c})}
    assert groups(decided) == (apart if decision == "not_same" else {frozenset({a, b, c})})


def test_a_later_decision_supersedes_an_earlier_one(store: Engine) -> None:
    a, b = add_records(store, 2)
    pairs = scored([(a, b, 0.99)])
    run(store, [a, b], pairs)
    first = decide(store, a, b, "not_same")
    assert len(groups(persons(store))) == 2
    second = decide(store, b, a, "same")
    assert len(groups(persons(store))) == 1
    with store.connect() as conn:
        rows = conn.execute(select(ReviewDecision.id, ReviewDecision.superseded_by)).all()
    assert sorted(rows) == [
        (first.decision_ids[0], second.decision_ids[0]),
        (second.decision_ids[0], None),
    ]
    run(store, [a, b], pairs)
    assert len(groups(persons(store))) == 1


def test_merge_persons_survives_relinking(store: Engine) -> None:
    a, b, c, d, e = add_records(store, 5)
    pairs = scored([(a, b, 0.99), (c, d, 0.99)])
    run(store, [a, b, c, d, e], pairs)
    before = persons(store)
    targets = sorted({before[a], before[c], before[e]})
    outcome = merge_persons(
        store, person_ids=targets, actor="dpo@council", reason="one child", purpose=PURPOSE
    )
    assert groups(persons(store)) == {frozenset({a, b, c, d, e})}
    assert set(persons(store).values()) == {targets[0]}
    assert len(outcome.decision_ids) == 2
    run(store, [a, b, c, d, e], pairs)
    assert set(persons(store).values()) == {targets[0]}


def test_split_record_survives_relinking(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    pairs = scored([(a, b, 0.99), (b, c, 0.99), (a, c, 0.99)])
    run(store, [a, b, c], pairs)
    person = persons(store)[a]
    outcome = split_record(
        store, record_id=b, actor="dpo@council", reason="not this child", purpose=PURPOSE
    )
    after = persons(store)
    assert (after[a], after[c]) == (person, person)
    assert after[b] == outcome.moved[b] != person
    run(store, [a, b, c], pairs)
    assert persons(store) == after


def test_a_merge_against_a_standing_not_same_decision_is_refused(store: Engine) -> None:
    a, b = add_records(store, 2)
    run(store, [a, b], scored([(a, b, 0.99)]))
    decide(store, a, b, "not_same")
    before = persons(store)
    with pytest.raises(UserError, match="not the same child") as raised:
        merge_persons(
            store, person_ids=set(before.values()), actor="x", reason="y", purpose=PURPOSE
        )
    assert f"{a} and {b}" in str(raised.value)
    assert persons(store) == before


def test_every_problem_with_a_decision_is_reported_at_once(store: Engine) -> None:
    (a,) = add_records(store, 1)
    with pytest.raises(UserError) as raised:
        decide_pair(
            store,
            record_l=a,
            record_r=a,
            decision="maybe",
            reviewer="r",
            reason=" ",
            purpose=PURPOSE,
        )
    message = str(raised.value)
    for problem in ("same record", "'same' or 'not_same'", "needs a reason"):
        assert problem in message
    with pytest.raises(UserError, match="not a source record id"):
        decide(store, a, "not-an-id", "same")
    with pytest.raises(UserError, match="no source record"):
        decide(store, a, "0" * 32, "same")


ACTIONS: dict[str, Callable[[Engine, list[str]], Any]] = {
    "decide_pair": lambda engine, ids: decide(engine, ids[0], ids[1], "not_same"),
    "merge_persons": lambda engine, ids: merge_persons(
        engine,
        person_ids={persons(engine)[ids[0]], persons(engine)[ids[2]]},
        actor="a",
        reason="r",
        purpose=PURPOSE,
    ),
    "split_record": lambda engine, ids: split_record(
        engine, record_id=ids[1], actor="a", reason="r", purpose=PURPOSE
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_no_audit_no_action(store: Engine, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    ids = add_records(store, 3)
    run(store, ids, scored([(ids[0], ids[1], 0.99)]))
    before = (persons(store), count(store, Person), count(store, AuditEvent), review_queue(store))

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(review, "record_audit", broken_audit)
    with pytest.raises(RuntimeError):
        ACTIONS[action](store, ids)
    after = (persons(store), count(store, Person), count(store, AuditEvent), review_queue(store))
    assert after == before
    assert count(store, ReviewDecision) == 0


def test_merges_and_splits_that_cannot_be_done_say_why(store: Engine) -> None:
    a, b, c = add_records(store, 3)
    run(store, [a, b], scored([]))  # a and b: a person each; c: never linked
    person_a = persons(store)[a]
    attempts: list[tuple[Callable[[], Any], str]] = [
        (
            lambda: merge_persons(
                store, person_ids=[person_a], actor="x", reason="y", purpose=PURPOSE
            ),
            "two or more",
        ),
        (
            lambda: merge_persons(
                store, person_ids=[person_a, 999], actor="x", reason="y", purpose=PURPOSE
            ),
            "no source records",
        ),
        (
            lambda: split_record(store, record_id=a, actor="x", reason="y", purpose=PURPOSE),
            "on its own",
        ),
        (
            lambda: split_record(store, record_id=c, actor="x", reason="y", purpose=PURPOSE),
            "not linked",
        ),
        (lambda: split_record(store, record_id=a, actor="x", reason="", purpose=PURPOSE), "reason"),
    ]
    for attempt, words in attempts:
        with pytest.raises(UserError, match=words):
            attempt()
    assert count(store, ReviewDecision) == 0
