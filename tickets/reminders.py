"""The tracker's clockwork: remind before the due time, escalate when overdue, follow calendar changes.

Each step claims its tickets with a conditional UPDATE (``… WHERE reminded_at IS NULL``), so two workers
running the sweep at once remind once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from staff.notifications import WeChatPush
from tickets.calendar_source import load_calendar
from tickets.models import Ticket, TicketEvent
from tickets.sla import due_time, format_due_zh

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
FINGERPRINT_KEY = "qiaobot:calendar:fingerprint"


async def sweep_reminders(services: Services) -> tuple[int, int]:
    """Returns (reminded, escalated)."""
    now = services.clock.now()
    lead = timedelta(minutes=services.settings.reminder_lead_minutes)
    delivery_ids: list[int] = []
    async with services.sessions() as session, session.begin():
        reminded = (
            (
                await session.execute(
                    update(Ticket)
                    .where(
                        Ticket.state == "open",
                        Ticket.reminded_at.is_(None),
                        Ticket.due_at > now,
                        Ticket.due_at <= now + lead,
                    )
                    .values(reminded_at=now)
                    .returning(Ticket.id)
                )
            )
            .scalars()
            .all()
        )
        escalated = (
            (
                await session.execute(
                    update(Ticket)
                    .where(Ticket.state == "open", Ticket.escalated_at.is_(None), Ticket.due_at <= now)
                    .values(escalated_at=now)
                    .returning(Ticket.id)
                )
            )
            .scalars()
            .all()
        )
        for ticket_id, kind in [(i, "reminder") for i in reminded] + [(i, "escalation") for i in escalated]:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            due_text = format_due_zh(ticket.due_at)
            if kind == "reminder":
                recipient = ticket.assignee or "role:staff"
                text = f"提醒：留言 {ticket.number} 将于{due_text}到期，请尽快答复。"
            else:
                recipient = "role:supervisor"
                owner = ticket.assignee or "未分配"
                text = f"超时：留言 {ticket.number} 已于{due_text}到期仍未答复（负责人：{owner}）。"
            session.add(TicketEvent(ticket_id=ticket.id, actor="system", action=kind, detail=None, at=now))
            delivery_ids += await services.notifier.tell(
                session,
                recipient=recipient,
                kind=kind,
                text=text,
                now=now,
                ticket_id=ticket.id,
                push=WeChatPush(
                    key=f"staff-{kind}:{ticket.number}:{ticket.reopen_count}",
                    purpose=f"staff_{kind}",
                    path=f"/console/tickets/{ticket.number}",
                    ref=ticket.number,
                    data={"keyword1": {"value": ticket.number}, "keyword2": {"value": due_text}},
                ),
            )
    for delivery_id in delivery_ids:
        await services.deliveries.enqueue(delivery_id)
    return len(reminded), len(escalated)


async def recompute_due_times(services: Services, actor: str = "system") -> int:
    """Recompute open tickets' due times from the current calendar; returns how many moved."""
    settings = services.settings
    _, calendar = load_calendar(settings.holidays_path)
    moved = 0
    async with services.sessions() as session, session.begin():
        tickets = (await session.scalars(select(Ticket).where(Ticket.state == "open"))).all()
        for ticket in tickets:
            due = due_time(ticket.created_at, calendar, settings.close_of_business, settings.tz)
            if due.due != ticket.due_at or due.provisional != ticket.due_provisional:
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id,
                        actor=actor,
                        action="due_recomputed",
                        detail={
                            "from": ticket.due_at.isoformat(),
                            "to": due.due.isoformat(),
                            "provisional": due.provisional,
                        },
                        at=services.clock.now(),
                    )
                )
                ticket.due_at, ticket.due_provisional = due.due, due.provisional
                if ticket.reminded_at is not None and due.due > services.clock.now():
                    ticket.reminded_at = None
                moved += 1
    return moved


async def follow_calendar_changes(services: Services) -> int:
    """Periodic: when ``holidays.yaml`` changed since the last recompute, recompute open tickets once."""
    fingerprint, _ = load_calendar(services.settings.holidays_path)
    seen = await services.redis.get(FINGERPRINT_KEY)
    if isinstance(seen, bytes) and seen.decode() == fingerprint:
        return 0
    lock = services.redis.lock("qiaobot:calendar:recompute", timeout=120, blocking_timeout=0)
    if not await lock.acquire():
        return 0
    try:
        moved = await recompute_due_times(services)
        await services.redis.set(FINGERPRINT_KEY, fingerprint)
        if moved:
            log.info("holiday calendar changed: %s open tickets got a new due time", moved)
        return moved
    finally:
        await lock.release()
