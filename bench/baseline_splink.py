"""A plain Splink baseline on the same store: default comparisons, default training.

    python bench/baseline_splink.py STORE_URL TRUTH_DIR      # prints one JSON line

Comparisons: Splink's NameComparison (forename, surname), DateOfBirthComparison and
PostcodeComparison; blocking on name, date of birth and postcode; u by random sampling, m by
EM; clusters at match probability 0.9. One row per source record (no collapsing, no ids).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from sqlalchemy import select

from wholechild.core.normalise import normalise_name
from wholechild.linkage.evaluate import evaluate
from wholechild.linkage.truth import record_id_hex, truth_frame
from wholechild.storage.db import make_engine
from wholechild.storage.schema import SourceRecord


def plain_frame(url: str) -> pd.DataFrame:
    r = SourceRecord
    query = select(r.id, r.forename, r.surname, r.date_of_birth, r.postcode)
    with make_engine(url).connect() as conn:
        raw = pd.read_sql(query, conn)
    dob = pd.to_datetime(raw["date_of_birth"], errors="coerce")
    return pd.DataFrame(
        {
            "unique_id": raw["id"].map(record_id_hex),
            "forename": [normalise_name(v) for v in raw["forename"]],
            "surname": [normalise_name(v) for v in raw["surname"]],
            "dob": [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in dob],
            "postcode": raw["postcode"],
        }
    )


def run(url: str, truth_dir: Path) -> dict[str, float]:
    start = time.perf_counter()
    frame = plain_frame(url)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("forename"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename", "surname"),
            block_on("dob"),
            block_on("postcode"),
        ],
    )
    api = DuckDBAPI()
    linker = Linker(api.register(frame), settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("forename", "surname")
    )
    pairs = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, 0.9)
    result = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    seconds = time.perf_counter() - start
    report = evaluate(result.astype(str), truth_frame(make_engine(url), truth_dir))
    overall = report.overall
    return {
        "seconds": seconds,
        "precision": overall.precision or 0.0,
        "recall": overall.recall or 0.0,
        "f1": overall.f1 or 0.0,
    }


if __name__ == "__main__":
    logging.getLogger("splink").setLevel(logging.ERROR)
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]))))
