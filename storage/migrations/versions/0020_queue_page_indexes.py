"""queue page: the category filter's list and the 新工单 badge read indexes instead of every ticket

At 100,000 tickets each queue page spent, before it listed anything, 0.2 s on ``SELECT DISTINCT category``
(every ticket read; now a recursive query probes ``ix_tickets_category`` once per category, see
``tickets.queue.ticket_categories``) and 0.14 s counting open tickets nobody has taken (now an index-only
scan of the partial index below, which holds only those tickets).

Revision ID: 0020_queue_page_indexes
Revises: 0019_ticket_search_docs
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_queue_page_indexes"
down_revision = "0019_ticket_search_docs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_category", "tickets", ["category"])
    untaken = sa.text("state = 'open' AND assignee IS NULL")
    op.create_index(
        "ix_tickets_open_untaken", "tickets", ["department"], postgresql_where=untaken, sqlite_where=untaken
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_open_untaken", "tickets")
    op.drop_index("ix_tickets_category", "tickets")
