"""ehcp drafts: draft plans, the advice they were drafted from, sentences with citations,
edits and sign-off

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ehcp_draft",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", sa.String(length=128), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rephraser", sa.String(length=128), nullable=True),
        sa.Column("signed_off_by", sa.String(length=128), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status <> 'signed_off' OR (signed_off_by IS NOT NULL AND signed_off_at IS NOT NULL)",
            name=op.f("ck_ehcp_draft_signed_off_by"),
        ),
        sa.CheckConstraint("status IN ('draft', 'signed_off')", name=op.f("ck_ehcp_draft_status")),
        sa.CheckConstraint("length(drafted_by) > 0", name=op.f("ck_ehcp_draft_drafted_by")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["ehcp_case.id"], name=op.f("fk_ehcp_draft_case_id_ehcp_case")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_ehcp_draft_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcp_draft")),
    )
    with op.batch_alter_table("ehcp_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ehcp_draft_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ehcp_draft_person_id"), ["person_id"], unique=False)

    op.create_table(
        "ehcp_advice_document",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("doc_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=True),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["ehcp_draft.id"],
            name=op.f("fk_ehcp_advice_document_draft_id_ehcp_draft"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcp_advice_document")),
        sa.UniqueConstraint("draft_id", "doc_id", name=op.f("uq_ehcp_advice_document_draft_id")),
    )
    with op.batch_alter_table("ehcp_advice_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ehcp_advice_document_draft_id"), ["draft_id"], unique=False
        )

    op.create_table(
        "ehcp_draft_sentence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("sentence_id", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=4), nullable=False),
        sa.Column("area", sa.String(length=48), nullable=True),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("current_text", sa.Text(), nullable=False),
        sa.Column("citations", sa.JSON(), nullable=False),
        sa.Column("generation", sa.JSON(), nullable=True),
        sa.Column("edited_by", sa.String(length=128), nullable=True),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["ehcp_draft.id"], name=op.f("fk_ehcp_draft_sentence_draft_id_ehcp_draft")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ehcp_draft_sentence")),
        sa.UniqueConstraint(
            "draft_id", "sentence_id", name=op.f("uq_ehcp_draft_sentence_draft_id")
        ),
    )
    with op.batch_alter_table("ehcp_draft_sentence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ehcp_draft_sentence_draft_id"), ["draft_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ehcp_draft_sentence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ehcp_draft_sentence_draft_id"))

    op.drop_table("ehcp_draft_sentence")
    with op.batch_alter_table("ehcp_advice_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ehcp_advice_document_draft_id"))

    op.drop_table("ehcp_advice_document")
    with op.batch_alter_table("ehcp_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ehcp_draft_person_id"))
        batch_op.drop_index(batch_op.f("ix_ehcp_draft_case_id"))

    op.drop_table("ehcp_draft")
