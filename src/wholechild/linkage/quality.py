"""Reading a stored linkage back for evaluation."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from wholechild.errors import UserError
from wholechild.linkage.engine import make_linker
from wholechild.linkage.evaluate import EvaluationReport, evaluate
from wholechild.linkage.frame import frame_from_store
from wholechild.linkage.persist import latest_model
from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import SourceRecord


def stored_clusters(engine: Engine) -> pd.DataFrame:
    """``unique_id`` (record) and ``cluster_id`` (its person) for every record. A record not
    linked yet is a cluster on its own, never lumped with the other unlinked records."""
    query = select(SourceRecord.id, SourceRecord.person_id)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    records = frame["id"].map(record_id_hex)
    persons = frame["person_id"].astype("Int64")
    return pd.DataFrame(
        {
            "unique_id": records,
            "cluster_id": [
                f"record:{r}" if pd.isna(p) else f"person:{p}"
                for r, p in zip(records, persons, strict=True)
            ],
        }
    )


def _latest_settings(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        stored = latest_model(conn)
    if stored is None:
        raise UserError("no linkage model is stored yet", fix="run `wholechild link` first")
    return stored[0]


def blocking_evaluation(engine: Engine, truth: pd.DataFrame) -> EvaluationReport:
    """Blocking recall, overall and by group and source pair, over *entity* pairs.

    Entities (records sharing a source key) are what blocking pairs up; the true pairs are
    entity pairs of one child. Uses the stored model's blocking rules on the stored records.
    """
    frame, membership = frame_from_store(engine)
    linker = make_linker(frame, _latest_settings(engine))
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs = blocked.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    candidates = pairs.rename(columns={"join_key_l": "unique_id_l", "join_key_r": "unique_id_r"})
    by_record = truth.set_index("unique_id")
    entity_truth = (
        membership.join(by_record, on="record_id")
        .dropna(subset=["true_id"])
        .groupby("unique_id")
        .agg(
            true_id=("true_id", lambda v: v.mode().iloc[0]),
            group=("group", "first"),
            source_system=("source_system", "first"),
        )
        .reset_index()
    )
    person = stored_clusters(engine).set_index("unique_id")["cluster_id"]
    clusters = pd.DataFrame(
        {
            "unique_id": entity_truth["unique_id"],
            "cluster_id": entity_truth["unique_id"].map(person),
        }
    )
    return evaluate(clusters, entity_truth, candidates[["unique_id_l", "unique_id_r"]])
