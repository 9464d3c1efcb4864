"""departments and routing: the department document, department members, and a ticket's department and referral

Revision ID: 0007_departments
Revises: 0006_one_notification_table
Create Date: 2026-12-01

Tickets that exist before this revision stay in the dispatcher's queue (department NULL): the dispatcher
sends them on. The document itself is loaded from config/departments.yaml on first use, not here, so a
migration never depends on a file that staff edit.
"""

import sqlalchemy as sa
from alembic import op

from storage.types import UtcDateTime

revision = "0007_departments"
down_revision = "0006_one_notification_table"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "department_members",
        sa.Column("department", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("added_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_department_members_username", "department_members", ["username"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("department", sa.String(32), nullable=True))
        batch.add_column(sa.Column("referral", sa.String(32), nullable=True))
    op.create_index("ix_tickets_department_state_due", "tickets", ["department", "state", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_department_state_due", table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("referral")
        batch.drop_column("department")
    op.drop_index("ix_department_members_username", table_name="department_members")
    op.drop_table("department_members")
    op.drop_table("department_documents")
