"""staff_users: drop failed_logins and locked_until, unused since login throttling moved to Redis
(staff.login_throttle counts failures per account and client address before the password is checked)

Revision ID: 0012_drop_staff_lockout_columns
Revises: 0011_ratings
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0012_drop_staff_lockout_columns"
down_revision = "0011_ratings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", UtcDateTime(), nullable=True))
