"""The reply tracker's statistics: 按时答复率, time to answer, open and overdue; by week and by category.

Time to answer is measured in working time when a calendar is given (the console does): a question asked on
Friday evening and answered on Monday morning took hours, not a weekend, and time spent waiting on the
user (待补充) is not the staff's."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.working_days import WorkingCalendar
from tickets.clock_stops import working_time_between
from tickets.models import Ticket
from tickets.queue import open_and_overdue
from tickets.stat_sql import AnswerClock, label_or_unsorted, medians, week_bounds, week_index


@dataclass(frozen=True)
class StatRow:
    created_at: datetime
    due_at: datetime
    first_answered_at: datetime | None
    state: str
    category: str | None
    waited_seconds: int = 0  # working time spent waiting on the user (待补充)


Elapsed = Callable[[StatRow, datetime], float]  # hours from receipt to the first answer


def wall_clock_hours(row: StatRow, answered_at: datetime) -> float:
    return (answered_at - row.created_at).total_seconds() / 3600


def working_hours(calendar: WorkingCalendar, tz: tzinfo) -> Elapsed:
    def elapsed(row: StatRow, answered_at: datetime) -> float:
        worked = working_time_between(row.created_at, answered_at, calendar, tz).total_seconds()
        return max(0.0, worked - row.waited_seconds) / 3600

    return elapsed


@dataclass(frozen=True)
class StatGroup:
    label: str
    tickets: int  # received in the period
    answered: int
    on_time: int
    counted: int  # answered, or open past the due time: the tickets whose promise was kept or broken
    open: int
    overdue: int
    median_answer_hours: float | None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None


def summarize(label: str, rows: Sequence[StatRow], now: datetime, elapsed: Elapsed = wall_clock_hours) -> StatGroup:
    """按时答复率 = first answer by the due time ÷ tickets whose due time has come or that were answered.

    A ticket closed without any answer (spam, a duplicate) made no promise worth counting; reopening does
    not reset ``first_answered_at``, so a kept promise stays kept.
    """
    answered = [r for r in rows if r.first_answered_at is not None]
    on_time = sum(1 for r in answered if r.first_answered_at is not None and r.first_answered_at <= r.due_at)
    late_open = sum(1 for r in rows if r.first_answered_at is None and r.state == "open" and r.due_at < now)
    hours = [elapsed(r, r.first_answered_at) for r in answered if r.first_answered_at is not None]
    return StatGroup(
        label=label,
        tickets=len(rows),
        answered=len(answered),
        on_time=on_time,
        counted=len(answered) + late_open,
        open=sum(1 for r in rows if r.state == "open"),
        overdue=sum(1 for r in rows if r.state == "open" and r.due_at < now),
        median_answer_hours=round(statistics.median(hours), 2) if hours else None,
    )


def week_start(at: datetime, tz: tzinfo) -> date:
    day = at.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class TicketStats:
    since: date
    total: StatGroup
    by_week: list[StatGroup]
    by_category: list[StatGroup]
    open_now: int
    overdue_now: int


def compute_stats(
    rows: Sequence[StatRow], now: datetime, tz: tzinfo, weeks: int, elapsed: Elapsed = wall_clock_hours
) -> TicketStats:
    """Group tickets received in the last ``weeks`` weeks (Monday-Sunday, local time) by week and category."""
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    rows = [r for r in rows if r.created_at.astimezone(tz).date() >= first]
    week_rows: dict[date, list[StatRow]] = {first + timedelta(weeks=i): [] for i in range(weeks)}
    category_rows: dict[str, list[StatRow]] = {}
    for row in rows:
        week_rows.setdefault(week_start(row.created_at, tz), []).append(row)
        category_rows.setdefault(row.category or "未分类", []).append(row)
    by_week = [summarize(f"{start.month}/{start.day}", week_rows[start], now, elapsed) for start in sorted(week_rows)]
    by_category = sorted(
        (summarize(name, items, now, elapsed) for name, items in category_rows.items()),
        key=lambda g: (-g.tickets, g.label),
    )
    total = summarize("合计", rows, now, elapsed)
    return TicketStats(first, total, by_week, by_category, 0, 0)


async def ticket_stats(
    session: AsyncSession, now: datetime, tz: tzinfo, weeks: int = 12, calendar: WorkingCalendar | None = None
) -> TicketStats:
    """``compute_stats`` over the period, counted by the database (by week and category) and not row by row
    here; only the answered tickets come back, as integers, for the medians."""
    weeks = min(max(1, weeks), 104)
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    bounds = week_bounds(first, weeks, tz)
    period = (Ticket.created_at >= bounds[0], Ticket.merged_into.is_(None))  # a merged duplicate counts once
    t = (
        select(
            week_index(Ticket.created_at, bounds).label("week"),
            Ticket.category,
            Ticket.state,
            Ticket.due_at,
            Ticket.first_answered_at,
        )
        .where(*period)
        .subquery()
    )
    answered = t.c.first_answered_at.is_not(None)
    is_open = t.c.state == "open"
    cells = (
        await session.execute(
            select(
                t.c.week,
                t.c.category,
                func.count(),
                func.count().filter(answered),
                func.count().filter(t.c.first_answered_at <= t.c.due_at),
                func.count().filter(~answered, is_open, t.c.due_at < now),
                func.count().filter(is_open),
                func.count().filter(is_open, t.c.due_at < now),
            ).group_by(t.c.week, t.c.category)
        )
    ).all()
    if any(cell[0] is None for cell in cells):  # received after this week: only a wrong clock does that
        stats = await _ticket_stats_by_row(session, now, tz, weeks, calendar, bounds[0])
    else:
        stats = await _aggregate(session, cells, now, tz, first, bounds, calendar)
    open_now, overdue_now = await open_and_overdue(session, now)
    return TicketStats(stats.since, stats.total, stats.by_week, stats.by_category, open_now, overdue_now)


def _mid(label: str, counts: list[int], median: float | None) -> StatGroup:
    tickets, answered, on_time, late_open, open_, overdue = counts
    return StatGroup(label, tickets, answered, on_time, answered + late_open, open_, overdue, median)


async def _aggregate(
    session: AsyncSession,
    cells: Sequence[Any],
    now: datetime,
    tz: tzinfo,
    first: date,
    bounds: list[datetime],
    calendar: WorkingCalendar | None,
) -> TicketStats:
    weeks = len(bounds) - 1
    week_counts = [[0] * 6 for _ in range(weeks)]
    category_counts: dict[str, list[int]] = {}
    for week, category, *counts in cells:
        label = category or "未分类"
        totals = category_counts.setdefault(label, [0] * 6)
        for i, value in enumerate(counts):
            week_counts[week][i] += value
            totals[i] += value
    clock = AnswerClock(calendar, tz, first, max(now.astimezone(tz).date(), first + timedelta(weeks=weeks)))
    period = (Ticket.created_at >= bounds[0], Ticket.merged_into.is_(None))
    partitions = {
        "week": week_index(Ticket.created_at, bounds),
        "category": label_or_unsorted(Ticket.category),
        "total": None,
    }
    middle = await medians(session, period, partitions, clock)
    by_week = [
        _mid(f"{start.month}/{start.day}", week_counts[i], middle["week"].get(i))
        for i, start in enumerate(first + timedelta(weeks=i) for i in range(weeks))
    ]
    by_category = sorted(
        (_mid(label, counts, middle["category"].get(label)) for label, counts in category_counts.items()),
        key=lambda g: (-g.tickets, g.label),
    )
    total = [sum(column) for column in zip(*week_counts, strict=True)]
    return TicketStats(first, _mid("合计", total, middle["total"].get(0)), by_week, by_category, 0, 0)


async def _ticket_stats_by_row(
    session: AsyncSession,
    now: datetime,
    tz: tzinfo,
    weeks: int,
    calendar: WorkingCalendar | None,
    since: datetime,
) -> TicketStats:
    result = await session.execute(
        select(
            Ticket.created_at,
            Ticket.due_at,
            Ticket.first_answered_at,
            Ticket.state,
            Ticket.category,
            Ticket.waited_seconds,
        ).where(Ticket.created_at >= since, Ticket.merged_into.is_(None))
    )
    rows = [StatRow(*row[:5], waited_seconds=row[5] or 0) for row in result.all()]
    return compute_stats(rows, now, tz, weeks, working_hours(calendar, tz) if calendar else wall_clock_hours)
