"""attachments: files users send on a ticket and images staff attach to answers

Revision ID: 0017_attachments
Revises: 0016_draft_version_log_index
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0017_attachments"
down_revision = "0016_draft_version_log_index"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ticket_attachments",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", BigId, sa.ForeignKey("ticket_messages.id", ondelete="SET NULL"), nullable=True),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(160), nullable=True, unique=True),
        sa.Column("media_id", sa.String(256), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("content_type", sa.String(128), nullable=True),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("blob_key", sa.String(512), nullable=True),
        sa.Column("recognition", sa.Text(), nullable=True),
        sa.Column("stored_at", UtcDateTime(), nullable=True),
        sa.Column("upload_media_id", sa.String(256), nullable=True),
        sa.Column("uploaded_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_ticket_attachments_ticket_id", "ticket_attachments", ["ticket_id"])
    op.create_index("ix_ticket_attachments_state", "ticket_attachments", ["state"])


def downgrade() -> None:
    op.drop_index("ix_ticket_attachments_state", table_name="ticket_attachments")
    op.drop_index("ix_ticket_attachments_ticket_id", table_name="ticket_attachments")
    op.drop_table("ticket_attachments")
