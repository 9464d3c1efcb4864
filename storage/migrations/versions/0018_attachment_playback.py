"""attachments: a playable copy of a voice (AMR converted to MP3)

Revision ID: 0018_attachment_playback
Revises: 0017_attachments
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_attachment_playback"
down_revision = "0017_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_attachments") as batch:
        batch.add_column(sa.Column("playable_key", sa.String(512), nullable=True))
        batch.add_column(sa.Column("playable_type", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments") as batch:
        batch.drop_column("playable_type")
        batch.drop_column("playable_key")
