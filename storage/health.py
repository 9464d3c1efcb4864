"""Whether Redis and the database answer, as this process last saw them, and one log line per change.

The webhook keeps answering through an outage of either (see ``bot.outage``); what it needs to know is
which one is out, without paying a failed connection attempt per message. A failure seen anywhere marks
the dependency down (logged once); a prober checks every second while anything is down and marks it up
again (logged once), which is also when the work kept aside during the outage is replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import redis.exceptions
import sqlalchemy.exc

log = logging.getLogger(__name__)

Dependency = Literal["redis", "database"]
Probe = Callable[[], Awaitable[object]]
Listener = Callable[[], Awaitable[object]]

PROBE_TIMEOUT_S = 2.0


class DatabaseUnavailable(ConnectionError):
    """Raised instead of trying the database while it is known to be down."""


class RedisUnavailable(redis.exceptions.ConnectionError):
    """Raised instead of trying Redis while it is known to be down (``storage.redis_guard``): an outage to every
    caller, and never news to the mark (it says nothing about Redis that the mark did not already say)."""


def is_redis_outage(exc: BaseException) -> bool:
    return isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError)


def is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, DatabaseUnavailable | sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    # SQLAlchemy's pool time-out, and a connect that failed below the driver (refused, unreachable host).
    return isinstance(exc, sqlalchemy.exc.TimeoutError | ConnectionRefusedError | TimeoutError)


@dataclass
class DependencyState:
    up: bool = True
    since: float = field(default_factory=time.time)
    last_error: str = ""


class DependencyHealth:
    def __init__(self) -> None:
        self.states: dict[Dependency, DependencyState] = {"redis": DependencyState(), "database": DependencyState()}
        self.probes: dict[Dependency, Probe] = {}
        self.on_up: dict[Dependency, list[Listener]] = {"redis": [], "database": []}
        self._task: asyncio.Task[None] | None = None

    def down(self, name: Dependency) -> bool:
        return not self.states[name].up

    @property
    def watching(self) -> bool:
        """Whether the monitor runs, which marks a dependency up again once its probe answers."""
        return self._task is not None and not self._task.done()

    @property
    def redis_down(self) -> bool:
        return not self.states["redis"].up

    @property
    def database_down(self) -> bool:
        return not self.states["database"].up

    def mark_down(self, name: Dependency, exc: BaseException | str) -> None:
        state = self.states[name]
        if isinstance(exc, DatabaseUnavailable) and not state.up:
            return  # our own fail-fast, not news
        if isinstance(exc, RedisUnavailable):
            return  # likewise; and seen after the probe found Redis back, it must not mark it down again
        state.last_error = (exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}")[:300]
        if state.up:
            state.up, state.since = False, time.time()
            log.warning("%s unavailable (%s); degrading until it answers again", name, state.last_error)

    def mark_up(self, name: Dependency) -> bool:
        """Returns whether this was a change (the dependency was down)."""
        state = self.states[name]
        if state.up:
            return False
        outage = time.time() - state.since
        state.up, state.since = True, time.time()
        log.warning("%s available again after %.0f s", name, outage)
        return True

    def observe(self, exc: BaseException) -> bool:
        """Mark whatever ``exc`` says is out; returns whether it was an outage (else a real error)."""
        if is_redis_outage(exc):
            self.mark_down("redis", exc)
            return True
        if is_database_outage(exc):
            self.mark_down("database", exc)
            return True
        return False

    async def probe(self) -> None:
        for name, check in self.probes.items():
            try:
                await asyncio.wait_for(check(), PROBE_TIMEOUT_S)
            except Exception as exc:
                self.mark_down(name, exc)
                continue
            if not self.mark_up(name):
                continue
            for listener in self.on_up[name]:
                try:
                    await listener()
                except Exception as exc:
                    if not self.observe(exc):
                        log.exception("recovery step after %s came back failed", name)

    def start(self, every_s: float = 1.0, idle_every_s: float = 5.0) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(every_s, idle_every_s))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self, every_s: float, idle_every_s: float) -> None:
        waited = 0.0
        while True:
            await asyncio.sleep(every_s)
            waited += every_s
            if self.redis_down or self.database_down or waited >= idle_every_s:
                waited = 0.0
                await self.probe()

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {
            name: {"up": state.up, "since": state.since, "last_error": "" if state.up else state.last_error}
            for name, state in self.states.items()
        }
