"""What the user writes after 受理: an addition to their open ticket (补充), a message that reopens a recent
answer, and messages the FAQ answered while a ticket is open (context staff should see).

Each row is keyed by the WeChat message, so a redelivery cannot add it twice; nothing here commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from handlers import texts
from handlers.context import Reply
from storage.activity import RecentMessage
from tickets.intake import ADDITION, add_context, due_from, today
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.sla import format_due_zh
from tickets.user_tickets import handled_before

if TYPE_CHECKING:
    from config.settings import Settings
    from handlers.context import HandlerContext

# A message within this of the answer reopens the ticket; later, it is a new request.
REOPEN_WITHIN = timedelta(days=7)


async def append(ctx: HandlerContext, ticket: Ticket, text: str) -> Reply:
    if await handled_before(ctx) is not None:  # this very message was added before (a redelivery)
        return Reply(texts.APPENDED_AGAIN.format(number=ticket.number))
    _add_user_message(ctx, ticket, text, "appended")
    return Reply(
        texts.APPENDED.format(number=ticket.number),
        meta={"decision": "appended", "ticket": ticket.number},
    )


def reopen(ctx: HandlerContext, ticket: Ticket, text: str, settings: Settings) -> Reply:
    due = due_from(ctx.now, settings)
    ticket.state = "open"
    ticket.reopen_count += 1
    ticket.due_at, ticket.due_provisional = due.due, due.provisional
    ticket.reminded_at = ticket.escalated_at = None
    _add_user_message(ctx, ticket, text, "reopened", {"due": due.due.isoformat()})
    return Reply(
        texts.REOPENED.format(number=ticket.number, due=format_due_zh(due.due, today(ctx.now))),
        meta={"decision": "reopened", "ticket": ticket.number},
    )


async def note_answered(ctx: HandlerContext, ticket: Ticket, text: str, reply: str) -> None:
    """A message the FAQ answered while ``ticket`` is open joins it as context, with the bot's reply."""
    if await ctx.session.scalar(select(TicketMessage.id).where(TicketMessage.source_key == ctx.dedupe_key)):
        return  # a redelivery: noted already
    add_context(ctx.session, ticket, ctx.openid, RecentMessage(text, ctx.now, reply), ctx.dedupe_key)


def _add_user_message(
    ctx: HandlerContext, ticket: Ticket, text: str, action: str, detail: dict[str, str] | None = None
) -> None:
    """A user's message joins the ticket, keyed by the WeChat message so a redelivery cannot add it twice."""
    ticket.script = ctx.follower.script  # answers go out in the script the user writes now
    ctx.session.add(
        TicketMessage(
            ticket_id=ticket.id,
            kind=ADDITION,
            author=ctx.openid,
            body=text,
            source_key=ctx.dedupe_key,
            created_at=ctx.now,
        )
    )
    ctx.session.add(TicketEvent(ticket_id=ticket.id, actor="user", action=action, detail=detail, at=ctx.now))
