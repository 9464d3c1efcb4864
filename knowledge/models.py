"""Tables of KB editing. The published entries stay in ``faq_entries`` (what every process's matcher
loads); these hold what only people need beside them, the drafts waiting for a supervisor, and history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, utcnow


class KbEntryDetails(Base):
    """The published entry's extras: the hand-written Traditional answer and the policy it rests on."""

    __tablename__ = "kb_entry_details"

    entry_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    answer_hant: Mapped[str] = mapped_column(Text, default="")
    source_authority: Mapped[str] = mapped_column(String(200), default="")
    source_title: Mapped[str] = mapped_column(String(300), default="")
    source_number: Mapped[str] = mapped_column(String(120), default="")
    source_url: Mapped[str] = mapped_column(String(1000), default="")
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbDraft(Base):
    """A change waiting for a supervisor: at most one per entry (staff keep editing the same draft).

    ``base_revision`` is the entry's revision number the draft was written against, so publishing over a
    newer published version is refused rather than silently undoing it. ``action``: save | retire.
    ``version`` counts the draft's own saves, so two people saving it at once cannot overwrite each other.
    """

    __tablename__ = "kb_drafts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(80), unique=True)
    action: Mapped[str] = mapped_column(String(16), default="save")
    content: Mapped[dict[str, Any]]
    base_revision: Mapped[int] = mapped_column(Integer, default=0)  # 0: a new entry
    note: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped on every save (SQLAlchemy's optimistic lock: an UPDATE or DELETE of a version someone else has
    # replaced meanwhile writes nothing and raises StaleDataError); the edit form sends the version it showed.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class KbRevision(Base):
    """One published version of one entry, numbered from 1 per entry. ``content`` is the whole entry
    (``EntryContent.to_json``), None for a retirement. ``action``: create | edit | retire | restore |
    review | outside (a change made outside the console, e.g. ``faq import``, noticed afterwards)."""

    __tablename__ = "kb_revisions"
    __table_args__ = (
        UniqueConstraint("entry_id", "number", name="uq_kb_revisions_entry_number"),
        Index("ix_kb_revisions_published", "published_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(80))
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any] | None]
    author: Mapped[str] = mapped_column(String(64))
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class KbMissedResolved(Base):
    """A missed wording staff dealt with (added as 相似问, drafted as an entry): hidden from the missed page
    for the messages up to ``resolved_at``; if users keep asking it afterwards, it shows again."""

    __tablename__ = "kb_missed_resolved"

    text_key: Mapped[str] = mapped_column(String(400), primary_key=True)  # missed.fold(text)
    entry_id: Mapped[str] = mapped_column(String(80))
    resolved_by: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime] = mapped_column(default=utcnow)
