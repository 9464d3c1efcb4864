"""When a user's question must be answered: 2个工作日内答复.

The count follows 民法典 第二百零一条 (按照年、月、日计算期间的，开始的当日不计入，
自下一日开始计算): the arrival day is never counted, whatever the hour, and the
answer is due at close of business of the second working day after it, in
Beijing time, because that is where the staff and the holiday schedule are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

from calendars.working_days import WorkingCalendar

BEIJING: Final = ZoneInfo("Asia/Shanghai")
PROMISED_WORKING_DAYS: Final = 2
DEFAULT_CLOSE_OF_BUSINESS: Final = time(17, 30)

_WEEKDAYS_ZH: Final = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class DueTime:
    """The promised reply deadline; ``provisional`` when a day counted was a holiday guess."""

    due: datetime
    provisional: bool


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")


def _to_zone(value: datetime, tz: tzinfo) -> datetime:
    try:
        return value.astimezone(tz)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} cannot be expressed in {tz}") from None


def due_time(
    received_at: datetime,
    calendar: WorkingCalendar,
    close_of_business: time = DEFAULT_CLOSE_OF_BUSINESS,
    tz: tzinfo = BEIJING,
) -> DueTime:
    """Reply deadline for a question received at ``received_at`` (any timezone)."""
    _require_aware(received_at, "received_at")
    if close_of_business.tzinfo is not None:
        raise ValueError("close_of_business is a wall-clock time in tz; pass it without tzinfo")
    return _due_after(_to_zone(received_at, tz).date(), calendar, close_of_business, tz)


@lru_cache(maxsize=64)
def _due_after(arrival_day: date, calendar: WorkingCalendar, close_of_business: time, tz: tzinfo) -> DueTime:
    """The deadline depends on the arrival day alone: worked out once per day and calendar (a calendar is
    immutable and compared as one object; a changed holiday file is a new one), not on every new ticket."""
    due_day = calendar.add_working_days(arrival_day, PROMISED_WORKING_DAYS)
    provisional = calendar.any_provisional(arrival_day + timedelta(days=1), due_day)
    return DueTime(due=datetime.combine(due_day, close_of_business, tzinfo=tz), provisional=provisional)


def format_due_zh(due: datetime, today: date | None = None) -> str:
    """``11月25日（周三）17:30`` in Beijing time; the year is prefixed when it differs from ``today``.

    Without ``today`` the year is always shown: a deadline without a year is
    only safe to show when we know it is this year's.
    """
    _require_aware(due, "due")
    local = _to_zone(due, BEIJING)
    day_part = f"{local.month}月{local.day}日（{_WEEKDAYS_ZH[local.weekday()]}）{local:%H:%M}"
    if today is not None and today.year == local.year:
        return day_part
    return f"{local.year}年{day_part}"


def working_time_left(now: datetime, due: datetime, calendar: WorkingCalendar, tz: tzinfo = BEIJING) -> timedelta:
    """Time until ``due`` counting only hours that fall on working days (in ``tz``).

    Useful for "due soon" alerts that should not fire on a Saturday for a
    Monday deadline. Negative, as plain elapsed time, once ``due`` has passed.
    """
    _require_aware(now, "now")
    _require_aware(due, "due")
    if now >= due:
        return due - now
    start = _to_zone(now, tz)
    end = _to_zone(due, tz)
    left = timedelta()
    day = start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            day_start = datetime.combine(day, time(), tzinfo=tz)
            next_day_start = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
            left += min(end, next_day_start) - max(start, day_start)
        day += timedelta(days=1)
    return left
