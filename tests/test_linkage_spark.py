"""The linkage pipeline on Spark (local mode) agrees with DuckDB, pair for pair.

Skips when pyspark (or Java) is missing, unless WHOLECHILD_REQUIRE_SPARK=1 (as CI sets), in
which case it fails: the Spark engine is never silently untested.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from agreements_helpers import load_council_agreements
from wholechild.actions.ingest import ingest_file
from wholechild.actions.link import link_store
from wholechild.formats.discover import plan_files
from wholechild.linkage.engine import score
from wholechild.linkage.evaluate import evaluate
from wholechild.linkage.frame import frame_from_store
from wholechild.linkage.labels import labels_from_truth
from wholechild.linkage.quality import stored_clusters
from wholechild.linkage.truth import truth_frame
from wholechild.storage.db import make_engine, migrate
from wholechild.storage.schema import SourceRecord
from wholechild.synth import synthesise

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [
    pytest.mark.spark,
    # pyspark leaves the local socket of each collect() for the garbage collector to close.
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]
PAIR = ["unique_id_l", "unique_id_r"]
TOLERANCE = 1e-6  # match weights: the same model and levels, summed in another order


def _spark_unavailable() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark, see docs/spark.md)"
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime (Spark needs Java 17 or 21: set JAVA_HOME or put java on PATH)"
    return None


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One local Spark session for the module, stopped at the end."""
    reason = _spark_unavailable()
    if reason and os.environ.get("WHOLECHILD_REQUIRE_SPARK") == "1":
        pytest.fail(f"Spark is required (WHOLECHILD_REQUIRE_SPARK=1) but {reason}")
    if reason:
        pytest.skip(f"Spark tests skipped: {reason}")
    from wholechild.linkage.spark import local_session

    spark = local_session(
        "wholechild-tests", cores=2, driver_memory="2g", temp_dir=tmp_path_factory.mktemp("spark")
    )
    yield spark
    spark.stop()
    gc.collect()  # pyspark's unclosed sockets: closed here, under this module's warning filters


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("council")
    synthesise(children=200, seed=7, out_dir=out)
    return out


def loaded_store(folder: Path, council: Path) -> Engine:
    engine = make_engine(f"sqlite:///{folder / 'wholechild.db'}")
    migrate(engine)
    load_council_agreements(engine, council)
    for planned in plan_files([council], mapping=None, source_system=None):
        fmt = "mapped" if planned.options.mapping else "auto"
        ingest_file(
            engine, planned.path, actor="t", purpose="t", format_name=fmt, options=planned.options
        )
    return engine


@pytest.fixture
def store(tmp_path: Path, council: Path) -> Iterator[Engine]:
    engine = loaded_store(tmp_path, council)
    yield engine
    engine.dispose()


def persons(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as conn:
        return {str(r): p for r, p in conn.execute(select(SourceRecord.id, SourceRecord.person_id))}


def test_spark_scores_every_pair_as_duckdb_does(session: SparkSession, store: Engine) -> None:
    from wholechild.linkage.spark import spark_api

    frame, _ = frame_from_store(store)
    duckdb = score(frame)
    spark = score(frame, trained_model=duckdb.model, db_api=spark_api(session))

    assert spark.model_hash == duckdb.model_hash  # one model, whichever engine scores
    both = duckdb.pairs.merge(spark.pairs, on=PAIR, how="outer", suffixes=("_duckdb", "_spark"))
    assert len(both) == len(duckdb.pairs) == len(spark.pairs) > 0  # the same candidate pairs
    likely = both[both["match_probability_duckdb"] > 0.5]
    assert len(likely) > 100
    assert (likely["match_probability_spark"] > 0.5).all()
    assert (both.loc[both["match_probability_spark"] > 0.5, "match_probability_duckdb"] > 0.5).all()
    weights = ["match_weight", *(c for c in duckdb.pairs.columns if c.startswith("mw_"))]
    for column in weights:  # every comparison level chosen alike, not only the totals
        difference = (both[f"{column}_duckdb"] - both[f"{column}_spark"]).abs()
        assert difference.max() < TOLERANCE, column


def truth_labeller(engine: Engine, council: Path) -> Any:
    truth = truth_frame(engine, council / "truth")

    def label(pairs: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
        return labels_from_truth(pairs, membership, truth, sample=500)

    return label


def test_link_store_on_spark_reuses_the_duckdb_model(
    session: SparkSession, store: Engine, council: Path
) -> None:
    from wholechild.linkage.spark import spark_api

    first = link_store(store, actor="t", purpose="t", labeller=truth_labeller(store, council))
    linked = persons(store)
    again = link_store(store, actor="t", purpose="t", incremental=True, db_api=spark_api(session))
    assert again.summary.model_hash == first.summary.model_hash
    assert again.scored_pairs == first.scored_pairs
    assert persons(store) == linked  # every child keeps their person id


@pytest.mark.slow
def test_link_store_trains_and_links_on_spark(
    session: SparkSession, store: Engine, council: Path
) -> None:
    from wholechild.linkage.spark import spark_api

    report = link_store(
        store,
        actor="t",
        purpose="t",
        labeller=truth_labeller(store, council),
        db_api=spark_api(session),
    )
    assert report.records == len(persons(store))
    assert all(p is not None for p in persons(store).values())
    quality = evaluate(stored_clusters(store), truth_frame(store, council / "truth"))
    assert quality.overall.f1 is not None and quality.overall.f1 > 0.95
