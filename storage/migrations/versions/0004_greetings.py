"""festival greetings: campaigns, sends (due work), notices for supervisors

Revision ID: 0004_greetings
Revises: 0003_console
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0004_greetings"
down_revision = "0003_console"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "greeting_campaigns",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("festival", sa.String(64), nullable=False),
        sa.Column("festival_date", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("text_hans", sa.Text(), nullable=False),
        sa.Column("text_hant", sa.Text(), nullable=False),
        sa.Column("msgtype", sa.String(16), nullable=False),
        sa.Column("media_id", sa.String(128), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approved_version", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.Column("previewed_by", sa.String(64), nullable=True),
        sa.Column("previewed_at", UtcDateTime(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("festival", "festival_date", name="uq_greeting_campaigns_festival"),
    )
    op.create_table(
        "greeting_sends",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", BigId, sa.ForeignKey("greeting_campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("segment", sa.String(32), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=True),
        sa.Column("tag_name", sa.String(64), nullable=False),
        sa.Column("script", sa.String(8), nullable=False),
        sa.Column("send_at", UtcDateTime(), nullable=False),
        sa.Column("clientmsgid", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("msg_id", sa.BigInteger(), nullable=True),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("wechat_status", sa.String(64), nullable=True),
        sa.Column("total_count", sa.Integer(), nullable=True),
        sa.Column("filter_count", sa.Integer(), nullable=True),
        sa.Column("sent_count", sa.Integer(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=True),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("campaign_id", "segment", name="uq_greeting_sends_segment"),
    )
    op.create_index("ix_greeting_sends_campaign_id", "greeting_sends", ["campaign_id"])
    op.create_index("ix_greeting_sends_msg_id", "greeting_sends", ["msg_id"])
    op.create_index("ix_greeting_sends_state_due", "greeting_sends", ["state", "send_at"])
    op.create_table(
        "greeting_notices",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("campaign_id", BigId, sa.ForeignKey("greeting_campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("send_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_greeting_notices_campaign_id", "greeting_notices", ["campaign_id"])
    op.create_index("ix_greeting_notices_unread", "greeting_notices", ["read_at", "created_at"])


def downgrade() -> None:
    op.drop_table("greeting_notices")
    op.drop_table("greeting_sends")
    op.drop_table("greeting_campaigns")
