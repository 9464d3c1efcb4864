"""KB drafts carry a version (two staff saving one entry's draft: the second is told, not a 500 or a lost
edit), and message_log gets an index on created_at for the missed-questions page's time window

Revision ID: 0016_draft_version_log_index
Revises: 0015_ticket_merge
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_draft_version_log_index"
down_revision = "0015_ticket_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_drafts") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_index("ix_message_log_created", "message_log", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_message_log_created", table_name="message_log")
    with op.batch_alter_table("kb_drafts") as batch:
        batch.drop_column("version")
