"""source record: the window of possible dates of birth, from an age on a date

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("source_record", sa.Column("dob_earliest", sa.Date(), nullable=True))
    op.add_column("source_record", sa.Column("dob_latest", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_record") as batch:
        batch.drop_column("dob_latest")
        batch.drop_column("dob_earliest")
