"""Reading a stored linkage back for evaluation."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from wholechild.linkage.truth import record_id_hex
from wholechild.storage.schema import SourceRecord


def stored_clusters(engine: Engine) -> pd.DataFrame:
    """``unique_id`` (record) and ``cluster_id`` (its person) for every linked record."""
    query = select(SourceRecord.id, SourceRecord.person_id)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return pd.DataFrame(
        {
            "unique_id": frame["id"].map(record_id_hex),
            "cluster_id": frame["person_id"].astype("Int64").astype(str),
        }
    )
