"""Whether a date is a working day in mainland China, and how sure we are.

Sources, strongest first: staff overrides (config/holidays.yaml), the
chinesecalendar package (the State Council's yearly notices with 调休), then
for years neither covers, weekends plus the statutory holidays. The last is a
guess, because the yearly 调休 cannot be predicted, so such days report
``is_provisional`` and the reply promise built on them says so.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import date, timedelta
from functools import cache
from types import MappingProxyType
from typing import Final, Literal

import chinese_calendar

from calendars.statutory_holidays import statutory_holidays

DayStatus = Literal["holiday", "workday"]

# The longest run of non-working days ever scheduled is 2020's extended Spring
# Festival (10 days); a run this long can only be a configuration mistake.
MAX_NON_WORKING_RUN: Final = 60

_SATURDAY: Final = 5


class CalendarOverflowError(ValueError):
    """The answer would lie outside the dates Python can represent (year 1-9999)."""


class WorkingCalendar:
    """Working-day arithmetic over the Chinese official calendar.

    ``overrides`` pin single days; ``official_years`` are years whose overrides
    staff have declared complete (the State Council notice has been entered),
    so days of those years not listed are ordinary weekdays/weekends and not
    provisional.
    """

    def __init__(
        self,
        overrides: Mapping[date, DayStatus] = MappingProxyType({}),
        official_years: Collection[int] = frozenset(),
    ) -> None:
        for day, status in overrides.items():
            if status not in ("holiday", "workday"):
                raise ValueError(f"override for {day.isoformat()} must be 'holiday' or 'workday', not {status!r}")
        self._overrides: Mapping[date, DayStatus] = MappingProxyType(dict(overrides))
        self._official_years: frozenset[int] = frozenset(official_years)

    @property
    def overrides(self) -> Mapping[date, DayStatus]:
        return self._overrides

    @property
    def official_years(self) -> frozenset[int]:
        return self._official_years

    def is_working_day(self, d: date) -> bool:
        pinned = self._overrides.get(d)
        if pinned is not None:
            return pinned == "workday"
        if d.year in self._official_years:
            return d.weekday() < _SATURDAY
        if _published_schedule_covers(d.year):
            return bool(chinese_calendar.is_workday(d))
        return d.weekday() < _SATURDAY and d not in statutory_holidays(d.year)

    def is_provisional(self, d: date) -> bool:
        """True when ``d``'s status is our guess rather than a published schedule."""
        return d.year not in self._official_years and not _published_schedule_covers(d.year)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        for candidate in _days_after(d):
            if self.is_working_day(candidate):
                return candidate
        raise AssertionError("unreachable: _days_after either yields or raises")

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        for candidate in _days_before(d):
            if self.is_working_day(candidate):
                return candidate
        raise AssertionError("unreachable: _days_before either yields or raises")

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it when n < 0); ``d`` itself is never counted.

        n == 0 returns ``d`` unchanged, working day or not.
        """
        step = self.next_working_day if n >= 0 else self.previous_working_day
        for _ in range(abs(n)):
            d = step(d)
        return d

    def any_provisional(self, first: date, last: date) -> bool:
        """Whether any day in ``first``..``last`` (inclusive) is provisional."""
        if last < first:
            return False
        # Provisional status is per year, so checking each year once suffices.
        return any(self.is_provisional(date(year, 1, 1)) for year in range(first.year, last.year + 1))


def _days_after(d: date) -> Iterator[date]:
    for offset in range(1, MAX_NON_WORKING_RUN + 2):
        try:
            yield d + timedelta(days=offset)
        except OverflowError:
            raise CalendarOverflowError(f"no working day after {d.isoformat()} before the end of year 9999") from None
    raise ValueError(f"no working day within {MAX_NON_WORKING_RUN} days after {d.isoformat()}: check holiday overrides")


def _days_before(d: date) -> Iterator[date]:
    for offset in range(1, MAX_NON_WORKING_RUN + 2):
        try:
            yield d - timedelta(days=offset)
        except OverflowError:
            raise CalendarOverflowError(f"no working day before {d.isoformat()} after year 1 began") from None
    raise ValueError(
        f"no working day within {MAX_NON_WORKING_RUN} days before {d.isoformat()}: check holiday overrides"
    )


@cache
def _published_schedule_covers(year: int) -> bool:
    """Whether chinesecalendar ships the State Council schedule for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
