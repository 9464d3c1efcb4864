"""受理 from the conversation: a new ticket whose question is the user's request, with what they wrote before
it as context, its due time and its department. The lookups that keep a redelivered message (or one re-handled
after a crash) from opening a second one are ``tickets.user_tickets``.

Every row is keyed by the WeChat message that caused it (``source_key``); nothing here commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from handlers.context import Reply
from storage.activity import RecentMessage
from tickets.calendar_source import current_calendar
from tickets.models import Ticket, new_answer_token
from tickets.new_rows import event_values, insert_numbered_ticket, insert_rows, message_row
from tickets.routing import route_arrival
from tickets.sla import BEIJING, DueTime, due_time, format_due_zh

if TYPE_CHECKING:
    from config.settings import Settings
    from handlers.context import HandlerContext

# TicketMessage kinds the conversation writes: "context" is something the user wrote before the ticket
# opened (or a message the FAQ answered while it was open), "bot" what the bot replied to it; "user" is
# a later addition to the request.
CONTEXT, BOT_REPLY, ADDITION = "context", "bot", "user"


def today(now: datetime) -> date:
    return now.astimezone(BEIJING).date()


def due_from(now: datetime, settings: Settings) -> DueTime:
    """When an answer is due for a request made (or made again) at ``now``: two working days, in the calendar."""
    return due_time(now, current_calendar(settings), settings.close_of_business, settings.tz)


def created_reply(ticket: Ticket, now: datetime) -> Reply:
    due = format_due_zh(ticket.due_at, today(now))
    return Reply(
        texts.HANDOVER_CREATED.format(number=ticket.number, due=due),
        meta={"decision": "handover", "ticket": ticket.number},
    )


async def new_ticket(
    ctx: HandlerContext,
    settings: Settings,
    question: str,
    category: str | None,
    related: tuple[str, ...],
    context: list[RecentMessage],
    answered: RecentMessage | None,
) -> Ticket:
    """Open a ticket whose question is the request itself; ``context`` is what the user wrote before it,
    ``answered`` the earlier message that is the question, whose bot reply staff should see too. The caller
    holds the user's lock and has checked there is no open ticket.

    Written as Core statements (``tickets.new_rows``): the ticket with its audit trail (one statement on
    PostgreSQL, which takes the day's number in it too), then its conversation; the department is decided before
    the ticket's INSERT, which carries it."""
    session: AsyncSession = ctx.session
    due = due_from(ctx.now, settings)
    arrival = await route_arrival(session, category, settings.departments_path)
    detail = {"due": due.due.isoformat(), "provisional": due.provisional, "related": list(related[:3])}
    events = [event_values("user", "created", detail, ctx.now)]
    if arrival.action is not None:  # after ``created``: the audit log reads in that order
        events.append(event_values("system", arrival.action, arrival.detail, ctx.now))
    ticket = await insert_numbered_ticket(
        session,
        {
            "openid": ctx.openid,
            "source_key": ctx.dedupe_key,
            "answer_token": new_answer_token(),
            "state": "open",
            "category": category,
            "department": arrival.department,
            "question": question,
            "script": ctx.follower.script,
            "created_at": ctx.now,
            "due_at": due.due,
            "due_provisional": due.provisional,
            "answer_delivery": "none",
            "reopen_count": 0,
        },
        ctx.now,
        events,
    )
    # The question itself is ``ticket.question``; messages hold what came before it and what follows.
    messages = [row for earlier in context for row in context_rows(ticket, ctx.openid, earlier, None)]
    if answered is not None and answered.reply:
        at = answered.at or ctx.now
        messages.append(message_row(ticket.id, BOT_REPLY, "bot", answered.reply, at))
    await insert_rows(session, [], messages)
    return ticket


def context_rows(
    ticket: Ticket, openid: str, message: RecentMessage, source_key: str | None
) -> list[dict[str, Any]]:
    """What the user wrote (at its own time) and what the bot replied, as rows for ``new_rows.insert_rows``."""
    at = message.at or ticket.created_at
    rows = [message_row(ticket.id, CONTEXT, openid, message.text, at, source_key)]
    if message.reply:
        rows.append(message_row(ticket.id, BOT_REPLY, "bot", message.reply, at))
    return rows
