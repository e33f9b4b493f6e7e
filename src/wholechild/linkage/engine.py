"""Scoring: from a linkage frame to scored pairs, on DuckDB (default) or Spark."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from splink import DuckDBAPI, Linker

from wholechild.linkage import model as linkage_model
from wholechild.linkage.frame import LIST_COLUMNS

log = logging.getLogger(__name__)
# Pairs below this probability are not kept: far below any review threshold.
KEEP_ABOVE = 0.001


@dataclass(slots=True)
class ScoredRun:
    """Scored pairs and the model that scored them."""

    pairs: pd.DataFrame
    model: dict[str, Any]
    model_hash: str
    timings: dict[str, float] = field(default_factory=dict)


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty lists become nulls, so that 'no postcode' is unknown rather than a mismatch."""
    prepared = frame.copy()
    for column in LIST_COLUMNS:
        prepared[column] = [v if v else None for v in prepared[column]]
    return prepared


def register(api: Any, prepared: pd.DataFrame) -> Any:
    """The prepared frame as the engine's input table, "records"."""
    if api.sql_dialect.sql_dialect_str == "spark":
        from wholechild.linkage.spark import register_frame  # pyspark is optional

        return register_frame(api, prepared)
    return api.register(prepared, dataset_display_name="records")


def make_linker(frame: pd.DataFrame, settings: Any, db_api: Any | None = None) -> Linker:
    api = db_api if db_api is not None else DuckDBAPI()
    if isinstance(settings, dict):  # a saved model, perhaps trained on another engine
        settings = linkage_model.for_dialect(settings, api.sql_dialect.sql_dialect_str)
    table = register(api, prepare(frame))
    # log_level None: Splink's loggers keep the level the entry point set.
    return Linker(table, settings, log_level=None)


def score(
    frame: pd.DataFrame,
    *,
    trained_model: dict[str, Any] | None = None,
    db_api: Any | None = None,
) -> ScoredRun:
    """Train (unless a model is given) and score every candidate pair."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    linker = make_linker(frame, trained_model or linkage_model.settings(frame), db_api)
    if trained_model is None:
        linkage_model.train(linker, frame)
    timings["train"] = time.perf_counter() - start
    # A given model is the artefact, whichever engine scores with it: its hash stays the same.
    saved = trained_model if trained_model is not None else linkage_model.model_json(linker)
    start = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=KEEP_ABOVE)
    pairs: pd.DataFrame = predictions.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    timings["predict"] = time.perf_counter() - start
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    keep += [c for c in pairs.columns if c.startswith("bf_") or c.startswith("mw_")]
    log.info("scored %s candidate pairs above %s", len(pairs), KEEP_ABOVE)
    return ScoredRun(pairs[keep], saved, linkage_model.model_hash(saved), timings)
