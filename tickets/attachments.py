"""Attachments on a ticket: recording what the user sent, what the ticket page shows of them, and who may open
them (the ticket's people: its department, the dispatcher for the dispatcher's queue, supervisors, and whoever
it is assigned to or answered by — users send passports and certificates, so not every staff member)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.inbound_media import KIND_NAMES, InboundMedia
from staff.roles import Actor
from tickets.attachment_models import Attachment
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.routing import may_work

# Formats a browser shows or plays itself; anything else (WeChat voice is AMR) is offered as a download.
PREVIEWABLE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PLAYABLE_AUDIO = frozenset({"audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/webm", "audio/aac"})
PLAYABLE_VIDEO = frozenset({"video/mp4", "video/webm"})
STATE_NAMES = {
    "pending": "正在从微信取回",
    "stored": "已保存",
    "too_large": "文件过大，未保存",
    "expired": "已过期（微信只保存 3 天）",
    "failed": "未能取回",
}


async def record_inbound(
    session: AsyncSession,
    ticket: Ticket,
    media: InboundMedia,
    openid: str,
    source_key: str,
    now: datetime,
    *,
    before_ticket: bool = False,
) -> Attachment:
    """The user's file joins the ticket with the line of its conversation and as a pending attachment, in the
    message's transaction and keyed by the WeChat message (a redelivery finds the first). Enqueue its download after
    commit (``AttachmentDownloads.enqueue``); the sweep does it if that is lost.

    ``before_ticket``: a file sent before the ticket opened (``tickets.earlier_media``): shown with the question,
    with no line of its own, and the audit trail says it came before."""
    existing = await session.scalar(select(Attachment).where(Attachment.source_key == source_key))
    if existing is not None:
        return existing
    # The line this message already became (an addition the desk wrote), the question itself (it opened the
    # ticket: no line, shown with the question), or a new line of its own.
    line_id = await session.scalar(select(TicketMessage.id).where(TicketMessage.source_key == source_key))
    if line_id is None and ticket.source_key != source_key and not before_ticket:
        message = TicketMessage(
            ticket_id=ticket.id, kind="user", author=openid, body=media.thread_line(), created_at=now
        )
        session.add(message)
        await session.flush()
        line_id = message.id
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=line_id,
        direction="in",
        kind=media.kind,
        author=openid,
        source_key=source_key,
        media_id=media.media_id,
        received_at=media.received_at,
        state="pending",
        attempts=0,
        error="",
        filename=media.filename,
        recognition=media.recognition,
        created_at=now,
        updated_at=now,
    )
    session.add(attachment)
    detail: dict[str, object] = {"kind": media.kind}
    if before_ticket:
        detail["before_ticket"] = True
    session.add(TicketEvent(ticket_id=ticket.id, actor="user", action="attachment_received", detail=detail, at=now))
    await session.flush()
    return attachment


async def may_open(session: AsyncSession, actor: Actor, ticket: Ticket) -> bool:
    if actor.username in (ticket.assignee, ticket.answered_by):
        return True
    return await may_work(session, actor, ticket)


@dataclass(frozen=True)
class AttachmentView:
    """One attachment as the ticket page shows it."""

    id: int
    message_id: int | None
    direction: str
    kind: str
    kind_name: str
    state: str
    state_name: str
    error: str
    content_type: str
    filename: str
    size: int | None
    recognition: str | None
    at: datetime
    playable_type: str | None = None  # a converted copy browsers play (a voice's MP3)
    before_ticket: bool = False  # sent in the minutes before the ticket opened (tickets.earlier_media)

    @property
    def stored(self) -> bool:
        return self.state == "stored"

    @property
    def preview(self) -> bool:
        return self.stored and self.content_type in PREVIEWABLE_IMAGES

    @property
    def playable(self) -> bool:
        return self.stored and (self.content_type in PLAYABLE_AUDIO or self.playable_type is not None)

    @property
    def play_query(self) -> str:
        """What the file view's URL takes to serve the playable copy rather than the original."""
        return "?play=1" if self.playable_type else ""

    @property
    def video(self) -> bool:
        return self.stored and self.content_type in PLAYABLE_VIDEO

    @property
    def size_text(self) -> str:
        if self.size is None:
            return ""
        return f"{self.size / 1024:.0f} KB" if self.size < 1024 * 1024 else f"{self.size / (1024 * 1024):.1f} MB"


def view_of(attachment: Attachment, question_key: str | None = None) -> AttachmentView:
    """``question_key``: the message that opened the ticket; a file under the question that is not that
    message came before it."""
    before = attachment.direction == "in" and attachment.message_id is None and attachment.source_key != question_key
    return AttachmentView(
        id=attachment.id,
        message_id=attachment.message_id,
        direction=attachment.direction,
        kind=attachment.kind,
        kind_name=KIND_NAMES.get(attachment.kind, "文件"),
        state=attachment.state,
        state_name=STATE_NAMES.get(attachment.state, attachment.state),
        error=attachment.error,
        content_type=attachment.content_type or "",
        filename=attachment.filename or "",
        size=attachment.size,
        recognition=attachment.recognition,
        at=attachment.received_at,
        playable_type=attachment.playable_type if attachment.playable_key else None,
        before_ticket=before and question_key is not None,
    )


async def files_by_message(session: AsyncSession, ticket_id: int) -> dict[int | None, list[AttachmentView]]:
    """The ticket's attachments under the thread line each belongs to (the ticket page)."""
    grouped: dict[int | None, list[AttachmentView]] = {}
    for view in await ticket_attachments(session, ticket_id):
        grouped.setdefault(view.message_id, []).append(view)
    return grouped


async def ticket_attachments(session: AsyncSession, ticket_id: int) -> list[AttachmentView]:
    rows = (
        await session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id))
    ).all()
    question_key = await session.scalar(select(Ticket.source_key).where(Ticket.id == ticket_id)) if rows else None
    return [view_of(row, question_key) for row in rows]
