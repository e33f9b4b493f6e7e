"""The link action: every source record in the store to a person.

Reads the store into a linkage frame, trains the model (or, incrementally, reuses the last
one), scores candidate pairs, clusters them at the upper threshold under reviewers' decisions
and the rule that a keyed source system holds a child once, and stores the run: model, links
with their explanations, review queue, persons (stable across runs), audit entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine

from wholechild.errors import UserError
from wholechild.linkage import thresholds as threshold_rules
from wholechild.linkage.clusters import Pair, accepted_pairs, cluster
from wholechild.linkage.engine import ScoredRun, score
from wholechild.linkage.frame import frame_from_store
from wholechild.linkage.persist import RunSummary, latest_model, load_decisions, save_run

log = logging.getLogger(__name__)
# Labels scored pairs (unique_id_l, unique_id_r, is_match), given the pairs and the
# record -> entity membership: from reviewers' decisions or, for the synthetic council, truth.
Labeller = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]


@dataclass(slots=True)
class LinkReport:
    """What a run did: counts, thresholds, model hash, timings (no child's details)."""

    summary: RunSummary
    records: int
    entities: int
    scored_pairs: int
    thresholds: threshold_rules.Thresholds
    timings: dict[str, float] = field(default_factory=dict)


def _entity_pairs(pairs: list[Pair], entity_of: Mapping[str, str]) -> list[Pair]:
    """Reviewers decide about records; clustering works on entities."""
    return [
        (entity_of[a], entity_of[b])
        for a, b in pairs
        if a in entity_of and b in entity_of and entity_of[a] != entity_of[b]
    ]


def exclusive_labels(frame: pd.DataFrame) -> dict[str, str]:
    """A keyed source system holds each child once: its entities may not share a cluster."""
    keyed = frame[frame["source_key"].notna()]
    return dict(zip(keyed["unique_id"], keyed["source_system"], strict=True))


def _choose_thresholds(
    run: ScoredRun, labels: pd.DataFrame | None, stored: Mapping[str, Any] | None
) -> threshold_rules.Thresholds:
    if labels is not None:
        labelled = run.pairs.merge(labels, on=["unique_id_l", "unique_id_r"], how="inner")
        return threshold_rules.choose(labelled)
    if stored and "upper" in stored and "lower" in stored:
        return threshold_rules.Thresholds(float(stored["upper"]), float(stored["lower"]), "stored")
    log.warning("no labelled sample and no stored thresholds: using the defaults")
    return threshold_rules.Thresholds(
        threshold_rules.DEFAULT_UPPER, threshold_rules.DEFAULT_LOWER, "default"
    )


def link_store(
    engine: Engine,
    *,
    actor: str,
    purpose: str,
    incremental: bool = False,
    labeller: Labeller | None = None,
    db_api: Any | None = None,
) -> LinkReport:
    """Link every source record to a person; one transaction for everything stored."""
    started = time.perf_counter()
    frame, membership = frame_from_store(engine)
    if frame.empty:
        raise UserError("there are no source records to link", fix="ingest files first")
    timings = {"read": time.perf_counter() - started}
    if incremental:
        with engine.connect() as conn:
            previous = latest_model(conn)
    else:
        previous = None
    if incremental and previous is None:
        raise UserError("no linkage model is stored yet", fix="run `wholechild link` once first")
    run = score(frame, trained_model=previous[0] if previous else None, db_api=db_api)
    timings.update(run.timings)
    labels = labeller(run.pairs, membership) if labeller is not None else None
    chosen = _choose_thresholds(run, labels, previous[1] if previous else None)
    start = time.perf_counter()
    with engine.begin() as conn:
        clusters = _record_clusters(conn, frame, membership, run, chosen.upper)
        summary = save_run(
            conn,
            actor=actor,
            purpose=purpose,
            model_hash=run.model_hash,
            model_json=run.model,
            scored_pairs=run.pairs,
            clusters=clusters,
            upper=chosen.upper,
            lower=chosen.lower,
            mode="incremental" if incremental else "full",
            trained_on_records=len(frame),
        )
    timings["cluster_and_store"] = time.perf_counter() - start
    return LinkReport(summary, len(membership), len(frame), len(run.pairs), chosen, timings)


def _record_clusters(
    conn: Connection, frame: pd.DataFrame, membership: pd.DataFrame, run: ScoredRun, upper: float
) -> dict[str, str]:
    """Entities clustered at ``upper`` under reviewers' decisions and exclusive labels; every
    record then takes its entity's cluster."""
    entity_of = dict(zip(membership["record_id"], membership["unique_id"], strict=True))
    must, cannot = load_decisions(conn)
    entity_clusters = cluster(
        frame["unique_id"].tolist(),
        accepted_pairs(run.pairs, upper),
        must_link=_entity_pairs(must, entity_of),
        cannot_link=_entity_pairs(cannot, entity_of),
        exclusive=exclusive_labels(frame),
    )
    return {record: entity_clusters[entity] for record, entity in entity_of.items()}
