"""answer links name an unguessable token per ticket, not the ticket number

Revision ID: 0008_answer_link_tokens
Revises: 0007_departments
Create Date: 2026-12-01

``/a/…`` links used to be the ticket number signed with the service's secret key: sequential numbers and a
key that was once a public development value made every answer forgeable. Each ticket gets a random
``answer_token`` (32 random bytes, URL-safe); existing tickets get one here, so the column can be required.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_answer_link_tokens"
down_revision = "0007_departments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTERs only: a batch (copy-and-move) rebuild of ``tickets`` on SQLite would drop the table, and
    # with foreign keys on, the drop cascades to every ticket's messages and events.
    op.add_column("tickets", sa.Column("answer_token", sa.String(64), nullable=True))
    conn = op.get_bind()
    tickets = sa.table("tickets", sa.column("id", sa.BigInteger()), sa.column("answer_token", sa.String(64)))
    ids = conn.execute(sa.select(tickets.c.id).where(tickets.c.answer_token.is_(None))).scalars().all()
    for ticket_id in ids:
        conn.execute(
            tickets.update().where(tickets.c.id == ticket_id).values(answer_token=secrets.token_urlsafe(32))
        )
    op.create_index("uq_tickets_answer_token", "tickets", ["answer_token"], unique=True)
    if conn.dialect.name == "postgresql":  # SQLite cannot add NOT NULL in place; the model fills it always
        op.alter_column("tickets", "answer_token", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    op.drop_index("uq_tickets_answer_token", table_name="tickets")
    op.drop_column("tickets", "answer_token")
