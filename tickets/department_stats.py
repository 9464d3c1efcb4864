"""Figures by department: tickets received, the on-time rate (as ``summarize`` counts it), referrals outside
the federation (counted apart: a referral is an answer that says where to go, not the department's work),
and how many tickets each department transferred on or returned to the dispatcher.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from calendars.working_days import WorkingCalendar
from tickets.departments import DepartmentBook
from tickets.models import Ticket, TicketEvent
from tickets.stat_sql import AnswerClock, medians
from tickets.stats import Elapsed, StatGroup, StatRow, summarize, wall_clock_hours, week_start

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


def is_referral(column: Any) -> ColumnElement[bool]:
    """``if ticket.referral``: set and not empty."""
    return and_(column.is_not(None), column != "")


async def department_stats(
    session: AsyncSession,
    book: DepartmentBook | None,
    now: datetime,
    tz: tzinfo,
    weeks: int,
    calendar: WorkingCalendar | None = None,
) -> list[DepartmentRow]:
    """``by_department`` over the period, counted by the database; the answered tickets come back as
    integers for the medians. Departments outside the book follow in the order of their first ticket."""
    weeks = min(max(1, weeks), 104)
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    period = (Ticket.created_at >= since, Ticket.merged_into.is_(None))  # a merged duplicate counts once
    answered = Ticket.first_answered_at.is_not(None)
    is_open = Ticket.state == "open"
    cells = (
        await session.execute(
            select(
                Ticket.department,
                func.min(Ticket.id),
                func.count(),
                func.count().filter(answered),
                func.count().filter(Ticket.first_answered_at <= Ticket.due_at),
                func.count().filter(~answered, is_open, Ticket.due_at < now),
                func.count().filter(is_open),
                func.count().filter(is_open, Ticket.due_at < now),
                func.count().filter(is_referral(Ticket.referral)),
                func.coalesce(func.sum(Ticket.extension_count), 0),
            )
            .where(*period)
            .group_by(Ticket.department)
        )
    ).all()
    clock = AnswerClock(calendar, tz, first, max(now.astimezone(tz).date(), first + timedelta(weeks=weeks)))
    hours = (await medians(session, period, {"department": Ticket.department}, clock))["department"]
    events = await session.execute(
        select(TicketEvent.action, TicketEvent.detail).where(
            TicketEvent.action.in_(("transferred", "returned")), TicketEvent.at >= since
        )
    )
    moves = [(str(action), (detail or {}).get("from")) for action, detail in events.all()]
    transferred = Counter(code for action, code in moves if action == "transferred")
    returned = Counter(code for action, code in moves if action == "returned")
    found = {cell[0]: cell for cell in cells}
    order: list[str | None] = [d.code for d in book.departments] if book is not None else []
    order += [None] if None not in order else []
    order += [cell[0] for cell in sorted(cells, key=lambda c: c[1]) if cell[0] not in order]
    result = []
    for code in order:
        cell = found.get(code)
        tickets, answered_n, on_time, late_open, open_, overdue, referred, extended = (
            [int(v) for v in cell[2:]] if cell is not None else [0] * 8
        )
        label = book.name_of(code) if book is not None else (code or "分派员（未派单）")
        group = StatGroup(
            label,
            tickets,
            answered_n,
            on_time,
            answered_n + late_open,
            open_,
            overdue,
            hours.get(code),
        )
        result.append(
            DepartmentRow(
                code=code,
                group=group,
                referred=referred,
                extended=extended,
                transferred_out=transferred.get(code, 0) if code else 0,
                returned=returned.get(code, 0) if code else 0,
            )
        )
    return result
