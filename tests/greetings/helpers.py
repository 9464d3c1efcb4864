"""Helpers for the greeting tests (plain functions; the fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from greetings.service import GreetingService

# 2026-11-23 02:00 UTC (the fake's start) is 10:00 in Beijing; the test festival is the next day.
FESTIVAL_DAY = date(2026, 11, 24)
SEND_AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 Beijing


async def approved_campaign(
    greetings: GreetingService, *, audience: Any = "all", mode: Any = None, day: date = FESTIVAL_DAY
) -> int:
    campaign_id, _ = await greetings.create_draft(
        "测试节", day, text_hans="节日快乐！", text_hant="節日快樂！", audience=audience, mode=mode
    )
    await greetings.approve(campaign_id, by="主管甲")
    return campaign_id


async def drain(*services: Any) -> None:
    """Run queued jobs on the given processes' workers, concurrently, until none is left."""
    workers = [svc.worker(concurrency=8, poll_seconds=0.01) for svc in services]
    for _ in range(20):
        ran = await asyncio.gather(*(worker.run_once() for worker in workers))
        if not any(ran):
            return
