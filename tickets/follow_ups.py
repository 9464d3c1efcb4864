"""What the user writes after 受理: an addition to their open ticket (补充), a message that reopens a recent
answer, and messages the FAQ answered while a ticket is open (context staff should see).

Each row is keyed by the WeChat message, so a redelivery cannot add it twice; nothing here commits. The rows
are Core statements on the session's connection (``tickets.new_rows``), as a new ticket's are: added to the
session instead, the ORM's flush at the commit cost more than the rest of the message's handling.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select

from handlers import texts
from handlers.context import Reply
from storage.activity import RecentMessage
from storage.core_statements import run
from tickets.intake import ADDITION, context_rows, due_from, today
from tickets.models import Ticket, TicketMessage
from tickets.new_rows import event_row, insert_rows, message_row
from tickets.sla import format_due_zh
from tickets.user_tickets import handled_before

if TYPE_CHECKING:
    from config.settings import Settings
    from handlers.context import HandlerContext

# A message within this of the answer reopens the ticket; later, it is a new request.
REOPEN_WITHIN = timedelta(days=7)

# Whether this WeChat message is on a ticket's conversation already (built once: its compiled form is cached).
_NOTED = select(TicketMessage.id).where(TicketMessage.source_key == bindparam("key")).limit(1)


async def append(ctx: HandlerContext, ticket: Ticket, text: str) -> Reply:
    if await handled_before(ctx) is not None:  # this very message was added before (a redelivery)
        return Reply(texts.APPENDED_AGAIN.format(number=ticket.number))
    await _add_user_message(ctx, ticket, text, "appended")
    return Reply(
        texts.APPENDED.format(number=ticket.number),
        meta={"decision": "appended", "ticket": ticket.number},
    )


async def reopen(ctx: HandlerContext, ticket: Ticket, text: str, settings: Settings) -> Reply:
    due = due_from(ctx.now, settings)
    ticket.state = "open"
    ticket.reopen_count += 1
    ticket.due_at, ticket.due_provisional = due.due, due.provisional
    ticket.reminded_at = ticket.escalated_at = None
    await _add_user_message(ctx, ticket, text, "reopened", {"due": due.due.isoformat()})
    return Reply(
        texts.REOPENED.format(number=ticket.number, due=format_due_zh(due.due, today(ctx.now))),
        meta={"decision": "reopened", "ticket": ticket.number},
    )


async def note_answered(ctx: HandlerContext, ticket: Ticket, text: str, reply: str, noted: bool | None = None) -> None:
    """A message the FAQ answered while ``ticket`` is open joins it as context, with the bot's reply. ``noted``:
    whether the message is on a ticket's conversation already, when the caller read it (None: asked here)."""
    if noted is None:
        noted = (await run(ctx.session, _NOTED, {"key": ctx.dedupe_key})).first() is not None
    if noted:
        return  # a redelivery: noted already
    rows = context_rows(ticket, ctx.openid, RecentMessage(text, ctx.now, reply), ctx.dedupe_key)
    await insert_rows(ctx.session, [], rows)


async def _add_user_message(
    ctx: HandlerContext, ticket: Ticket, text: str, action: str, detail: dict[str, str] | None = None
) -> None:
    """A user's message joins the ticket, keyed by the WeChat message so a redelivery cannot add it twice. The
    ticket's own changes (its script, a reopening's state) are flushed before the rows, as the ORM would order them."""
    if ticket.script != ctx.follower.script:  # answers go out in the script the user writes now
        ticket.script = ctx.follower.script  # (assigned only when it changes: any assignment makes a flush)
    line = message_row(ticket.id, ADDITION, ctx.openid, text, ctx.now, ctx.dedupe_key)
    await insert_rows(ctx.session, [event_row(ticket.id, "user", action, detail, ctx.now)], [line])
