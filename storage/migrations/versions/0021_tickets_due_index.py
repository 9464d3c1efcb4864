"""queue page: every state at once, earliest due first, reads an index on (due_at, id)

The queue with state "全部" is ordered by due time over all 100,000 tickets; without an index PostgreSQL
read and sorted them all for each page (0.18 s of SQL for page 50, measured); one state at a time already
had ``ix_tickets_state_due``.

Revision ID: 0021_tickets_due_index
Revises: 0020_queue_page_indexes
Create Date: 2026-12-01
"""

from alembic import op

revision = "0021_tickets_due_index"
down_revision = "0020_queue_page_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_due", "tickets", ["due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_due", "tickets")
