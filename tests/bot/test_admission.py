"""The admission gate on its own: a bound on messages in flight, arrival order, refusal before a deadline
passes, and background work only when no message waits."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.admission import Admission

pytestmark = pytest.mark.asyncio


async def test_waiters_are_admitted_in_arrival_order() -> None:
    gate = Admission(1)
    assert await gate.enter(time.monotonic() + 5)
    order: list[int] = []

    async def one(index: int) -> None:
        assert await gate.enter(time.monotonic() + 5)
        order.append(index)
        await asyncio.sleep(0.01)
        gate.leave(0.01)

    tasks = [asyncio.create_task(one(index)) for index in range(5)]
    await asyncio.sleep(0.05)
    assert gate.waiting == 5 and not order
    gate.leave(0.01)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert gate.active == 0


async def test_a_message_that_would_be_too_late_is_refused_without_taking_a_slot() -> None:
    gate = Admission(1, reserve_s=0.0)
    assert await gate.enter(time.monotonic() + 5)
    started = time.monotonic()
    # Its deadline passes while the only slot is held: refused when time runs out, not after.
    assert not await gate.enter(time.monotonic() + 0.2)
    assert 0.1 <= time.monotonic() - started < 0.5
    # With the estimate saying a turn takes 1 s, a message with 0.5 s left is refused at once.
    gate.service_s = 1.0
    started = time.monotonic()
    assert not await gate.enter(time.monotonic() + 0.5)
    assert time.monotonic() - started < 0.05
    assert gate.refused == 2 and gate.active == 1 and gate.waiting == 0
    gate.leave()
    assert gate.active == 0


async def test_background_work_waits_while_messages_wait() -> None:
    gate = Admission(1)
    assert await gate.enter(time.monotonic() + 5)
    events: list[str] = []

    async def background() -> None:
        async with gate.background():
            events.append("background")

    async def message() -> None:
        async with gate.slot(time.monotonic() + 5) as admitted:
            assert admitted
            events.append("message")

    drain = asyncio.create_task(background())
    await asyncio.sleep(0.01)
    live = asyncio.create_task(message())  # arrives after the background work, goes first
    await asyncio.sleep(0.01)
    gate.leave()
    await asyncio.gather(drain, live)
    assert events == ["message", "background"]
    assert gate.active == 0


async def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    gate = Admission(1)
    assert await gate.enter(time.monotonic() + 5)
    first = asyncio.create_task(gate.enter(time.monotonic() + 5))
    second = asyncio.create_task(gate.enter(time.monotonic() + 5))
    await asyncio.sleep(0.01)
    first.cancel()
    gate.leave()
    assert await second
    assert gate.active == 1
    gate.leave()
    assert gate.active == 0
