"""The write-behind queue: every handled message reaches the database once, in order of what matters."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage.activity import QUEUE_KEY, ActivityLog, FollowerState
from storage.models import Follower, MessageLog

pytestmark = pytest.mark.asyncio
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _message(key: str, at: datetime) -> dict[str, object]:
    return {
        "key": key,
        "openid": "o_act",
        "direction": "in",
        "channel": "webhook",
        "msg_type": "text",
        "content": "你好",
        "meta": None,
        "at": at.isoformat(),
    }


async def _queue(services, records: list[str]) -> None:  # type: ignore[no-untyped-def]
    await services.redis.rpush(QUEUE_KEY, *records)


async def test_flush_writes_messages_and_keeps_the_newest_interaction(services) -> None:  # type: ignore[no-untyped-def]
    state = FollowerState(openid="o_act", script="hant")
    later, _ = ActivityLog.records([_message("k2", T0 + timedelta(hours=1))], state, T0 + timedelta(hours=1))
    earlier, _ = ActivityLog.records([_message("k1", T0)], state, T0)
    await _queue(services, later)
    assert await services.activity.flush() == 2
    await _queue(services, earlier)  # an older record flushed after a newer one
    assert await services.activity.flush() == 2
    async with services.sessions() as session:
        follower = await session.get(Follower, "o_act")
        count = await session.scalar(select(func.count()).select_from(MessageLog))
    assert follower is not None and follower.script == "hant"
    assert follower.last_interaction_at == T0 + timedelta(hours=1)
    assert count == 2


async def test_a_flush_repeated_after_a_crash_writes_nothing_twice(services) -> None:  # type: ignore[no-untyped-def]
    records, _ = ActivityLog.records([_message("k1", T0)], FollowerState(openid="o_act"), T0)
    await _queue(services, records)
    # the flusher wrote the rows but died before trimming the queue: the same records are flushed again
    await services.activity._write([json.loads(r) for r in records])
    assert await services.activity.flush() == 2
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MessageLog)) == 1


async def test_unsubscribe_is_recorded_without_touching_the_window(services) -> None:  # type: ignore[no-untyped-def]
    state = FollowerState(openid="o_act")
    records, _ = ActivityLog.records([_message("k1", T0)], state, T0)
    await _queue(services, records)
    state.subscribed, state.unsubscribed_at = False, T0 + timedelta(hours=2)
    records, _ = ActivityLog.records([_message("k2", T0 + timedelta(hours=2))], state, None)
    await _queue(services, records)
    await services.activity.flush()
    async with services.sessions() as session:
        follower = await session.get(Follower, "o_act")
    assert follower is not None and not follower.subscribed
    assert follower.last_interaction_at == T0
