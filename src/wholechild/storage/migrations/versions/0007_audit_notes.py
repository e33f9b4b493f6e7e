"""audit notes: free text written with an audit entry, kept beside the hash chain (erasable)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_note",
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "text IS NOT NULL OR erased_at IS NOT NULL", name=op.f("ck_audit_note_erased")
        ),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_event.id"],
            name=op.f("fk_audit_note_audit_event_id_audit_event"),
        ),
        sa.PrimaryKeyConstraint("audit_event_id", "kind", name=op.f("pk_audit_note")),
    )


def downgrade() -> None:
    op.drop_table("audit_note")
