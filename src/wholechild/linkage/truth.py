"""The synthetic council's ground truth, joined to the source records in the store.

``wholechild synth`` writes ``truth/records.csv`` (``file``, ``row``, ``source_key``,
``child_id``, ``corruptions``: one line per row it wrote) and ``truth/children.csv`` (one line
per true child, with its DfE ethnicity code). A stored source record is found in the truth by
its file name and position in that file:

- CSV: ``source_record.row_number`` is the 1-based data row, as ``records.csv``'s ``row``;
- XML (CIN census, SEN2): ``row_number`` is the *line* of the child's element, and ``row`` is
  the element's ordinal, so the records of one loaded file are ranked by line number.

Only source records are linked, so truth rows for files that make only events (exclusions, SEN
needs, addresses off roll) are not used. Record ids are given as 32-digit lowercase hex
(``uuid.UUID.hex``), which is what ``pd.read_sql`` gives on SQLite and what the linkage frame
uses; UUID objects from PostgreSQL are turned into the same form.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Final

import pandas as pd
from sqlalchemy import Engine, select

from wholechild.core.codes import ETHNICITY
from wholechild.errors import InputFileError, UserError
from wholechild.linkage.evaluate import NOT_RECORDED
from wholechild.storage.schema import SourceRecord

__all__ = ["record_id_hex", "truth_frame"]

log = logging.getLogger(__name__)

TRUTH_COLUMNS: Final = ("unique_id", "true_id", "group", "source_system")
ELEMENT_POSITION_SUFFIXES: Final = (".xml",)  # formats whose row_number is a line number


def record_id_hex(value: object) -> str:
    """A source record id as 32-digit lowercase hex, from a UUID or any of its string forms."""
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(
            f"Ground-truth file {path} not found.",
            fix="Pass the truth/ folder that `wholechild synth` wrote beside the extracts.",
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if missing := [c for c in columns if c not in frame.columns]:
        raise InputFileError(f"{path} lacks column(s) {', '.join(missing)}.")
    return frame


def _truth_rows(truth_dir: Path) -> pd.DataFrame:
    """``file``, ``row`` (int), ``true_id``, ``group``: which child each written row is."""
    records = _read_csv(truth_dir / "records.csv", ("file", "row", "child_id"))
    children = _read_csv(truth_dir / "children.csv", ("child_id", "ethnicity"))
    code = children["ethnicity"].str.strip().str.upper()
    children["group"] = code.map(ETHNICITY).fillna(code).replace("", NOT_RECORDED)
    rows = records[["file", "row", "child_id"]].merge(
        children[["child_id", "group"]], on="child_id", how="left", validate="m:1"
    )
    if unknown := int(rows["group"].isna().sum()):
        raise UserError(f"{unknown} row(s) of records.csv name a child not in children.csv.")
    rows["row"] = rows["row"].astype(int)
    return rows.rename(columns={"child_id": "true_id"})


def _stored_records(engine: Engine) -> pd.DataFrame:
    """Every source record: ``unique_id``, ``batch_id``, ``file_name``, ``row_number``, system."""
    r = SourceRecord
    query = select(r.id, r.batch_id, r.file_name, r.row_number, r.source_system)
    with engine.connect() as conn:
        stored = pd.read_sql(query, conn)
    stored["unique_id"] = [record_id_hex(v) for v in stored.pop("id")]
    return stored


def _position(stored: pd.DataFrame) -> pd.Series:
    """Each record's ``row`` in the truth: the data row for CSV, the element ordinal for XML."""
    ordinal = stored.groupby("batch_id")["row_number"].rank(method="first").astype(int)
    by_element = stored["file_name"].str.lower().str.endswith(ELEMENT_POSITION_SUFFIXES)
    return stored["row_number"].where(~by_element, ordinal).astype(int)


def _loaded_twice(stored: pd.DataFrame) -> list[str]:
    batches = stored.groupby("file_name")["batch_id"].nunique()
    return sorted(batches[batches > 1].index)


def _check_coverage(joined: pd.DataFrame, stored: int, twice: list[str]) -> None:
    problems = []
    if unmatched := int(joined["true_id"].isna().sum()):
        problems.append(f"{unmatched} of {stored} source records have no truth row")
    if twice:
        problems.append(f"{len(twice)} file name(s) were loaded more than once: {', '.join(twice)}")
    if problems:
        raise UserError(
            "The store does not match the synthetic council's ground truth: "
            + "; ".join(problems)
            + ".",
            fix="Evaluate on a fresh store holding only this synthetic council, ingested from "
            "the folder whose truth/ you passed.",
        )


def truth_frame(engine: Engine, truth_dir: Path) -> pd.DataFrame:
    """``unique_id``, ``true_id``, ``group``, ``source_system``: one row per stored source record.

    ``group`` is the true child's DfE ethnicity in words ("White British"). Records from files
    the truth does not name are left out (and counted in the log); every record from a file it
    does name must match a truth row, or :class:`~wholechild.errors.UserError` says how many
    do not.
    """
    truth = _truth_rows(truth_dir)
    stored = _stored_records(engine)
    ours = stored["file_name"].isin(set(truth["file"]))
    if others := int((~ours).sum()):
        log.info("truth: %d source records from files the truth does not name left out", others)
    stored = stored[ours].assign(row=lambda f: _position(f))
    joined = stored.merge(
        truth, left_on=["file_name", "row"], right_on=["file", "row"], how="left", validate="m:1"
    )
    _check_coverage(joined, len(stored), _loaded_twice(stored))
    return joined[list(TRUTH_COLUMNS)].reset_index(drop=True)
