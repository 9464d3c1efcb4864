"""A Redis client that fails at once while Redis is marked down, and marks it down on the first failure.

The webhook asks ``DependencyHealth.redis_down`` before it touches Redis; every other caller (the console's
login throttle, job enqueues after a commit, the health page's counts, the worker) simply calls Redis and
handles the error. Without this guard each of those calls waited the whole ``QIAOBOT_REDIS_TIMEOUT_SECONDS``
on a Redis that accepts connections and never answers, every time, so a page making three calls took three
seconds. With it, the first connect or command that times out (or is refused) marks Redis down for the whole
process, and until the health monitor's probe (which has its own, unguarded client) finds Redis answering
again, every command raises ``RedisUnavailable`` without touching the network. (Without that monitor nothing
would clear the mark, so such a process fails fast only for ``UNWATCHED_RETRY_S`` after each failure, then
tries again.) Callers need not change: it is
a redis-py ``ConnectionError``, which they already treat as an outage (``storage.health.is_redis_outage``).

The check sits in the pool (every command and pipeline takes a connection from it); the mark is set by the
connection, where redis-py turns a socket timeout or error into its ``TimeoutError``/``ConnectionError``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
import redis.exceptions

from storage.health import RedisUnavailable

if TYPE_CHECKING:
    from storage.health import DependencyHealth

_OUTAGES = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_TIMEOUTS = (redis.exceptions.TimeoutError,)

# Without the health monitor (a CLI command such as `greetings send-due`), nothing would clear the mark, so the
# pool fails fast only this long after the last failure and then lets one call try Redis again: a loop of
# enqueues against a silent Redis waits one timeout per window, not one per call.
UNWATCHED_RETRY_S = 5.0


class _ReportsOutages:
    """A connection that marks Redis down when it cannot connect, write or read in time."""

    health: DependencyHealth | None = None
    guarded_pool: GuardedConnectionPool | None = None

    def _report(self, exc: BaseException) -> None:
        if self.guarded_pool is not None:
            self.guarded_pool.failed_at = time.monotonic()
        if self.health is not None:
            self.health.mark_down("redis", exc)

    async def _watched(self, step: Awaitable[Any], outages: tuple[type[BaseException], ...] = _OUTAGES) -> Any:
        """``step`` (the connect, a write or a read), its outage reported before it reaches the caller."""
        try:
            return await step
        except outages as exc:
            self._report(exc)
            raise

    async def connect_check_health(self, *args: Any, **kwargs: Any) -> None:
        await self._watched(super().connect_check_health(*args, **kwargs))  # type: ignore[misc]

    # A write or read on an established socket is an outage only when it times out. One that fails with a
    # ConnectionError is a socket the server closed (CLIENT KILL, its idle timeout, a proxy's reset) or a server
    # that went away: the caller sees the error either way (redis-py does not retry here: a retried claim script
    # could read its own first run as a duplicate), and the next connect reports at once if Redis is gone.
    # (A pooled socket already at EOF is replaced before use: storage.redis_client turns redis-py's maintenance
    # notifications off, which otherwise skip that check.)
    async def send_packed_command(self, *args: Any, **kwargs: Any) -> None:
        await self._watched(super().send_packed_command(*args, **kwargs), _TIMEOUTS)  # type: ignore[misc]

    async def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return await self._watched(super().read_response(*args, **kwargs), _TIMEOUTS)  # type: ignore[misc]


class GuardedConnectionPool(aioredis.ConnectionPool):
    """Hands out no connection while ``health`` says Redis is down and watches for it to come back (``guard``
    sets it up)."""

    health: DependencyHealth | None = None
    failed_at: float = float("-inf")  # time.monotonic() of the last outage a connection reported

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        # While the monitor runs, which clears the mark, until it does. A process that never started it (a CLI
        # command) would refuse Redis for good that way, so there the mark holds only UNWATCHED_RETRY_S after
        # the last failure, and then a call tries Redis again.
        health = self.health
        if health is not None and health.redis_down:
            if health.watching:
                raise RedisUnavailable("Redis is marked down; not tried until the health probe finds it answering")
            if time.monotonic() - self.failed_at < UNWATCHED_RETRY_S:
                raise RedisUnavailable(f"Redis failed under {UNWATCHED_RETRY_S:.0f} s ago; not tried again yet")
        return await super().get_connection(*args, **kwargs)

    def make_connection(self) -> Any:
        connection = super().make_connection()
        connection.health = self.health
        connection.guarded_pool = self
        return connection


_REPORTING: dict[type[Any], type[Any]] = {}


def guard(pool: GuardedConnectionPool, health: DependencyHealth) -> None:
    """Let ``pool`` fail fast on ``health``'s mark, and its connections set that mark."""
    base = pool.connection_class
    if base not in _REPORTING:
        _REPORTING[base] = type(f"{base.__name__}ReportingOutages", (_ReportsOutages, base), {})
    pool.connection_class = _REPORTING[base]
    pool.health = health

    async def drop_idle_connections() -> None:
        # The sockets pooled before the outage are dead if Redis restarted (or hold a hung server's late
        # answers): on the first command each would fail and mark Redis down again, although redis-py then
        # retries on a fresh socket, and the spool's replay, which runs right after, would stop. So the pool
        # starts over before anything else hears that Redis is back. (In-use connections are left to their
        # callers.)
        await pool.disconnect(inuse_connections=False)

    health.on_up["redis"].insert(0, drop_idle_connections)
