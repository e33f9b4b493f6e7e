"""Spark: the same linkage pipeline on a Spark session, for partnerships that outgrow one machine.

``engine.score`` and ``actions.link.link_store`` take a Splink database API; this module makes
one for Spark::

    session = local_session()                     # or the cluster's session (docs/spark.md)
    link_store(engine, actor=..., purpose=..., db_api=spark_api(session))

pyspark is optional: nothing else in wholechild imports this module at import time, and this
module imports pyspark only when called. Nothing downloads at run time: Splink's similarity
functions (``jaro_winkler``, ``damerau_levenshtein``) come from the jar inside the Splink wheel,
never from Maven.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from wholechild.errors import UserError
from wholechild.linkage.frame import LIST_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType
    from splink import SparkAPI

log = logging.getLogger(__name__)

# Splink's Spark functions, registered from its jar; a session without the jar has none.
SIMILARITY_FUNCTIONS: Final = ("jaro_winkler", "damerau_levenshtein")


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise UserError(
            "the Spark engine needs pyspark, which is not installed",
            fix="install it into wholechild's environment: pip install 'pyspark==4.0.5'",
        ) from exc


def similarity_jar() -> str:
    """The path of Splink's similarity-function jar for the installed Spark (in Splink's wheel)."""
    _require_pyspark()
    from splink.backends.spark import similarity_jar_location

    path: str = similarity_jar_location()
    return path


def local_session(
    app_name: str = "wholechild",
    cores: int = 2,
    *,
    driver_memory: str = "8g",
    temp_dir: Path | None = None,
) -> SparkSession:
    """A Spark session in local mode on this machine, sized for ``cores`` cores.

    Local mode runs Spark's executors inside the driver's JVM, so ``driver_memory`` is all the
    memory Spark has (8g suits a 24 GB machine that also holds the linkage frame in Python).
    Shuffles use a few partitions (tables are small beside a cluster's), the web UI is off, and
    spill files and Splink's intermediate tables go under ``temp_dir`` (a new temporary folder
    if not given). Settings apply when the JVM starts: a session already running in this process
    is returned as it is.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    # The driver and its executors talk over loopback: no network interface is looked up.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scratch = Path(temp_dir or tempfile.mkdtemp(prefix="wholechild-spark-"))
    scratch.mkdir(parents=True, exist_ok=True)
    settings = {
        "spark.driver.memory": driver_memory,
        "spark.sql.shuffle.partitions": str(max(2, 2 * cores)),
        "spark.default.parallelism": str(max(2, 2 * cores)),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.local.dir": str(scratch / "local"),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.jars": similarity_jar(),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
    }
    builder: Any = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    log.info("Spark %s session in local mode on %s cores", session.version, cores)
    return session


def cluster_session(master: str, app_name: str = "wholechild") -> SparkSession:
    """A Spark session on the cluster at ``master`` (``spark://host:7077``, ``yarn``, ``k8s://…``)
    with Splink's jar shipped to the executors. Memory, partitions and the checkpoint folder are
    the cluster's to set (spark-defaults.conf, ``--conf``; see docs/spark.md)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    builder: Any = SparkSession.builder.master(master).appName(app_name)
    builder = builder.config("spark.jars", similarity_jar())
    builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "true")
    session: SparkSession = builder.getOrCreate()
    log.info("Spark %s session on %s", session.version, master)
    return session


def spark_api(session: SparkSession, *, break_lineage_method: str | None = None) -> SparkAPI:
    """Splink's API for ``session``, its similarity functions checked: one per linkage run
    (Splink caches a run's tables in it).

    ``break_lineage_method``: how Splink cuts Spark's query plans between steps. Splink's default,
    "parquet", writes each step's table under the session's checkpoint folder (set by
    :func:`local_session`; on a cluster, a folder every executor can reach); "persist" keeps
    them in executor memory; on Databricks Splink uses Delta tables.
    """
    _require_pyspark()
    from splink import SparkAPI

    api = SparkAPI(  # type: ignore[no-untyped-call]
        spark_session=session, break_lineage_method=break_lineage_method
    )
    missing = [name for name in SIMILARITY_FUNCTIONS if not session.catalog.functionExists(name)]
    if missing:
        raise UserError(
            f"the Spark session lacks Splink's similarity functions ({', '.join(missing)})",
            fix=f"start Spark with Splink's jar: --jars {similarity_jar()} (see docs/spark.md)",
        )
    return api


def frame_schema(columns: list[str]) -> StructType:
    """Every comparison column is a string, but the list columns, which are arrays of strings."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    return StructType(
        [
            StructField(c, ArrayType(StringType()) if c in LIST_COLUMNS else StringType(), True)
            for c in columns
        ]
    )


def _strings(values: pd.Series) -> list[str | None]:
    return [None if v is None or pd.isna(v) else str(v) for v in values]


def _string_lists(values: pd.Series) -> list[list[str] | None]:
    return [None if v is None else [str(x) for x in v] for v in values]


def spark_frame(session: SparkSession, prepared: pd.DataFrame) -> DataFrame:
    """A prepared linkage frame (``engine.prepare``: empty lists already null) as a Spark table."""
    columns = [str(c) for c in prepared.columns]
    typed = pd.DataFrame(
        {
            c: _string_lists(prepared[c]) if c in LIST_COLUMNS else _strings(prepared[c])
            for c in columns
        }
    )
    return session.createDataFrame(typed, schema=frame_schema(columns))


def register_frame(api: Any, prepared: pd.DataFrame) -> Any:
    """The frame as the run's input table: typed (Spark infers no type for a column that is all
    null), under a name of its own (Spark's temporary views outlive a run; the session may be
    shared)."""
    return api.register(
        spark_frame(api.spark, prepared),
        dataset_display_name="records",
        table_name=f"records_{uuid.uuid4().hex[:12]}",
    )
