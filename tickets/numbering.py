"""Ticket numbers a person can read out on the phone: ``Q`` + Beijing date + a daily sequence."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import TicketCounter

BEIJING = ZoneInfo("Asia/Shanghai")


def format_number(day: date, sequence: int) -> str:
    return f"Q{day:%Y%m%d}-{sequence:04d}"


async def next_number(session: AsyncSession, at: datetime) -> str:
    """Atomically take the next number of the day in one statement: an upsert that row-locks the counter
    until commit (a racing first ticket of the day waits for it, then counts on)."""
    day = at.astimezone(BEIJING).date()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(TicketCounter).values(day=day, last=1)
    result = await session.execute(
        statement.on_conflict_do_update(index_elements=["day"], set_={"last": TicketCounter.last + 1}).returning(
            TicketCounter.last
        )
    )
    return format_number(day, int(result.scalar_one()))
