"""Staff accounts (with a role, ``staff.roles``), what admins did to them, and the one table of what staff
are told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from staff.roles import has_role
from storage.models import Base, BigId, utcnow


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    wechat_openid: Mapped[str | None] = mapped_column(String(64))  # for reminder template messages
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 值班: told on WeChat (when their openid is bound) of new tickets in their departments' queues.
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def can(self, role: str) -> bool:
        return has_role(self.role, role)


class Notification(Base):
    """Something staff must see in the console: a ticket's reminder, escalation or failed answer, a
    greeting awaiting approval or a failed send.

    ``recipient`` is a username or ``role:<role>`` (everyone with at least that role). ``key`` is set by
    writers that may race (two schedulers): it is unique, so such a notification is written once. The
    subject is a ticket or a greeting campaign (the foreign keys are by table name: this package imports
    no domain models).
    """

    __tablename__ = "staff_notifications"
    __table_args__ = (
        Index("ix_staff_notifications_recipient", "recipient", "read_at"),
        Index("ix_staff_notifications_campaign_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(String(160), unique=True)
    recipient: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # reminder | escalation | delivery_failed | missed ...
    level: Mapped[str] = mapped_column(String(8), default="info")  # info | warning | error
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("greeting_campaigns.id", ondelete="CASCADE"))
    send_id: Mapped[int | None] = mapped_column(BigInteger)  # the greeting send, when one is the subject
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class StaffAudit(Base):
    """One thing an admin did to an account (created, changed, disabled, password reset, departments): who,
    to whom, what changed (never a password) and when. Shown on the staff page."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
