"""statistics and the monthly report: covering indexes, so a period's figures are read from an index

The statistics page, ``/api/stats`` and the monthly report count the tickets received in a period (12 weeks
are more than half of 100,000 tickets): with ``ix_tickets_created`` alone PostgreSQL read the whole 100 MB
table for each of their queries (50 ms a scan, measured). These indexes hold every column those queries read,
so PostgreSQL answers them by an index-only scan; on SQLite the same columns make a covering index too.
The satisfaction figures count by the time of the rating, in their own partial index.

Revision ID: 0023_ticket_stats_indexes
Revises: 0022_check_search_locale
Create Date: 2026-12-01
"""

from alembic import op

revision = "0023_ticket_stats_indexes"
down_revision = "0022_check_search_locale"
branch_labels = None
depends_on = None

STATS_COLUMNS = (
    "merged_into, state, due_at, first_answered_at, category, department, referral, "
    "extension_count, waited_seconds, rating, id"
)
RATED_COLUMNS = "rating, merged_into, department, answered_by"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_tickets_created_stats ON tickets (created_at) INCLUDE ({STATS_COLUMNS})")
        op.execute(
            f"CREATE INDEX ix_tickets_rated ON tickets (rated_at) INCLUDE ({RATED_COLUMNS}) WHERE rating IS NOT NULL"
        )
    else:
        op.execute(f"CREATE INDEX ix_tickets_created_stats ON tickets (created_at, {STATS_COLUMNS})")
        op.execute(f"CREATE INDEX ix_tickets_rated ON tickets (rated_at, {RATED_COLUMNS}) WHERE rating IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_rated")
    op.execute("DROP INDEX ix_tickets_created_stats")
