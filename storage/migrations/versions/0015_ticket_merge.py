"""合并: tickets.merged_into names the ticket a duplicate was merged into, so figures count it once

Tickets migration 0005 merged already carry a "merged_into" audit event; they get the column from it.
``op.add_column`` (not ``batch_alter_table``) keeps SQLite's search triggers on ``tickets`` (migration 0014).

Revision ID: 0015_ticket_merge
Revises: 0014_ticket_search
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_ticket_merge"
down_revision = "0014_ticket_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("merged_into", sa.String(20), nullable=True))
    conn = op.get_bind()
    events = sa.table(
        "ticket_events", sa.column("ticket_id", sa.BigInteger), sa.column("action", sa.String), sa.column("detail", sa.JSON)
    )
    tickets = sa.table("tickets", sa.column("id", sa.BigInteger), sa.column("merged_into", sa.String))
    rows = conn.execute(sa.select(events.c.ticket_id, events.c.detail).where(events.c.action == "merged_into")).all()
    for ticket_id, detail in rows:
        number = (detail or {}).get("ticket")
        if number:
            conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(merged_into=str(number)[:20]))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets DROP COLUMN merged_into")  # SQLite >= 3.35; keeps the triggers
    else:
        op.drop_column("tickets", "merged_into")
