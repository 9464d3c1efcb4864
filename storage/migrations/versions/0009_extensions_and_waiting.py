"""time limits: extension (延期) requests, and a ticket's wait on the user (待补充)

Revision ID: 0009_extensions_and_waiting
Revises: 0008_answer_link_tokens
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0009_extensions_and_waiting"
down_revision = "0008_answer_link_tokens"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticket_extensions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("old_due_at", UtcDateTime(), nullable=False),
        sa.Column("new_due_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
    )
    op.create_index("ix_ticket_extensions_ticket_id", "ticket_extensions", ["ticket_id"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("waiting_since", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("waiting_left_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("extension_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("waited_seconds", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("waited_seconds")
        batch.drop_column("extension_count")
        batch.drop_column("waiting_left_seconds")
        batch.drop_column("waiting_since")
    op.drop_index("ix_ticket_extensions_ticket_id", table_name="ticket_extensions")
    op.drop_table("ticket_extensions")
