"""What the ticket page shows about its clock: the pending extension and its history, and whether this staff
member may ask for an extension or ask the user for more. Read-only; the forms post to ``ticket_time``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from console.deps import ConsoleServices
from console.sessions import StaffIdentity
from tickets.models import Ticket
from tickets.routing import may_work
from tickets.routing_models import TicketExtension
from tickets.time_limits import extensions_of


@dataclass(frozen=True)
class TicketClock:
    pending: TicketExtension | None
    history: list[TicketExtension]
    may_extend: bool
    may_ask: bool
    max_days: int
    close_days: int


async def ticket_clock(db: AsyncSession, services: ConsoleServices, user: StaffIdentity, ticket: Ticket) -> TicketClock:
    history = await extensions_of(db, ticket)
    pending = next((x for x in history if x.state == "pending"), None)
    works = ticket.state == "open" and await may_work(db, user, ticket)
    return TicketClock(
        pending=pending,
        history=history,
        may_extend=works and services.clock.now() < ticket.due_at,
        may_ask=works,
        max_days=services.settings.extension_max_working_days,
        close_days=services.settings.waiting_close_working_days,
    )
