"""One ticket as staff see it: its messages and notes, the user's WeChat conversation around it, the audit
trail, its deliveries, the 48-hour window and the FAQ answers staff could start from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faq.kb import FaqEntry
from storage.models import Delivery, Follower, MessageLog
from tickets.errors import TicketNotFound
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.queue import due_flags
from tickets.windows import WARN_BEFORE, window_closes_at

if TYPE_CHECKING:
    from faq.matcher import FaqMatcher

# The WeChat conversation shown with a ticket starts this long before the ticket was opened.
CONVERSATION_LOOKBACK = timedelta(days=1)
CONVERSATION_LIMIT = 200


WindowState = Literal["open", "closing", "closed", "unknown"]


@dataclass(frozen=True)
class ReplyWindow:
    """WeChat's 48-hour customer-service window for the ticket's user, as the console shows it."""

    state: WindowState
    closes_at: datetime | None


def reply_window(follower: Follower | None, now: datetime) -> ReplyWindow:
    closes = window_closes_at(follower)
    if closes is None:
        return ReplyWindow("unknown", None)
    if closes <= now:
        return ReplyWindow("closed", closes)
    return ReplyWindow("closing" if closes - now <= WARN_BEFORE else "open", closes)


@dataclass
class TicketDetail:
    ticket: Ticket
    messages: list[TicketMessage]  # user messages and answers
    notes: list[TicketMessage]
    conversation: list[MessageLog]
    events: list[TicketEvent]
    deliveries: list[Delivery]
    window: ReplyWindow
    suggestions: list[FaqEntry]
    overdue: bool
    due_soon: bool
    other_tickets: list[tuple[str, str]] = field(default_factory=list)  # (number, state) of the same user


async def get_ticket(session: AsyncSession, number: str) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.number == number).execution_options(populate_existing=True)
    )
    if ticket is None:
        raise TicketNotFound(f"没有编号为 {number} 的工单")
    return ticket


def suggested_entries(matcher: FaqMatcher, question: str) -> list[FaqEntry]:
    """FAQ answers staff can start from: whatever the matcher would have offered the user."""
    decision = matcher.decide(question)
    ids = (decision.faq_id,) if decision.faq_id else decision.suggestions
    entries = []
    for faq_id in ids:
        try:
            entries.append(matcher.entry(faq_id))
        except KeyError:
            continue
    return entries


async def ticket_detail(matcher: FaqMatcher, session: AsyncSession, number: str, now: datetime) -> TicketDetail:
    ticket = await get_ticket(session, number)
    messages = list(
        (
            await session.scalars(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
            )
        ).all()
    )
    conversation = list(
        (
            await session.scalars(
                select(MessageLog)
                .where(
                    MessageLog.openid == ticket.openid,
                    MessageLog.created_at >= ticket.created_at - CONVERSATION_LOOKBACK,
                )
                .order_by(MessageLog.created_at, MessageLog.id)
                .limit(CONVERSATION_LIMIT)
            )
        ).all()
    )
    events = list(
        (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
            )
        ).all()
    )
    deliveries = list(
        (
            await session.scalars(
                select(Delivery).where(Delivery.ref == ticket.number).order_by(Delivery.created_at, Delivery.id)
            )
        ).all()
    )
    others = (
        await session.execute(
            select(Ticket.number, Ticket.state)
            .where(Ticket.openid == ticket.openid, Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc())
            .limit(10)
        )
    ).all()
    follower = await session.get(Follower, ticket.openid)
    overdue, soon = due_flags(ticket.state, ticket.due_at, now)
    return TicketDetail(
        ticket=ticket,
        messages=[m for m in messages if m.kind != "note"],
        notes=[m for m in messages if m.kind == "note"],
        conversation=conversation,
        events=events,
        deliveries=deliveries,
        window=reply_window(follower, now),
        suggestions=suggested_entries(matcher, ticket.question),
        overdue=overdue,
        due_soon=soon,
        other_tickets=[(str(n), str(s)) for n, s in others],
    )
