"""one notification table for staff: greeting notices become staff_notifications rows

Revision ID: 0006_one_notification_table
Revises: 0005_one_open_ticket
Create Date: 2026-12-01

Greeting notices (``greeting_notices``) and ticket notifications (``staff_notifications``) were two tables
for one idea. ``staff_notifications`` gains the columns greeting notices had (``key``, ``level``,
``campaign_id``, ``send_id``); every greeting notice is copied into it addressed to ``role:supervisor``,
with its key, so a scheduler racing the upgrade still writes each notice once; then the old table goes.
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0006_one_notification_table"
down_revision = "0005_one_open_ticket"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COPIED = "recipient, kind, level, key, campaign_id, send_id, text, created_at, read_at"


def upgrade() -> None:
    with op.batch_alter_table("staff_notifications") as batch:
        batch.add_column(sa.Column("key", sa.String(160), nullable=True))
        batch.add_column(sa.Column("level", sa.String(8), nullable=False, server_default="info"))
        batch.add_column(sa.Column("campaign_id", BigId, nullable=True))
        batch.add_column(sa.Column("send_id", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_staff_notifications_key", ["key"])
        batch.create_foreign_key(
            "fk_staff_notifications_campaign_id", "greeting_campaigns", ["campaign_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_staff_notifications_campaign_id", ["campaign_id"])
    op.execute(
        f"INSERT INTO staff_notifications ({COPIED}) "
        "SELECT 'role:supervisor', kind, level, key, campaign_id, send_id, text, created_at, read_at "
        "FROM greeting_notices ORDER BY id"
    )
    op.drop_table("greeting_notices")


def downgrade() -> None:
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
    op.execute(
        "INSERT INTO greeting_notices (key, campaign_id, send_id, kind, level, text, created_at, read_at) "
        "SELECT COALESCE(key, 'notification:' || id), campaign_id, send_id, kind, level, text, created_at, read_at "
        "FROM staff_notifications WHERE campaign_id IS NOT NULL ORDER BY id"
    )
    op.execute("DELETE FROM staff_notifications WHERE campaign_id IS NOT NULL")
    with op.batch_alter_table("staff_notifications") as batch:
        batch.drop_index("ix_staff_notifications_campaign_id")
        batch.drop_constraint("fk_staff_notifications_campaign_id", type_="foreignkey")
        batch.drop_constraint("uq_staff_notifications_key", type_="unique")
        batch.drop_column("send_id")
        batch.drop_column("campaign_id")
        batch.drop_column("level")
        batch.drop_column("key")
