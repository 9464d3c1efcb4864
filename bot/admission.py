"""Admission control for the webhook: at most ``limit`` messages are handled at once, the rest wait in
arrival order, and a message that can no longer be answered within WeChat's wait is refused at once.

Why: an asyncio process shares its CPU among everything in flight, so past capacity every message slows down
together and all of them miss the 5 seconds. With a bound, the admitted ones finish quickly and the excess
waits in line; one whose deadline (counted from when the request was received, not from when its handler
started) would pass before its turn, or before it could finish, is not admitted. The caller then answers
``success`` and queues the message for a customer-service reply (``bot.backlog``).

Work that can wait (the backlog's own drain in this process) takes a slot only when no message is waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable

# The service-time estimate starts here (a realistic message is a few ms) and follows an exponential average.
INITIAL_SERVICE_S = 0.01
SMOOTHING = 0.05
# Refused messages still need answering (queued, then "success" written back) before the deadline, on a
# loop that is busy by definition: they are refused this much earlier.
RESERVE_S = 0.25


class Admission:
    def __init__(
        self, limit: int, clock: Callable[[], float] = time.monotonic, reserve_s: float = RESERVE_S
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.reserve_s = reserve_s
        self.clock = clock
        self.active = 0
        self.service_s = INITIAL_SERVICE_S  # how long an admitted message holds its slot, on average
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self.refused = 0  # messages not admitted since start (for the health view and tests)

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    def expected_wait(self) -> float:
        """How long a message arriving now would wait for a slot, by the current estimate."""
        if self.active < self.limit and not self.waiting:
            return 0.0
        return (self.waiting + 1) * self.service_s / self.limit

    async def enter(self, deadline: float) -> bool:
        """Wait for a slot; False (nothing taken) when the slot would come after ``deadline`` less the
        time handling takes and the reserve. On True the caller must ``leave()``."""
        if self.active < self.limit and not self.waiting:
            self.active += 1
            return True
        latest = deadline - self.service_s - self.reserve_s  # the last moment a slot is still worth taking
        if self.clock() + self.expected_wait() > latest:
            self.refused += 1
            return False
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(max(0.0, latest - self.clock())):
                await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return True  # the slot was handed over just as time ran out: it is ours
            self.refused += 1
            return False
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.leave()  # handed a slot, but the caller went away: pass it on
            raise
        finally:
            waiter.cancel()  # a no-op when it was handed a slot
        return True

    def leave(self, held_s: float | None = None) -> None:
        """Give the slot back (``held_s``: how long it was held, for the estimate) and hand it on."""
        if held_s is not None:
            self.service_s += SMOOTHING * (held_s - self.service_s)
        self.active -= 1
        for queue in (self._waiters, self._background):
            while queue and self.active < self.limit:
                waiter = queue.popleft()
                if not waiter.done():
                    self.active += 1
                    waiter.set_result(None)
            if queue:
                return  # messages still waiting: background work does not get the slot

    @contextlib.asynccontextmanager
    async def slot(self, deadline: float) -> AsyncIterator[bool]:
        """``async with admission.slot(deadline) as admitted``: the slot is given back on leaving."""
        admitted = await self.enter(deadline)
        started = self.clock()
        try:
            yield admitted
        finally:
            if admitted:
                self.leave(self.clock() - started)

    @contextlib.asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """A slot for work that can wait: taken only while no message waits for one."""
        if self.active < self.limit and not self.waiting:
            self.active += 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._background.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():
                    self.leave()
                waiter.cancel()
                raise
        try:
            yield
        finally:
            self.leave()
