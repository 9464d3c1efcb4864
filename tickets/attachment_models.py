"""A file on a ticket: a picture, voice, video or file the user sent, or an image staff attached to an answer.

The row exists before the file does: an inbound attachment is recorded in the message's own transaction with
WeChat's ``media_id`` (state ``pending``), and the download job fills in the stored file. So a download that
fails is visible on the ticket as pending and retried, never lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId, utcnow

# pending: recorded, not stored yet (downloading, or retrying); stored: the file is in the blob store;
# too_large: over QIAOBOT_ATTACHMENT_MAX_BYTES, not kept; expired: WeChat's three days passed before we got it;
# failed: WeChat refused it for another reason (the error says which).
ATTACHMENT_STATES = ("pending", "stored", "too_large", "expired", "failed")


class Attachment(Base):
    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_state", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    # The thread line it belongs to: the user's message, or the staff answer it was sent with.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(4))  # in (from the user) | out (staff, with an answer)
    kind: Mapped[str] = mapped_column(String(16))  # image | voice | video | shortvideo | file
    author: Mapped[str] = mapped_column(String(64))  # openid or staff username
    source_key: Mapped[str | None] = mapped_column(String(160), unique=True)  # the WeChat message (inbound)
    media_id: Mapped[str | None] = mapped_column(String(256))  # WeChat's temporary media id (inbound)
    received_at: Mapped[datetime]  # when WeChat received it: its three days count from here
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str | None] = mapped_column(String(128))
    filename: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    blob_key: Mapped[str | None] = mapped_column(String(512))
    recognition: Mapped[str | None] = mapped_column(Text)  # WeChat's speech recognition of a voice, if on
    # A copy browsers play (a voice's AMR converted to MP3, tickets.voice_playback), when one could be made.
    playable_key: Mapped[str | None] = mapped_column(String(512))
    playable_type: Mapped[str | None] = mapped_column(String(64))
    stored_at: Mapped[datetime | None]
    # Outbound images: the media_id of the latest upload to WeChat and when (reused within its three days).
    upload_media_id: Mapped[str | None] = mapped_column(String(256))
    uploaded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
