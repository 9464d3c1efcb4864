"""core tables: followers, message log, FAQ knowledge base

Revision ID: 0001_core
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followers",
        sa.Column("openid", sa.String(64), primary_key=True),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("subscribed_at", UtcDateTime(), nullable=True),
        sa.Column("unsubscribed_at", UtcDateTime(), nullable=True),
        sa.Column("subscribe_scene", sa.String(64), nullable=True),
        sa.Column("last_interaction_at", UtcDateTime(), nullable=True),
        sa.Column("script", sa.String(8), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "message_log",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("record_key", sa.String(200), nullable=True, unique=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("msg_type", sa.String(32), nullable=False),
        sa.Column("wechat_msg_id", sa.String(64), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_message_log_openid_created", "message_log", ["openid", "created_at"])
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("similar", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("reviewed", sa.String(7), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "faq_kb_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("openid", sa.String(64), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_deliveries_state", "deliveries", ["state", "updated_at"])
    op.create_index("ix_deliveries_ref", "deliveries", ["ref"])


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("faq_kb_version")
    op.drop_table("faq_entries")
    op.drop_index("ix_message_log_openid_created", table_name="message_log")
    op.drop_table("message_log")
    op.drop_table("followers")
