"""Tables of festival greetings: campaigns and their sends (the due work); supervisors' notices are
``staff.models.Notification`` rows.

A campaign is what supervisors edit and approve. Each of its ``GreetingSend`` rows is one mass send (all
followers or one tag) and is the unit a sweeper claims; its ``state`` is written before WeChat is called so
a crash can be told apart from a send that never started. States:

- ``pending``: waiting for its time (and for approval);
- ``sending``: claimed by a worker until ``lease_until``; a lapsed lease is claimed again and re-sent with the
  same ``clientmsgid``, which WeChat answers with the original ``msg_id`` if the first call got through;
- ``retrying``: a send failed for a reason that may pass (token, timeout, busy); next try at
  ``next_attempt_at``;
- ``submitted``: WeChat accepted it (``msg_id``); ``awaiting_admin``: WeChat still holds it, e.g. for the
  admin's confirmation under API mass-send protection;
- ``done``: WeChat reported the result (counts below); ``failed``, ``missed`` (its time passed the grace
  window unsent), ``cancelled``: nothing (more) will go out and ``last_error`` says why;
- ``uncertain``: a worker stopped mid-send and the grace window is over, so it is not re-sent; it may or
  may not have reached WeChat and a person checks the admin console.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, utcnow

CAMPAIGN_STATES = ("draft", "approved", "cancelled")
SEND_STATES = (
    "pending",
    "sending",
    "retrying",
    "submitted",
    "awaiting_admin",
    "done",
    "failed",
    "missed",
    "uncertain",
    "cancelled",
)
OPEN_SEND_STATES = ("pending", "sending", "retrying")  # not yet handed to WeChat
FINAL_SEND_STATES = ("done", "failed", "missed", "uncertain", "cancelled")


class GreetingCampaign(Base):
    __tablename__ = "greeting_campaigns"
    __table_args__ = (UniqueConstraint("festival", "festival_date", name="uq_greeting_campaigns_festival"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    festival: Mapped[str] = mapped_column(String(64))
    festival_date: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(16), default="mass")  # mass | per_follower
    text_hans: Mapped[str] = mapped_column(Text)
    text_hant: Mapped[str] = mapped_column(Text)
    msgtype: Mapped[str] = mapped_column(String(16), default="text")  # text | mpnews (article) | image
    media_id: Mapped[str | None] = mapped_column(String(128))  # the article's or image's permanent media id
    state: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every edit; approval is per version
    approved_version: Mapped[int | None] = mapped_column(Integer)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None]
    previewed_by: Mapped[str | None] = mapped_column(String(64))
    previewed_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class GreetingSend(Base):
    __tablename__ = "greeting_sends"
    __table_args__ = (
        UniqueConstraint("campaign_id", "segment", name="uq_greeting_sends_segment"),
        Index("ix_greeting_sends_state_due", "state", "send_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("greeting_campaigns.id", ondelete="CASCADE"), index=True)
    segment: Mapped[str] = mapped_column(String(32))  # "all" | "tag:<id>"
    tag_id: Mapped[int | None] = mapped_column(Integer)
    tag_name: Mapped[str] = mapped_column(String(64), default="")
    script: Mapped[str] = mapped_column(String(8), default="hans")
    send_at: Mapped[datetime]
    clientmsgid: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    msg_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    submitted_at: Mapped[datetime | None]
    wechat_status: Mapped[str | None] = mapped_column(String(64))
    total_count: Mapped[int | None] = mapped_column(Integer)
    filter_count: Mapped[int | None] = mapped_column(Integer)
    sent_count: Mapped[int | None] = mapped_column(Integer)
    error_count: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
