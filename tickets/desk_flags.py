"""What the desk remembers per user in Redis, so that most messages cost it no database query: whether the
user was asked for their question after “人工”, and whether they have (or had) a ticket at all.

Membership in the has-ticket set only means "look in the database"; the set is rebuilt from the tickets
table when it is lost. The keys are read with the dedupe claim (``prefetch_keys``), in the same round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from storage.health import DatabaseUnavailable
from tickets.models import Ticket

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from handlers.context import HandlerContext

AWAITING_TTL_S = 30 * 60
HAS_TICKET_PREFIX = "qiaobot:desk:has-ticket:"
USERS_READY_KEY = "qiaobot:desk:has-ticket-ready"
SCRATCH = "desk"  # the per-message memo in ``HandlerContext.scratch``


def awaiting_key(openid: str) -> str:
    return f"qiaobot:desk:awaiting:{openid}"


def has_ticket_key(openid: str) -> str:
    return HAS_TICKET_PREFIX + openid


def ready_key(_openid: str) -> str:
    return USERS_READY_KEY


# Read with the dedupe claim for every message (``Services.prefetch``).
prefetch_keys = (awaiting_key, ready_key, has_ticket_key)


class DeskFlags:
    def __init__(self, redis: aioredis.Redis, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.redis = redis
        self.sessions = sessions

    async def read(self, ctx: HandlerContext) -> tuple[bool, bool]:
        """(awaiting a question after “人工”, may have tickets): prefetched with the claim, else one round trip."""
        if SCRATCH not in ctx.scratch:
            keys = [awaiting_key(ctx.openid), USERS_READY_KEY, has_ticket_key(ctx.openid)]
            values: list[object] = (
                [ctx.prefetched[key] for key in keys]
                if all(key in ctx.prefetched for key in keys)
                else list(await self.redis.mget(keys))
            )
            awaiting, ready, member = values
            has = bool(member) if ready else await self._rebuild_users(ctx)
            ctx.scratch[SCRATCH] = (bool(awaiting), has)
        flags: tuple[bool, bool] = ctx.scratch[SCRATCH]
        return flags

    async def await_question(self, openid: str) -> None:
        await self.redis.set(awaiting_key(openid), b"1", ex=AWAITING_TTL_S)

    async def mark_has_ticket(self, ctx: HandlerContext) -> None:
        key = has_ticket_key(ctx.openid)
        if not ctx.prefetched.get(key):  # set already when the message was claimed: nothing to write
            await self.redis.set(key, b"1")
        ctx.scratch.pop(SCRATCH, None)

    async def _rebuild_users(self, ctx: HandlerContext) -> bool:
        openid = ctx.openid
        if ctx.services.health.database_down:
            # Fail fast, as the request's own session does: each connect to a database host that does not
            # answer costs its timeout, and a second one would take the message past WeChat's wait.
            raise DatabaseUnavailable("the database is out")
        async with self.sessions() as session:
            openids = set((await session.scalars(select(Ticket.openid).distinct())).all())
        if openids:
            await self.redis.mset({has_ticket_key(user): b"1" for user in openids})
        await self.redis.set(USERS_READY_KEY, b"1")
        return openid in openids
