"""Ground truth for the synthetic council, joined to a real store the council was ingested into."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from agreements_helpers import load_council_agreements
from wholechild.actions.ingest import ingest_file
from wholechild.core.codes import ETHNICITY
from wholechild.errors import UserError
from wholechild.formats.discover import plan_files
from wholechild.linkage.truth import record_id_hex, truth_frame
from wholechild.storage.db import make_engine, migrate
from wholechild.synth import synthesise


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """300 synthetic children, every extract ingested into a fresh SQLite store."""
    folder = tmp_path_factory.mktemp("council")
    synthesise(children=300, seed=2, out_dir=folder)
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    migrate(engine)
    load_council_agreements(engine, folder)
    for planned in plan_files([folder], mapping=None, source_system=None):
        ingest_file(
            engine,
            planned.path,
            actor="test",
            purpose="linkage evaluation test",
            format_name="mapped" if planned.options.mapping else "auto",
            options=planned.options,
        )
    yield engine, folder / "truth"
    engine.dispose()


def stored(engine: Engine) -> pd.DataFrame:
    query = "SELECT id, source_system, nhs_number, la_child_id FROM source_record"
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["unique_id"] = frame.pop("id")
    return frame


def test_every_source_record_gets_one_truth_row(council: tuple[Engine, Path]) -> None:
    engine, truth_dir = council
    truth = truth_frame(engine, truth_dir)
    records = stored(engine)
    assert list(truth.columns) == ["unique_id", "true_id", "group", "source_system"]
    assert len(records) > 500
    assert truth["unique_id"].is_unique
    assert set(truth["unique_id"]) == set(records["unique_id"])  # the form pd.read_sql gives
    assert truth["true_id"].notna().all()
    assert {"cin_census", "sen2", "school_census"} <= set(truth["source_system"])


def test_records_are_joined_to_the_right_child(council: tuple[Engine, Path]) -> None:
    """Identifiers held in the store agree with the true child's (an off-by-one join would not)."""
    engine, truth_dir = council
    children = pd.read_csv(truth_dir / "children.csv", dtype=str, keep_default_na=False)
    joined = (
        truth_frame(engine, truth_dir)
        .merge(stored(engine), on=["unique_id", "source_system"])
        .merge(children, left_on="true_id", right_on="child_id", suffixes=("", "_true"))
    )
    for column, at_least in (("nhs_number", 200), ("la_child_id", 5)):
        held = joined[joined[column].notna()]
        assert len(held) >= at_least
        assert (held[column] == held[f"{column}_true"]).mean() >= 0.98, column
    cin = joined[joined["source_system"] == "cin_census"]  # XML: matched by element ordinal
    assert len(cin) > 0 and (cin["la_child_id"] == cin["la_child_id_true"]).all()


def test_group_is_the_true_childs_ethnicity_in_words(council: tuple[Engine, Path]) -> None:
    engine, truth_dir = council
    truth = truth_frame(engine, truth_dir)
    children = pd.read_csv(truth_dir / "children.csv", dtype=str, keep_default_na=False)
    expected = children.set_index("child_id")["ethnicity"].map(ETHNICITY)
    assert (truth["group"] == truth["true_id"].map(expected)).all()
    assert "White British" in set(truth["group"])


def test_records_without_truth_are_counted_in_a_user_error(
    council: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, truth_dir = council
    shutil.copytree(truth_dir, tmp_path / "truth")
    records = pd.read_csv(truth_dir / "records.csv", dtype=str, keep_default_na=False)
    cut = records[records["file"] == "health_extract.csv"].index[:3]
    records.drop(index=cut).to_csv(tmp_path / "truth" / "records.csv", index=False)
    with pytest.raises(UserError) as raised:
        truth_frame(engine, tmp_path / "truth")
    total = len(stored(engine))
    assert f"3 of {total} source records have no truth row" in str(raised.value)


def test_a_missing_truth_folder_is_a_user_error(
    council: tuple[Engine, Path], tmp_path: Path
) -> None:
    with pytest.raises(UserError, match=r"records\.csv not found"):
        truth_frame(council[0], tmp_path)


@pytest.mark.parametrize(
    "value",
    [
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "12345678-1234-5678-1234-567812345678",
        "12345678123456781234567812345678",
        "12345678123456781234567812345678".upper(),
    ],
)
def test_record_ids_are_32_digit_lowercase_hex(value: object) -> None:
    assert record_id_hex(value) == "12345678123456781234567812345678"
