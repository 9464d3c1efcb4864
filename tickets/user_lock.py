"""Serialise one user's ticket writes: take the user's lock row before deciding to open or reopen a ticket.

The partial unique index (one open ticket per user) makes a second open ticket impossible; this lock makes
the second of two racing messages wait for the first one's commit, then see its ticket and join it, instead
of failing on the index. An upsert takes the lock on both backends: PostgreSQL row-locks the conflicting row
until commit (a concurrent first insert waits for the other's commit), and SQLite takes its database write
lock with the first write of the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.core_statements import run
from tickets.models import TicketUserLock


def _upsert(insert: Any) -> Any:
    statement = insert(TicketUserLock).values(openid=bindparam("openid"), locked_at=bindparam("locked_at"))
    return statement.on_conflict_do_update(
        index_elements=["openid"], set_={"locked_at": statement.excluded.locked_at}
    )


# Built once per dialect (building the statement on every hand-over cost as much as running it).
_UPSERTS = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}


async def lock_user(session: AsyncSession, openid: str, now: datetime) -> None:
    """Hold ``openid``'s lock until the session's transaction ends; reads after this see the winner's rows."""
    statement = _UPSERTS["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    await run(session, statement, {"openid": openid, "locked_at": now})  # Core, on the session's connection
