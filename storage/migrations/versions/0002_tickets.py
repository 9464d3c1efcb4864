"""tickets, their messages and audit log, staff users, staff notifications

Revision ID: 0002_tickets
Revises: 0001_core
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0002_tickets"
down_revision = "0001_core"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("wechat_openid", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("openid", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(160), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("script", sa.String(8), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answered_at", UtcDateTime(), nullable=True),
        sa.Column("first_answered_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("answer_delivery", sa.String(16), nullable=False),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
        sa.Column("escalated_at", UtcDateTime(), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_tickets_state_due", "tickets", ["state", "due_at"])
    op.create_index("ix_tickets_openid_state", "tickets", ["openid", "state"])
    op.create_index("ix_tickets_assignee", "tickets", ["assignee"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source_key", sa.String(160), nullable=True, unique=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.create_table(
        "staff_notifications",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("read_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_staff_notifications_recipient", "staff_notifications", ["recipient", "read_at"])


def downgrade() -> None:
    for table in (
        "staff_notifications",
        "ticket_events",
        "ticket_messages",
        "tickets",
        "ticket_counters",
        "staff_users",
    ):
        op.drop_table(table)
