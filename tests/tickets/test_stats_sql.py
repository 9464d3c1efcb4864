"""The statistics counted by the database give the figures the Python over every ticket gave.

The reference is the code the console ran before (each function below loads every ticket of the period, as
it did, and hands the rows to the pure functions still in the modules). A few hundred varied tickets, on
the test backend (SQLite by default; PostgreSQL with ``QIAOBOT_TEST_BACKEND=server``): on time, late, open
past due, extended, referred (and an empty referral), rated 1/2/3, waiting on the user with the clock stopped,
merged, in and outside the book's departments, with and without a category, across the weeks and over a
holiday (the calendar below makes 2026-11-02 … 11-04 holidays and Saturday 11-07 a workday).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.working_days import WorkingCalendar
from storage.db import async_session_factory, create_db_engine
from tickets.department_stats import DepartmentRow, RoutedTicket, by_department, department_stats
from tickets.departments import Department, DepartmentBook
from tickets.models import Ticket, TicketEvent
from tickets.monthly_report import MonthlyReport, MonthTicket, build_report, month_bounds, monthly_report
from tickets.satisfaction_stats import RatedAnswer, Satisfaction, satisfaction_stats, summarize_satisfaction
from tickets.stats import (
    StatRow,
    TicketStats,
    _ticket_stats_by_row,
    ticket_stats,
    week_start,
    working_hours,
)

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 7, 30, 15, 123456, tzinfo=UTC)  # a Thursday afternoon in Beijing
CALENDAR = WorkingCalendar(
    {
        date(2026, 11, 2): "holiday",
        date(2026, 11, 3): "holiday",
        date(2026, 11, 4): "holiday",
        date(2026, 11, 7): "workday",
    }
)
BOOK = DepartmentBook(
    departments=(
        Department("liaison", "联络部", ("护照",)),
        Department("rights", "权益保障部", ("维权",)),
        Department("culture", "文化宣传部", ()),  # no ticket at all
    ),
    referrals=(),
)
DEPARTMENTS = ["liaison", "rights", None, "gone-dept", "other-dept"]  # the last two: not in the book
CATEGORIES = ["护照", "签证", "维权", None, "", "教育"]
STAFF = ["alice", "bob", "carol", None]


def _ticket(rng: random.Random, n: int) -> Ticket:
    created = NOW - timedelta(seconds=rng.randint(0, 15 * 7 * 86400), microseconds=rng.randint(0, 999_999))
    if n % 37 == 0:  # on a holiday
        created = datetime(2026, 11, 3, 2, 0, tzinfo=UTC) + timedelta(minutes=n)
    due = created + timedelta(hours=rng.choice([8, 24, 48, 72, 120]))
    answered_at = None
    if rng.random() < 0.7:
        answered_at = created + timedelta(seconds=rng.randint(-60, 6 * 86400), microseconds=rng.randint(0, 999_999))
        answered_at = min(answered_at, NOW)
    state = "open" if answered_at is None and rng.random() < 0.7 else rng.choice(["answered", "closed"])
    if answered_at is not None and rng.random() < 0.1:
        state = "open"  # reopened
    rating = rng.choice([None, None, 1, 2, 3]) if answered_at is not None else None
    rated_at = None
    if rating is not None and answered_at is not None:
        rated_at = min(answered_at + timedelta(hours=rng.randint(0, 100)), NOW)
    return Ticket(
        number=f"20261126-{n:04d}",
        openid=f"o_user_{n:04d}",
        source_key=f"msg-{n}",
        state=state,
        category=rng.choice(CATEGORIES),
        question="问题",
        department=rng.choice(DEPARTMENTS),
        referral=rng.choice([None, None, None, None, "12345", ""]),
        merged_into="20261126-0001" if n % 41 == 0 else None,
        extension_count=rng.choice([0, 0, 0, 1, 2]),
        waited_seconds=rng.choice([0, 0, 0, 3600, 86400, 10**7]),  # 10**7: longer than the ticket took
        rating=rating,
        rated_at=rated_at,
        answered_by=rng.choice(STAFF) if answered_at is not None else None,
        created_at=created,
        due_at=due,
        first_answered_at=answered_at,
        answered_at=answered_at,
    )


@pytest_asyncio.fixture
async def session(database_url: str, clean_backend: None) -> AsyncIterator[AsyncSession]:
    engine = create_db_engine(database_url)
    rng = random.Random(11)
    async with async_session_factory(engine)() as session:
        tickets = [_ticket(rng, n) for n in range(1, 401)]
        session.add_all(tickets)
        await session.flush()
        for ticket in tickets[:40]:
            action = rng.choice(["transferred", "returned", "noted"])
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    actor="alice",
                    action=action,
                    detail={"from": rng.choice(["liaison", "rights", "gone-dept"])},
                    at=NOW - timedelta(days=rng.randint(0, 120)),
                )
            )
        await session.commit()
        yield session
    await engine.dispose()


# The reference: how the figures were computed before, every ticket of the period loaded.


async def reference_ticket_stats(
    session: AsyncSession, now: datetime, tz: tzinfo, weeks: int, calendar: WorkingCalendar | None
) -> TicketStats:
    """The old computation is kept in tickets.stats as the row-by-row fallback (a clock behind the tickets)."""
    since = datetime.combine(week_start(now, tz) - timedelta(weeks=weeks - 1), datetime.min.time(), tzinfo=tz)
    return await _ticket_stats_by_row(session, now, tz, weeks, calendar, since)


async def reference_department_stats(
    session: AsyncSession, book: DepartmentBook | None, now: datetime, tz: tzinfo, weeks: int
) -> list[DepartmentRow]:
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
        )
        .where(Ticket.created_at >= since, Ticket.merged_into.is_(None))
        .order_by(Ticket.id)
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
    return by_department(tickets, moves, book, now, working_hours(CALENDAR, tz))


async def reference_monthly_report(
    session: AsyncSession, first: date, now: datetime, tz: tzinfo, names: Callable[[str | None], str], order: list
) -> MonthlyReport:
    start, end = month_bounds(first, tz)
    result = await session.execute(
        select(
            Ticket.created_at,
            Ticket.due_at,
            Ticket.first_answered_at,
            Ticket.state,
            Ticket.category,
            Ticket.waited_seconds,
            Ticket.department,
            Ticket.referral,
            Ticket.extension_count,
            Ticket.rating,
        )
        .where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.merged_into.is_(None))
        .order_by(Ticket.id)
    )
    tickets = [
        MonthTicket(StatRow(*row[:5], waited_seconds=row[5] or 0), row[6], row[7], row[8] or 0, row[9])
        for row in result.all()
    ]
    return build_report(first, tickets, now, names, order, working_hours(CALENDAR, tz))


async def reference_satisfaction(
    session: AsyncSession, now: datetime, tz: tzinfo, weeks: int, names: Callable[[str | None], str]
) -> Satisfaction:
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    result = await session.execute(
        select(Ticket.rated_at, Ticket.rating, Ticket.department, Ticket.answered_by).where(
            Ticket.rated_at >= since, Ticket.rating.is_not(None), Ticket.merged_into.is_(None)
        )
    )
    rows = [
        RatedAnswer(at, rating, d, by) for at, rating, d, by in result.all() if at is not None and rating is not None
    ]
    return summarize_satisfaction(rows, tz, first, weeks, names)


@pytest.mark.parametrize("calendar", [None, CALENDAR], ids=["wall clock", "working time"])
@pytest.mark.parametrize("weeks", [1, 4, 12, 104])
async def test_ticket_stats_equal_the_python_count(
    session: AsyncSession, calendar: WorkingCalendar | None, weeks: int
) -> None:
    expected = await reference_ticket_stats(session, NOW, BEIJING, weeks, calendar)
    got = await ticket_stats(session, NOW, BEIJING, weeks, calendar)
    assert expected.total.tickets > (30 if weeks > 1 else 5)
    assert expected.total.median_answer_hours is not None
    assert (got.since, got.total, got.by_week, got.by_category) == (
        expected.since,
        expected.total,
        expected.by_week,
        expected.by_category,
    )


@pytest.mark.parametrize("book", [BOOK, None], ids=["book", "no book"])
@pytest.mark.parametrize("weeks", [2, 12])
async def test_department_stats_equal_the_python_count(
    session: AsyncSession, book: DepartmentBook | None, weeks: int
) -> None:
    expected = await reference_department_stats(session, book, NOW, BEIJING, weeks)
    got = await department_stats(session, book, NOW, BEIJING, weeks, CALENDAR)
    assert sum(row.referred for row in expected) > 0 and sum(row.extended for row in expected) > 0
    assert got == expected


@pytest.mark.parametrize("month", [date(2026, 11, 1), date(2026, 10, 1), date(2026, 8, 1)])
async def test_monthly_report_equals_the_python_count(session: AsyncSession, month: date) -> None:
    order = [*(d.code for d in BOOK.departments), None]
    expected = await reference_monthly_report(session, month, NOW, BEIJING, BOOK.name_of, order)
    got = await monthly_report(session, month, NOW, BEIJING, BOOK.name_of, order, CALENDAR)
    assert expected.total.received > 20 and expected.total.referred > 0 and expected.total.rated > 0
    assert got == expected


@pytest.mark.parametrize("weeks", [1, 4, 12])
async def test_satisfaction_equals_the_python_count(session: AsyncSession, weeks: int) -> None:
    expected = await reference_satisfaction(session, NOW, BEIJING, weeks, BOOK.name_of)
    got = await satisfaction_stats(session, NOW, BEIJING, weeks, BOOK.name_of)
    assert expected.total.rated > 0
    assert got == expected


async def test_a_ticket_stamped_after_this_week_is_still_counted(session: AsyncSession) -> None:
    """Only a wrong clock does it; the figures then come from the rows, as before."""
    later = NOW + timedelta(days=9)
    session.add(
        Ticket(
            number="20261205-0001",
            openid="o_future",
            source_key="msg-future",
            state="answered",
            question="问题",
            created_at=later,
            due_at=later + timedelta(days=1),
            first_answered_at=later + timedelta(hours=2),
            rating=1,
            rated_at=later + timedelta(hours=3),
        )
    )
    await session.commit()
    expected = await reference_ticket_stats(session, NOW, BEIJING, 4, CALENDAR)
    got = await ticket_stats(session, NOW, BEIJING, 4, CALENDAR)
    assert len(got.by_week) == 5
    assert (got.total, got.by_week, got.by_category) == (expected.total, expected.by_week, expected.by_category)
    assert await satisfaction_stats(session, NOW, BEIJING, 4, BOOK.name_of) == await reference_satisfaction(
        session, NOW, BEIJING, 4, BOOK.name_of
    )


def test_the_stats_indexes_come_and_go_with_their_migration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, inspect

    from storage.migrate import downgrade, upgrade

    url = f"sqlite:///{tmp_path / 'stats.db'}"

    def indexes() -> set[str]:
        engine = create_engine(url)
        try:
            return {index["name"] for index in inspect(engine).get_indexes("tickets") if index["name"]}
        finally:
            engine.dispose()

    upgrade(url)
    assert {"ix_tickets_created_stats", "ix_tickets_rated"} <= indexes()
    downgrade(url, "0022_check_search_locale")
    assert not {"ix_tickets_created_stats", "ix_tickets_rated"} & indexes()
    upgrade(url)
    assert {"ix_tickets_created_stats", "ix_tickets_rated"} <= indexes()
