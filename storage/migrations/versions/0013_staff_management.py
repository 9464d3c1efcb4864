"""staff management and notices: the on-duty flag, the audit of what admins did to accounts, and the
departments' canned replies (常用回复)

Revision ID: 0013_staff_management
Revises: 0012_drop_staff_lockout_columns
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0013_staff_management"
down_revision = "0012_drop_staff_lockout_columns"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("on_duty", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "staff_audit",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_staff_audit_target", "staff_audit", ["target"])
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_table(
        "canned_replies",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(32), nullable=False),
        sa.Column("title", sa.String(40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("department", "title", name="uq_canned_replies_department_title"),
    )
    op.create_index("ix_canned_replies_department", "canned_replies", ["department"])


def downgrade() -> None:
    op.drop_index("ix_canned_replies_department", table_name="canned_replies")
    op.drop_table("canned_replies")
    op.drop_index("ix_staff_audit_at", table_name="staff_audit")
    op.drop_index("ix_staff_audit_target", table_name="staff_audit")
    op.drop_table("staff_audit")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("on_duty")
