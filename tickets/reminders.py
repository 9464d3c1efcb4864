"""The tracker's clockwork: remind before the due time, escalate when overdue, follow calendar changes.

Each step claims its tickets with a conditional UPDATE (``… WHERE reminded_at IS NULL``), so two workers
running the sweep at once remind once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import redis.asyncio as aioredis
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from config.settings import Settings
from delivery.service import DeliveryService
from staff.notifications import StaffNotifier, WeChatPush
from tickets.calendar_source import load_calendar
from tickets.models import Ticket, TicketEvent
from tickets.sla import due_time, format_due_zh

log = logging.getLogger(__name__)
FINGERPRINT_KEY = "qiaobot:calendar:fingerprint"


class ReplyTracker:
    """The periodic side of the two-working-day promise: reminders, escalations, calendar changes."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis: aioredis.Redis,
        clock: Clock,
        settings: Settings,
        notifier: StaffNotifier,
        deliveries: DeliveryService,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.clock = clock
        self.settings = settings  # reminder lead, holidays file, close of business, time zone
        self.notifier = notifier
        self.deliveries = deliveries

    async def sweep_reminders(self) -> tuple[int, int]:
        """Returns (reminded, escalated)."""
        now = self.clock.now()
        lead = timedelta(minutes=self.settings.reminder_lead_minutes)
        delivery_ids: list[int] = []
        async with self.sessions() as session, session.begin():
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
                delivery_ids += await self.notifier.tell(
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
                        matter=f"留言{ticket.number}{'将到期' if kind == 'reminder' else '已超时'}",
                    ),
                )
        for delivery_id in delivery_ids:
            await self.deliveries.enqueue(delivery_id)
        return len(reminded), len(escalated)

    async def follow_calendar_changes(self) -> int:
        """Periodic: when ``holidays.yaml`` changed since the last recompute, recompute open tickets once."""
        fingerprint, _ = load_calendar(self.settings.holidays_path)
        seen = await self.redis.get(FINGERPRINT_KEY)
        if isinstance(seen, bytes) and seen.decode() == fingerprint:
            return 0
        lock = self.redis.lock("qiaobot:calendar:recompute", timeout=120, blocking_timeout=0)
        if not await lock.acquire():
            return 0
        try:
            moved = await recompute_due_times(self.sessions, self.settings, self.clock)
            await self.redis.set(FINGERPRINT_KEY, fingerprint)
            if moved:
                log.info("holiday calendar changed: %s open tickets got a new due time", moved)
            return moved
        finally:
            await lock.release()


async def recompute_due_times(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock, actor: str = "system"
) -> int:
    """Recompute open tickets' due times from the current calendar; returns how many moved."""
    _, calendar = load_calendar(settings.holidays_path)
    moved = 0
    async with sessions() as session, session.begin():
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
                        at=clock.now(),
                    )
                )
                ticket.due_at, ticket.due_provisional = due.due, due.provisional
                if ticket.reminded_at is not None and due.due > clock.now():
                    ticket.reminded_at = None
                moved += 1
    return moved
