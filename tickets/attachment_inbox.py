"""The conversation's side of attachments (``handlers.context.TicketFiles``): a message's file goes onto the
ticket the desk put the message on, and its download is queued once the message's transaction committed; a file
that went on no ticket is kept a few minutes for the ticket the user opens next (``tickets.earlier_media``)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import HandlerContext
from handlers.inbound_media import InboundMedia
from tickets.attachment_download import AttachmentDownloads
from tickets.attachments import record_inbound
from tickets.earlier_media import EarlierMedia
from tickets.models import Ticket


class TicketAttachments:
    def __init__(self, downloads: AttachmentDownloads, earlier: EarlierMedia | None = None) -> None:
        self.downloads = downloads
        self.earlier = earlier

    async def remember(self, ctx: HandlerContext, media: InboundMedia) -> int:
        """A file on no ticket waits for the ticket the user may open next (``tickets.earlier_media``)."""
        if self.earlier is None or not await self.earlier.remember(ctx, media):
            return 0
        return self.earlier.minutes

    async def attach(self, ctx: HandlerContext, media: InboundMedia, ticket_number: str) -> None:
        ticket = await ctx.session.scalar(select(Ticket).where(Ticket.number == ticket_number))
        if ticket is None:
            return
        attachment = await record_inbound(ctx.session, ticket, media, ctx.openid, ctx.dedupe_key, ctx.now)
        if attachment.state == "pending":
            attachment_id = attachment.id

            async def enqueue() -> None:
                await self.downloads.enqueue(attachment_id)

            ctx.after_commit.append(enqueue)
