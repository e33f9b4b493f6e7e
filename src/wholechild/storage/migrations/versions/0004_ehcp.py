"""EHCP cases and their steps (who recorded each step and when is enforced here)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ehcp_case",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("caseworker", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("request_received_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("sen_needs", sa.String(length=64), nullable=True),
        sa.Column("setting_urn", sa.String(length=8), nullable=True),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(opened_by) > 0", name=op.f("ck_ehcp_case_opened_by")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_ehcp_case_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcp_case")),
    )
    with op.batch_alter_table("ehcp_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ehcp_case_caseworker_stage", ["caseworker", "stage"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ehcp_case_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_ehcp_case_team_stage", ["team", "stage"], unique=False)

    op.create_table(
        "ehcp_case_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("transfer_year", sa.Integer(), nullable=True),
        sa.Column("transfer_kind", sa.String(length=8), nullable=True),
        sa.Column("clock", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "step <> 'exception_recorded' OR (clock IS NOT NULL AND reason IS NOT NULL "
            "AND evidence IS NOT NULL AND length(evidence) > 0)",
            name=op.f("ck_ehcp_case_event_exception_evidence"),
        ),
        sa.CheckConstraint("length(recorded_by) > 0", name=op.f("ck_ehcp_case_event_recorded_by")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["ehcp_case.id"], name=op.f("fk_ehcp_case_event_case_id_ehcp_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcp_case_event")),
    )
    with op.batch_alter_table("ehcp_case_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ehcp_case_event_case_order", ["case_id", "occurred_on", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ehcp_case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ehcp_case_event_case_order")

    op.drop_table("ehcp_case_event")
    with op.batch_alter_table("ehcp_case", schema=None) as batch_op:
        batch_op.drop_index("ix_ehcp_case_team_stage")
        batch_op.drop_index(batch_op.f("ix_ehcp_case_person_id"))
        batch_op.drop_index("ix_ehcp_case_caseworker_stage")

    op.drop_table("ehcp_case")
