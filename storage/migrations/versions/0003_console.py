"""console sessions: server-side staff sessions (token hash, CSRF token, expiry)

Revision ID: 0003_console
Revises: 0002_tickets
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0003_console"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_console_sessions_staff_id", "console_sessions", ["staff_id"])
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_at"])
    # The queue lists open tickets by due time, optionally per assignee or category: keep those scans on
    # an index when there are tens of thousands of tickets.
    op.create_index("ix_tickets_category_state_due", "tickets", ["category", "state", "due_at"])
    op.create_index("ix_tickets_assignee_state_due", "tickets", ["assignee", "state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_assignee_state_due", table_name="tickets")
    op.drop_index("ix_tickets_category_state_due", table_name="tickets")
    op.drop_index("ix_console_sessions_expires", table_name="console_sessions")
    op.drop_index("ix_console_sessions_staff_id", table_name="console_sessions")
    op.drop_table("console_sessions")
