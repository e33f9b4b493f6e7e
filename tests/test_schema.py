"""The schema: every column classified, migrations equal to the models, on both stores."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from wholechild.storage.schema import Base, Sensitivity


def test_every_column_declares_a_sensitivity_class() -> None:
    unclassified = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if not isinstance(column.info.get("sensitivity"), Sensitivity)
    ]
    assert unclassified == [], f"classify these columns (schema.Sensitivity): {unclassified}"


def test_identifying_columns_include_names_dates_of_birth_and_identifiers() -> None:
    columns = Base.metadata.tables["source_record"].columns
    for name in ("forename", "surname", "date_of_birth", "nhs_number", "upn", "raw_row"):
        assert columns[name].info["sensitivity"] is Sensitivity.IDENTIFYING
    assert columns["ethnicity"].info["sensitivity"] is Sensitivity.SPECIAL_CATEGORY


def test_every_data_table_carries_provenance() -> None:
    needed = {
        "batch_id",
        "source_system",
        "file_name",
        "row_number",
        "ingested_at",
        "agreement_ref",
    }
    for table in ("source_record", "source_address", "event", "quarantined_row"):
        assert needed <= set(Base.metadata.tables[table].columns.keys()), table


def test_migrations_produce_exactly_the_models(store: Engine) -> None:
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
