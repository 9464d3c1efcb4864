"""one open ticket per user: a partial unique index, and the per-user lock row racing messages queue on

Revision ID: 0005_one_open_ticket
Revises: 0004_greetings
Create Date: 2026-12-01

Databases written before this rule can hold several open tickets for one user (messages that raced after
“人工”). They are merged first, so the index can be built and nothing a user wrote is lost: the oldest open
ticket keeps its number; each later one's question and messages move into it, and the later ticket is closed
with an audit event naming the ticket it was merged into.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0005_one_open_ticket"
down_revision = "0004_greetings"
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    _merge_duplicate_open_tickets()
    op.create_index(
        "uq_tickets_one_open_per_user",
        "tickets",
        ["openid"],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )
    op.create_table(
        "ticket_user_locks",
        sa.Column("openid", sa.String(64), primary_key=True),
        sa.Column("locked_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_user_locks")
    op.drop_index("uq_tickets_one_open_per_user", table_name="tickets")


def _merge_duplicate_open_tickets() -> None:
    conn = op.get_bind()
    tickets = sa.table(
        "tickets",
        sa.column("id"),
        sa.column("number"),
        sa.column("openid"),
        sa.column("state"),
        sa.column("question"),
        sa.column("created_at", UtcDateTime()),
        sa.column("closed_at", UtcDateTime()),
        sa.column("version"),
    )
    messages = sa.table(
        "ticket_messages",
        sa.column("ticket_id"),
        sa.column("kind"),
        sa.column("author"),
        sa.column("body"),
        sa.column("created_at", UtcDateTime()),
    )
    events = sa.table(
        "ticket_events",
        sa.column("ticket_id"),
        sa.column("actor"),
        sa.column("action"),
        sa.column("detail", sa.JSON()),
        sa.column("at", UtcDateTime()),
    )
    rows = conn.execute(
        sa.select(tickets.c.id, tickets.c.number, tickets.c.openid, tickets.c.question, tickets.c.created_at)
        .where(tickets.c.state == "open")
        .order_by(tickets.c.openid, tickets.c.created_at, tickets.c.id)
    ).all()
    keeper: dict[str, tuple[int, str]] = {}
    now = datetime.now(UTC)
    for ticket_id, number, openid, question, created_at in rows:
        if openid not in keeper:
            keeper[openid] = (ticket_id, number)
            continue
        into_id, into_number = keeper[openid]
        conn.execute(
            messages.insert().values(
                ticket_id=into_id, kind="user", author=openid, body=question, created_at=created_at or now
            )
        )
        conn.execute(messages.update().where(messages.c.ticket_id == ticket_id).values(ticket_id=into_id))
        conn.execute(
            tickets.update()
            .where(tickets.c.id == ticket_id)
            .values(state="closed", closed_at=now, version=tickets.c.version + 1)
        )
        for target, action in ((ticket_id, "merged_into"), (into_id, "merged_from")):
            other = into_number if action == "merged_into" else number
            conn.execute(
                events.insert().values(
                    ticket_id=target, actor="system", action=action, detail={"ticket": other}, at=now
                )
            )
