"""source record: indexes for search (names, date of birth, every identifier searched)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# index name -> column: what wholechild.read.search narrows candidates by.
SEARCH_INDEXES = {
    "ix_source_record_forename": "forename",
    "ix_source_record_middle_names": "middle_names",
    "ix_source_record_surname": "surname",
    "ix_source_record_preferred_surname": "preferred_surname",
    "ix_source_record_former_surname": "former_surname",
    "ix_source_record_dob": "date_of_birth",
    "ix_source_record_former_upn": "former_upn_raw",
    "ix_source_record_uln": "uln",
    "ix_source_record_la_child_id": "la_child_id",
    "ix_source_record_police_ref": "police_ref",
}


def upgrade() -> None:
    for name, column in SEARCH_INDEXES.items():
        op.create_index(name, "source_record", [column])


def downgrade() -> None:
    for name in SEARCH_INDEXES:
        op.drop_index(name, table_name="source_record")
