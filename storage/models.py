"""Tables of the core service: followers, the message log and the FAQ knowledge base.

Domain packages (tickets, greetings) declare their own tables on the same ``Base`` in their own modules.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Follower(Base):
    """One WeChat user of the account.

    ``last_interaction_at`` is what the 48-hour customer-service window is measured from: WeChat only lets
    an account push a customer-service message within 48 hours of the user's last message or event.
    """

    __tablename__ = "followers"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(default=False)
    subscribed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    subscribe_scene: Mapped[str | None] = mapped_column(String(64))
    last_interaction_at: Mapped[datetime | None]
    script: Mapped[str] = mapped_column(String(8), default="hans")  # "hans" Simplified, "hant" Traditional
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageLog(Base):
    """Every message in and out, so staff can read a conversation and nothing leaves without a trace."""

    __tablename__ = "message_log"
    __table_args__ = (
        Index("ix_message_log_openid_created", "openid", "created_at"),
        Index("ix_message_log_created", "created_at"),  # the missed-questions page reads a time window
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # write-behind idempotency
    openid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    channel: Mapped[str] = mapped_column(String(16))  # passive | custom | template | mass | webhook
    msg_type: Mapped[str] = mapped_column(String(32))
    wechat_msg_id: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, default="")
    meta: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FaqRecord(Base):
    """The knowledge base lives in the database because staff edit it; ``position`` keeps their order."""

    __tablename__ = "faq_entries"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(Text)
    similar: Mapped[list[str]]
    answer: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]]
    reviewed: Mapped[str | None] = mapped_column(String(7))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbVersion(Base):
    """A single row whose number goes up on every KB change; every process polls it to reload its matcher."""

    __tablename__ = "faq_kb_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """One message we owe a user, stored before it is sent so a crash can neither lose nor repeat it.

    ``key`` is the idempotency key (unique); ``state``: pending → sending → sent, or failed / uncertain
    (a worker stopped mid-send: WeChat's customer-service API has no idempotency key, so we do not resend
    blindly; staff decide) / waiting (the 48-hour window is closed; delivered when the user next writes) / held
    (stored with what it follows, e.g. an answer's image, and let go by its owner once that was delivered).
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state", "state", "updated_at"), Index("ix_deliveries_ref", "ref"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # custom | template
    purpose: Mapped[str] = mapped_column(String(32))  # late_reply | ticket_answer | reminder | ...
    ref: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]
