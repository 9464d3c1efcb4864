"""Figures by department: tickets received, the on-time rate (as ``summarize`` counts it), referrals outside
the federation (counted apart: a referral is an answer that says where to go, not the department's work),
and how many tickets each department transferred on or returned to the dispatcher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.working_days import WorkingCalendar
from tickets.departments import DepartmentBook
from tickets.models import Ticket, TicketEvent
from tickets.stats import Elapsed, StatGroup, StatRow, summarize, wall_clock_hours, week_start, working_hours

DISPATCHER_KEY = ""


@dataclass(frozen=True)
class DepartmentRow:
    code: str | None
    group: StatGroup
    referred: int
    extended: int  # approved 延期
    transferred_out: int
    returned: int


@dataclass(frozen=True)
class RoutedTicket:
    row: StatRow
    department: str | None
    referral: str | None
    extensions: int = 0


def by_department(
    tickets: Sequence[RoutedTicket],
    moves: Sequence[tuple[str, str | None]],
    book: DepartmentBook | None,
    now: datetime,
    elapsed: Elapsed = wall_clock_hours,
) -> list[DepartmentRow]:
    """Pure: ``moves`` are (action, department it left) of 转办/退单 events in the period."""
    groups: dict[str | None, list[RoutedTicket]] = {}
    if book is not None:
        for department in book.departments:
            groups[department.code] = []
    groups.setdefault(None, [])
    for ticket in tickets:
        groups.setdefault(ticket.department, []).append(ticket)
    transferred = Counter(code for action, code in moves if action == "transferred")
    returned = Counter(code for action, code in moves if action == "returned")
    rows = []
    for code, items in groups.items():
        label = book.name_of(code) if book is not None else (code or "分派员（未派单）")
        rows.append(
            DepartmentRow(
                code=code,
                group=summarize(label, [t.row for t in items], now, elapsed),
                referred=sum(1 for t in items if t.referral),
                extended=sum(t.extensions for t in items),
                transferred_out=transferred.get(code, 0) if code else 0,
                returned=returned.get(code, 0) if code else 0,
            )
        )
    return rows


async def department_stats(
    session: AsyncSession,
    book: DepartmentBook | None,
    now: datetime,
    tz: tzinfo,
    weeks: int,
    calendar: WorkingCalendar | None = None,
) -> list[DepartmentRow]:
    weeks = min(max(1, weeks), 104)
    since = datetime.combine(week_start(now, tz) - timedelta(weeks=weeks - 1), datetime.min.time(), tzinfo=tz)
    result = await session.execute(
        select(
            Ticket.created_at,
            Ticket.due_at,
            Ticket.first_answered_at,
            Ticket.state,
            Ticket.category,
            Ticket.department,
            Ticket.referral,
            Ticket.waited_seconds,
            Ticket.extension_count,
        ).where(Ticket.created_at >= since, Ticket.merged_into.is_(None))  # a merged duplicate counts once
    )
    tickets = [
        RoutedTicket(StatRow(*row[:5], waited_seconds=row[7] or 0), row[5], row[6], row[8] or 0) for row in result.all()
    ]
    events = await session.execute(
        select(TicketEvent.action, TicketEvent.detail).where(
            TicketEvent.action.in_(("transferred", "returned")), TicketEvent.at >= since
        )
    )
    moves = [(str(action), (detail or {}).get("from")) for action, detail in events.all()]
    elapsed = working_hours(calendar, tz) if calendar else wall_clock_hours
    return by_department(tickets, moves, book, now, elapsed)
