"""knowledge editing: entry details (Traditional answer, policy source), drafts, revisions, resolved misses

Revision ID: 0010_knowledge_editing
Revises: 0009_extensions_and_waiting
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0010_knowledge_editing"
down_revision = "0009_extensions_and_waiting"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kb_entry_details",
        sa.Column("entry_id", sa.String(80), primary_key=True),
        sa.Column("answer_hant", sa.Text(), nullable=False, server_default=""),
        sa.Column("source_authority", sa.String(200), nullable=False, server_default=""),
        sa.Column("source_title", sa.String(300), nullable=False, server_default=""),
        sa.Column("source_number", sa.String(120), nullable=False, server_default=""),
        sa.Column("source_url", sa.String(1000), nullable=False, server_default=""),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "kb_drafts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(80), nullable=False, unique=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.UniqueConstraint("entry_id", "number", name="uq_kb_revisions_entry_number"),
    )
    op.create_index("ix_kb_revisions_published", "kb_revisions", ["published_at"])
    op.create_table(
        "kb_missed_resolved",
        sa.Column("text_key", sa.String(400), primary_key=True),
        sa.Column("entry_id", sa.String(80), nullable=False),
        sa.Column("resolved_by", sa.String(64), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kb_missed_resolved")
    op.drop_index("ix_kb_revisions_published", table_name="kb_revisions")
    op.drop_table("kb_revisions")
    op.drop_table("kb_drafts")
    op.drop_table("kb_entry_details")
