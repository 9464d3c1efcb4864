"""Followers: created on first contact, safely when two messages from a new user arrive at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Follower


async def ensure_follower(session: AsyncSession, openid: str, now: datetime) -> Follower:
    follower = await session.get(Follower, openid)
    if follower is not None:
        return follower
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Follower)  # type: ignore[operator]
        .values(openid=openid, subscribed=True, script="hans", created_at=now)
        .on_conflict_do_nothing(index_elements=["openid"])
    )
    follower = await session.get(Follower, openid)
    assert follower is not None
    return follower
