"""A CPU-heavy matcher (the sentence encoder, 10-15 ms a message) must not stall the event loop: while it
decides, other callbacks keep being answered. The lexical matcher decides inline (a hand-off costs more)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.knowledge import KnowledgeBase
from faq.calibration import EMBEDDING, LEXICAL
from faq.matcher import FaqMatcher

pytestmark = pytest.mark.asyncio


class BusyMatcher:
    """Burns CPU for ``seconds`` per decision, like an encoder, and notes the thread it ran on."""

    def __init__(self, mode: str, seconds: float) -> None:
        self.mode, self.seconds, self.threads = mode, seconds, []  # type: ignore[var-annotated]
        self.real = FaqMatcher.build([])

    def decide(self, text: str):  # type: ignore[no-untyped-def]
        self.threads.append(threading.get_ident())
        deadline = time.perf_counter() + self.seconds
        while time.perf_counter() < deadline:
            sum(range(1000))
        return self.real.decide(text)


async def _ticks_while(decide_coro) -> int:  # type: ignore[no-untyped-def]
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await decide_coro
    done.set()
    await task
    return ticks


async def test_heavy_matcher_decides_off_the_event_loop() -> None:
    knowledge = KnowledgeBase(sessions=None)  # type: ignore[arg-type]
    busy = BusyMatcher(EMBEDDING, 0.3)
    knowledge._matcher = busy  # type: ignore[assignment]
    ticks = await _ticks_while(knowledge.decide("护照丢了"))
    assert busy.threads and busy.threads[0] != threading.get_ident()
    assert ticks >= 5  # the loop went on (the GIL is shared, so not every 5 ms tick, but not stalled 300 ms)
    await knowledge.stop()


async def test_lexical_matcher_decides_inline() -> None:
    knowledge = KnowledgeBase(sessions=None)  # type: ignore[arg-type]
    busy = BusyMatcher(LEXICAL, 0.0)
    knowledge._matcher = busy  # type: ignore[assignment]
    await knowledge.decide("护照丢了")
    assert busy.threads == [threading.get_ident()]
    await knowledge.stop()
