"""Tables of the closed loop: the department document admins edit, who belongs to which department, and
extension (延期) requests.

The document is stored as the YAML text the admin wrote (comments included), with a version that goes up on
every save, so a second admin saving an older copy is refused instead of silently undoing the first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, utcnow


class DepartmentDocument(Base):
    __tablename__ = "department_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1: one document
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DepartmentMember(Base):
    """A staff member works in a department's queue; one person may belong to several departments."""

    __tablename__ = "department_members"

    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketExtension(Base):
    """A 延期 request: asked by staff before the due time with a reason, decided by a supervisor."""

    __tablename__ = "ticket_extensions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime]
    old_due_at: Mapped[datetime]
    new_due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
