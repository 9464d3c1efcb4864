"""The login throttle while Redis is out (``staff.local_login_throttle``): the same decisions as the Redis
script, attempt for attempt, over a long random mix of guesses, right passwords and waits; never open; bounded.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from staff.local_login_throttle import LocalLoginThrottle
from staff.login_throttle import LoginThrottle, ThrottlePolicy
from storage.health import DependencyHealth
from storage.redis_client import create_redis

pytestmark = pytest.mark.asyncio

POLICY = ThrottlePolicy(free_failures=3, backoff_seconds=30, max_backoff_seconds=600)


async def test_the_memory_decides_as_the_redis_script_does(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    redis = create_redis(redis_url)
    down = DependencyHealth()
    down.mark_down("redis", "test: Redis is out")
    out = create_redis(redis_url, health=down)  # every command fails at once: the throttle uses its memory
    in_redis, in_memory = LoginThrottle(redis, POLICY, fake_clock), LoginThrottle(out, POLICY, fake_clock)
    rng = random.Random(10)
    names, addresses = ["alice", "bob", "nobody"], ["10.0.0.1", "10.0.0.2", "192.0.2.9"]
    allowed = 0
    try:
        for step in range(600):
            username, address = rng.choice(names), rng.choice(addresses)
            decided = await in_redis.reserve(username, address)
            assert await in_memory.reserve(username, address) == decided, f"step {step}: {username} {address}"
            allowed += decided
            if decided and rng.random() < 0.15:  # the right password this time
                await in_redis.succeeded(username, address)
                await in_memory.succeeded(username, address)
            fake_clock.advance(timedelta(seconds=rng.choice([0, 1, 5, 20, 45, 120, 700])))
    finally:
        await redis.aclose()
        await out.aclose()
    assert 0 < allowed < 600  # both refused and allowed attempts were compared
    assert len(in_memory.local) > 0 and len(in_redis.local) == 0  # Redis up: its memory is never used


async def test_a_right_password_with_redis_out_starts_the_memory_over_and_leaves_redis_counts(  # type: ignore[no-untyped-def]
    redis_url, clean_backend, fake_clock
) -> None:
    health = DependencyHealth()
    redis = create_redis(redis_url, health=health)
    throttle = LoginThrottle(redis, POLICY, fake_clock)
    try:
        for _ in range(POLICY.free_failures):
            assert await throttle.reserve("alice", "10.0.0.1")
        assert not await throttle.reserve("alice", "10.0.0.1")  # in back-off, in Redis
        health.mark_down("redis", "test: Redis is out")
        for _ in range(POLICY.free_failures):  # a fresh allowance in this process: the documented cost
            assert await throttle.reserve("alice", "10.0.0.1")
        assert not await throttle.reserve("alice", "10.0.0.1")  # and then the same back-off: never open
        fake_clock.advance(timedelta(seconds=POLICY.backoff_seconds))
        assert await throttle.reserve("alice", "10.0.0.1")
        await throttle.succeeded("alice", "10.0.0.1")  # Redis out: its counts stay, the memory starts over
        assert await throttle.reserve("alice", "10.0.0.1")
        health.mark_up("redis")
        # Redis back, with the counts of before the outage: its back-off has run out, one attempt goes ahead
        # and the next waits twice as long (had the right password reached Redis, both would go ahead).
        assert await throttle.reserve("alice", "10.0.0.1")
        assert not await throttle.reserve("alice", "10.0.0.1")
    finally:
        await redis.aclose()


async def test_redis_out_does_not_reset_the_memory(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    """A flapping Redis hands out no new allowance: the memory's counts outlive each outage."""
    health = DependencyHealth()
    redis = create_redis(redis_url, health=health)
    throttle = LoginThrottle(redis, POLICY, fake_clock)
    try:
        health.mark_down("redis", "test: Redis is out")
        allowed = 0
        while await throttle.reserve("bob", "10.0.0.9"):
            allowed += 1
        assert allowed == POLICY.free_failures
        health.mark_up("redis")
        fake_clock.advance(timedelta(seconds=1))
        health.mark_down("redis", "test: Redis is out again")
        assert not await throttle.reserve("bob", "10.0.0.9")  # still in the back-off the first outage set
    finally:
        await redis.aclose()


async def test_the_table_is_bounded_and_full_refuses_only_what_it_does_not_hold() -> None:
    memory = LocalLoginThrottle(base_seconds=30, max_seconds=600, memory_seconds=3600, max_keys=6)
    free = (3, 12, 30)
    assert memory.reserve(["p1", "a1", "x1"], free, now=0)
    assert memory.reserve(["p2", "a2", "x2"], free, now=0)
    assert len(memory) == 6
    assert not memory.reserve(["p3", "a3", "x3"], free, now=1)  # full of live counts: refused, never unthrottled
    assert memory.reserve(["p1", "a1", "x1"], free, now=1)  # what it holds is still decided
    assert memory.reserve(["p3", "a3", "x3"], free, now=3601)  # the old counts forgotten, as Redis forgets
    assert len(memory) == 3
