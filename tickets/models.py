"""Tables of the help desk: tickets, their messages and audit trail.

Two staff answering at once must not overwrite each other silently: ``Ticket.version`` is an optimistic lock
(SQLAlchemy's version counter), so the second save fails and the console shows the first answer.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, Literal, get_args

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, BigId, utcnow

# waiting: 待补充, staff asked the user for something and the clock is stopped until the user replies.
TicketState = Literal["open", "waiting", "answered", "closed"]
TICKET_STATES: tuple[TicketState, ...] = get_args(TicketState)


def new_answer_token() -> str:
    return secrets.token_urlsafe(32)


class TicketCounter(Base):
    """Per-day sequence for human-friendly numbers such as Q20261122-0007."""

    __tablename__ = "ticket_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_state_due", "state", "due_at"),
        Index("ix_tickets_openid_state", "openid", "state"),
        Index("ix_tickets_department_state_due", "department", "state", "due_at"),
        Index("uq_tickets_answer_token", "answer_token", unique=True),
        # One open ticket per user, whatever writes the rows: racing messages must join it, not open more.
        Index(
            "uq_tickets_one_open_per_user",
            "openid",
            unique=True,
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(160), unique=True)  # the WeChat message that opened it
    # Names the ticket in its public answer link (/a/<token>): random, so links cannot be guessed or forged.
    answer_token: Mapped[str] = mapped_column(String(64), default=new_answer_token)
    state: Mapped[TicketState] = mapped_column(String(16), default="open")
    category: Mapped[str | None] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    script: Mapped[str] = mapped_column(String(8), default="hans")
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    # The department whose queue holds the ticket (config/departments.yaml); None = the dispatcher's queue.
    department: Mapped[str | None] = mapped_column(String(32))
    # Closed by referral outside the federation: the referral's code (counted apart in the figures).
    referral: Mapped[str | None] = mapped_column(String(32))
    # 合并: the number of the ticket this duplicate was merged into (tickets.merge); it counts in no figure.
    merged_into: Mapped[str | None] = mapped_column(String(20))
    # 待补充: when the wait began and how much working time of the promise was left then (seconds).
    waiting_since: Mapped[datetime | None]
    waiting_left_seconds: Mapped[int | None] = mapped_column(Integer)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)  # approved 延期
    waited_seconds: Mapped[int] = mapped_column(Integer, default=0)  # working time spent on 待补充, all waits
    # 回访: the user's rating of the latest answer (1 满意, 2 基本满意, 3 不满意), its comment and when.
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    first_answered_at: Mapped[datetime | None]  # for the on-time rate; reopening does not reset it
    closed_at: Mapped[datetime | None]
    # none | sending | sent | notified (template sent, answer waits for the user's next message) | failed
    answer_delivery: Mapped[str] = mapped_column(String(16), default="none")
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class TicketUserLock(Base):
    """One row per user who ever handed a question over. Taking it (an upsert, which row-locks on PostgreSQL
    and takes the write lock on SQLite) serialises that user's ticket writes, so the second of two racing
    messages sees the ticket the first opened and joins it."""

    __tablename__ = "ticket_user_locks"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    locked_at: Mapped[datetime]


class TicketMessage(Base):
    """The conversation of a ticket: user messages, staff answers and internal notes (never sent)."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # user (addition) | context | bot (its reply) | answer | note
    author: Mapped[str] = mapped_column(String(64))  # openid or staff username
    body: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class TicketEvent(Base):
    """Audit log: every state change with who and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(64))  # "user", "system" or a staff username
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
