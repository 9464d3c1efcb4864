"""Working time, for a clock that stops: how much of the promise is left when a ticket waits on the user,
the due time once they reply, and elapsed working time for the median in the figures.

Working time counts the hours of working days only (the same measure as ``sla.working_time_left``), so a
question asked on Friday and answered on Monday morning took hours, not a weekend. Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from calendars.working_days import WorkingCalendar
from tickets.sla import BEIJING, working_time_left

MAX_DAYS_SCANNED = 3660  # ten years: a bound, so a bad calendar cannot loop for ever


def working_time_between(start: datetime, end: datetime, calendar: WorkingCalendar, tz: tzinfo = BEIJING) -> timedelta:
    """Working time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
    if end <= start:
        return timedelta()
    return working_time_left(start, end, calendar, tz)


def add_working_time(start: datetime, amount: timedelta, calendar: WorkingCalendar, tz: tzinfo = BEIJING) -> datetime:
    """The moment ``amount`` of working time after ``start``: the due time of a resumed ticket."""
    if amount <= timedelta():
        return start
    at = start.astimezone(tz)
    left = amount
    for _ in range(MAX_DAYS_SCANNED):
        next_day = datetime.combine(at.date() + timedelta(days=1), time(), tzinfo=tz)
        if calendar.is_working_day(at.date()):
            available = next_day - at
            if left <= available:
                return at + left
            left -= available
        at = next_day
    raise ValueError(f"no end of {amount} working time within {MAX_DAYS_SCANNED} days of {start.isoformat()}")


def working_days_since(start: datetime, now: datetime, calendar: WorkingCalendar, tz: tzinfo = BEIJING) -> int:
    """Whole working days that ended after ``start`` and by ``now``; the start day itself is not counted
    (民法典 第二百零一条, as for the reply promise)."""
    day = start.astimezone(tz).date()
    today = now.astimezone(tz).date()
    count = 0
    while day < today:
        day += timedelta(days=1)
        if day < today and calendar.is_working_day(day):
            count += 1
    return count
