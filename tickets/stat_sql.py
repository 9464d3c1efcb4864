"""What the statistics queries share: a ticket's week as a SQL ``CASE`` over the weeks' first instants, a
timestamp as integer microseconds since the epoch (so no row is turned into a ``datetime``), and the time to
the first answer from those integers, equal to the float ``tickets.stats`` computes from datetimes.

The figures were counted in Python over every ticket of the period (600 ms of CPU for the statistics API at
100,000 tickets); the counts are now a ``GROUP BY``, and only the answered tickets' two instants and waited
seconds come back, for the medians.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, bindparam, case, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, Grouping

from calendars.working_days import WorkingCalendar
from tickets.clock_stops import working_time_between
from tickets.models import Ticket

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_US = 86_400_000_000


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def micros(column: Any, dialect: str) -> ColumnElement[int]:
    """Microseconds since the epoch, exactly. PostgreSQL: ``date_part`` is a double (three times faster
    than ``EXTRACT``'s numeric); its error times 10⁶ stays under 0.5 µs until about 2100, so rounding gives
    the stored integer back (checked equal to ``EXTRACT`` on all 100,000 benchmark tickets). SQLite holds
    the text SQLAlchemy writes (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC here): whole seconds by ``strftime``."""
    if dialect == "sqlite":
        seconds = cast(func.strftime("%s", column), Integer)
        fraction = cast(func.substr(column, 21, 6), Integer)
        return seconds * 1_000_000 + fraction
    return cast(func.round(func.date_part("epoch", column) * 1_000_000), BigInteger)


def week_bounds(first: date, weeks: int, tz: tzinfo) -> list[datetime]:
    """The first instant of each week from ``first`` (a Monday), and the end of the last one."""
    return [datetime.combine(first + timedelta(weeks=i), time.min, tzinfo=tz) for i in range(weeks + 1)]


def week_index(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int | None]:
    """0 for the first week … ``len(bounds) - 2`` for the last; NULL before or after them (a ticket stamped
    later than this week: the caller counts those the slow way, as they should not exist)."""
    whens = [(column < bound, i - 1) for i, bound in enumerate(bounds) if i > 0]
    return case((column < bounds[0], None), *whens, else_=None)


class AnswerClock:
    """Hours from receipt to the first answer, from epoch microseconds, as ``tickets.stats`` counts them:
    wall-clock without a calendar; with one, working time (``sla.working_time_left``: whole working days,
    local midnight to midnight) less the working time spent waiting on the user.

    Working time up to an instant is a running sum over the days of the period, so a ticket costs two
    look-ups instead of a walk over its days. The sum is exact only where the zone's offset does not change;
    elsewhere (or outside the table) each ticket is computed as before.
    """

    def __init__(self, calendar: WorkingCalendar | None, tz: tzinfo, first: date, last: date) -> None:
        self.calendar = calendar
        self.tz = tz
        self.first = first
        self.days = (last - first).days + 1
        self.offset_us: int | None = None
        self.before: list[int] = []  # working microseconds from ``first`` to the start of each day
        self.working: list[bool] = []
        if calendar is None:
            return
        offsets = {
            datetime.combine(first + timedelta(days=i), time.min, tzinfo=tz).utcoffset() for i in range(self.days + 1)
        }
        if len(offsets) != 1 or None in offsets:
            return
        (offset,) = offsets
        assert offset is not None
        self.offset_us = offset // timedelta(microseconds=1)
        total = 0
        for i in range(self.days):
            self.before.append(total)
            works = calendar.is_working_day(first + timedelta(days=i))
            self.working.append(works)
            total += DAY_US if works else 0
        self.first_day = (datetime.combine(first, time.min, tzinfo=tz) - EPOCH) // timedelta(microseconds=1)

    def _worked_until(self, at_us: int) -> int | None:
        assert self.offset_us is not None
        day, into = divmod(at_us - self.first_day, DAY_US)
        if not 0 <= day < self.days:
            return None
        return self.before[day] + (into if self.working[day] else 0)

    def hours(self, created_us: int, answered_us: int, waited_seconds: int) -> float:
        if self.calendar is None:
            return (answered_us - created_us) / 10**6 / 3600
        if answered_us <= created_us:
            worked = 0.0
        elif (
            self.offset_us is not None
            and (start := self._worked_until(created_us)) is not None
            and (end := self._worked_until(answered_us)) is not None
        ):
            worked = (end - start) / 10**6
        else:
            created = EPOCH + timedelta(microseconds=created_us)
            answered = EPOCH + timedelta(microseconds=answered_us)
            worked = working_time_between(created, answered, self.calendar, self.tz).total_seconds()
        return max(0.0, worked - waited_seconds) / 3600


def median_hours(hours: list[float]) -> float | None:
    return round(statistics.median(hours), 2) if hours else None


Partitions = Mapping[str, Any]  # name → the SQL key of its groups (None: one group, all of them)


def label_or_unsorted(column: Any) -> ColumnElement[str]:
    """``category or "未分类"``, in SQL."""
    return case((or_(column.is_(None), column == ""), "未分类"), else_=column)


async def medians(
    session: AsyncSession, where: Sequence[Any], partitions: Partitions, clock: AnswerClock
) -> dict[str, dict[Any, float | None]]:
    """The median hours to the first answer of each group of each partition, over the answered tickets that
    ``where`` selects. PostgreSQL ranks the tickets by a window function and sends back only the middle one
    or two of each group (exact: the rank is the hours as Python computes them, see ``_middles``);
    SQLite, and a zone whose offset changes, send every answered ticket's instants and rank here."""
    where = [*where, Ticket.first_answered_at.is_not(None)]
    dialect = dialect_name(session)
    created, answered = micros(Ticket.created_at, dialect), micros(Ticket.first_answered_at, dialect)
    keys = [(expr if expr is not None else literal(0)).label(f"k_{name}") for name, expr in partitions.items()]
    if dialect == "postgresql" and (clock.calendar is None or clock.offset_us is not None):
        found = await _middles(session, where, partitions, keys, clock, created, answered)
        if found is not None:
            return found
    rows = await session.execute(select(*keys, created, answered, Ticket.waited_seconds).where(*where))
    values: dict[str, dict[Any, list[float]]] = {name: {} for name in partitions}
    names = list(partitions)
    for row in rows.all():
        hours = clock.hours(row[-3], row[-2], row[-1] or 0)
        for name, key in zip(names, row[:-3], strict=True):
            values[name].setdefault(key, []).append(hours)
    return {name: {key: median_hours(items) for key, items in groups.items()} for name, groups in values.items()}


def _worked_until(at: ColumnElement[int], clock: AnswerClock) -> ColumnElement[int]:
    """``AnswerClock._worked_until`` in SQL, over the clock's table of days as two arrays (NULL outside)."""
    day = (at - clock.first_day) // DAY_US  # never negative here: the answer follows receipt, in the period
    before = Grouping(bindparam("before_days", clock.before, type_=ARRAY(BigInteger)))[day + 1]
    works = Grouping(bindparam("working_days", clock.working, type_=ARRAY(Boolean)))[day + 1]
    return before + case((works, at - clock.first_day - day * DAY_US), else_=0)


async def _middles(
    session: AsyncSession,
    where: Sequence[Any],
    partitions: Partitions,
    keys: list[Any],
    clock: AnswerClock,
    created: ColumnElement[int],
    answered: ColumnElement[int],
) -> dict[str, dict[Any, float | None]] | None:
    waited = cast(func.coalesce(Ticket.waited_seconds, 0), BigInteger)
    # The rank is the hours themselves, in double precision: the same correctly rounded operations on the
    # same integers as in Python, so the order (and which tickets are in the middle) is the one Python sorts.
    if clock.calendar is None:
        worked = answered - created
        rank = cast(worked, DOUBLE_PRECISION) / 1_000_000.0 / 3600.0
    else:
        worked = case((answered <= created, 0), else_=_worked_until(answered, clock) - _worked_until(created, clock))
        rank = func.greatest(0.0, cast(worked, DOUBLE_PRECISION) / 1_000_000.0 - waited) / 3600.0
    t = select(*keys, worked.label("worked"), waited.label("waited"), rank.label("rank")).where(*where).subquery()
    windows = []
    for name in partitions:
        key = t.c[f"k_{name}"]
        # Groups need equality, not the language's order: byte order sorts Chinese text several times faster.
        by = [key.collate("C") if isinstance(key.type, String) else key] if partitions[name] is not None else []
        windows.append(func.row_number().over(partition_by=by, order_by=t.c["rank"].asc().nulls_last()))
        windows.append(func.count(t.c["rank"]).over(partition_by=by))
    missing = (func.count().over() - func.count(t.c["rank"]).over()).label("missing")
    ranked = select(*[t.c[f"k_{name}"] for name in partitions], t.c.worked, t.c.waited, *windows, missing).subquery()
    middle = []
    for i in range(len(partitions)):
        at, of = ranked.c[len(partitions) + 2 + 2 * i], ranked.c[len(partitions) + 3 + 2 * i]
        middle.append(or_(at == (of + 1) // 2, at == of // 2 + 1))
    rows = (await session.execute(select(ranked).where(or_(*middle)))).all()
    if any(row[-1] for row in rows):  # an instant outside the clock's table: rank them here
        return None
    found: dict[str, dict[Any, dict[int, float]]] = {name: {} for name in partitions}
    count = len(partitions)
    sizes: dict[str, dict[Any, int]] = {name: {} for name in partitions}
    for row in rows:
        worked_us, waited_s = row[count], row[count + 1]
        if clock.calendar is None:
            hours = worked_us / 10**6 / 3600
        else:
            hours = max(0.0, worked_us / 10**6 - waited_s) / 3600
        for i, name in enumerate(partitions):
            position, size = row[count + 2 + 2 * i], row[count + 3 + 2 * i]
            if position in ((size + 1) // 2, size // 2 + 1):
                found[name].setdefault(row[i], {})[position] = hours
                sizes[name][row[i]] = size
    result: dict[str, dict[Any, float | None]] = {}
    for name, groups in found.items():
        result[name] = {}
        for key, by_position in groups.items():
            size = sizes[name][key]
            if size % 2:
                value = by_position[(size + 1) // 2]
            else:
                value = (by_position[size // 2] + by_position[size // 2 + 1]) / 2
            result[name][key] = round(value, 2)
    return result
