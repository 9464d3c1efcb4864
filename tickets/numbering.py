"""Ticket numbers a person can read out on the phone: ``Q`` + Beijing date + a daily sequence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, bindparam, cast, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core_statements import run
from tickets.models import TicketCounter

BEIJING = ZoneInfo("Asia/Shanghai")


def format_number(day: date, sequence: int) -> str:
    return f"Q{day:%Y%m%d}-{sequence:04d}"


def number_prefix(day: date) -> str:
    """``format_number``'s text before the sequence."""
    return f"Q{day:%Y%m%d}-"


def day_of(at: datetime) -> date:
    """The Beijing day whose sequence a ticket made at ``at`` takes its number from."""
    return at.astimezone(BEIJING).date()


def _take(insert: Any, day: str = "day") -> Any:
    statement = insert(TicketCounter).values(day=bindparam(day), last=1)
    return statement.on_conflict_do_update(index_elements=["day"], set_={"last": TicketCounter.last + 1}).returning(
        TicketCounter.last
    )


# Built once per dialect (building the statement on every new ticket cost as much as running it).
_TAKE = {"postgresql": _take(pg_insert), "sqlite": _take(sqlite_insert)}


def numbered(day: str) -> tuple[Any, ColumnElement[str]]:
    """PostgreSQL: the counter's upsert as a CTE (its day bound as ``day``) and the number it gives, as
    ``format_number`` writes it (``number_prefix`` bound as ``number_prefix``): for ``tickets.new_rows``, which
    takes the number in the ticket's INSERT instead of a statement of its own. The same row lock until commit."""
    counter = _take(pg_insert, day).cte("counter")
    sequence = cast(counter.c.last, String)
    padded = func.lpad(sequence, func.greatest(4, func.length(sequence)), "0")  # {:04d}: at least 4 digits
    return counter, bindparam("number_prefix", type_=String) + padded


async def next_number(session: AsyncSession, at: datetime) -> str:
    """Atomically take the next number of the day in one statement: an upsert that row-locks the counter
    until commit (a racing first ticket of the day waits for it, then counts on)."""
    day = day_of(at)
    statement = _TAKE["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    result = await run(session, statement, {"day": day})  # Core, on the session's connection
    return format_number(day, int(result.scalar_one()))
