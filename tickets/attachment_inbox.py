"""The conversation's side of attachments (``handlers.inbound_media.TicketFiles``): a message's file goes onto
the ticket the desk put the message on, and its download is queued once the message's transaction committed."""

from __future__ import annotations

from sqlalchemy import select

from handlers.context import HandlerContext
from handlers.inbound_media import InboundMedia
from tickets.attachment_download import AttachmentDownloads
from tickets.attachments import record_inbound
from tickets.models import Ticket


class TicketAttachments:
    def __init__(self, downloads: AttachmentDownloads) -> None:
        self.downloads = downloads

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
