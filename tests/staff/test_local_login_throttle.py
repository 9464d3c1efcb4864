"""The login throttle's memory (``staff.local_login_throttle``): the same decisions as the Redis script, attempt
for attempt, over a long random mix of guesses, right passwords and waits; what it costs while Redis is out (one
more allowance per other process, once); never open; bounded."""

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
    down.start()  # a monitor with no probe: the mark stays
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
        await down.stop()
        await redis.aclose()
        await out.aclose()
    assert 0 < allowed < 600  # both refused and allowed attempts were compared


async def test_redis_out_keeps_the_back_off_and_a_right_password_starts_only_the_memory_over(  # type: ignore[no-untyped-def]
    redis_url, clean_backend, fake_clock
) -> None:
    health = DependencyHealth()
    health.start()  # a monitor with no probe: the test marks Redis down and up itself
    redis = create_redis(redis_url, health=health)
    throttle = LoginThrottle(redis, POLICY, fake_clock)
    try:
        for _ in range(POLICY.free_failures):
            assert await throttle.reserve("alice", "10.0.0.1")
        assert not await throttle.reserve("alice", "10.0.0.1")  # in back-off, in Redis and in memory
        health.mark_down("redis", "test: Redis is out")
        assert not await throttle.reserve("alice", "10.0.0.1")  # no fresh allowance: the memory's back-off holds
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
        await health.stop()
        await redis.aclose()


async def test_redis_out_does_not_reset_the_memory(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    """A flapping Redis hands out no new allowance: the memory's counts outlive each outage."""
    health = DependencyHealth()
    health.start()  # a monitor with no probe: the test marks Redis down and up itself
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
        await health.stop()
        await redis.aclose()


async def test_attempts_redis_refused_are_not_counted_in_memory(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    """Two processes: what one spent is in Redis only, so with Redis out the other has its own allowance (the
    documented cost), no more, and not less: the attempts Redis refused it were taken back from its memory."""
    health = DependencyHealth()
    health.start()
    redis = create_redis(redis_url, health=health)
    first, second = LoginThrottle(redis, POLICY, fake_clock), LoginThrottle(redis, POLICY, fake_clock)
    try:
        for _ in range(POLICY.free_failures):
            assert await first.reserve("alice", "10.0.0.1")
        for _ in range(3):
            assert not await second.reserve("alice", "10.0.0.1")  # Redis refuses: the first's back-off
        health.mark_down("redis", "test: Redis is out")
        allowed = 0
        while await second.reserve("alice", "10.0.0.1"):
            allowed += 1
        assert allowed == POLICY.free_failures
        assert not await first.reserve("alice", "10.0.0.1")  # the first's memory holds its own attempts
    finally:
        await health.stop()
        await redis.aclose()


async def test_a_right_password_in_another_process_frees_this_ones_memory(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    """A colleague who mistyped here and then logged in through another web process: Redis started the counts
    over, so one more typo here must not leave them in the back-off this process's memory still counts."""
    redis = create_redis(redis_url)
    here, there = LoginThrottle(redis, POLICY, fake_clock), LoginThrottle(redis, POLICY, fake_clock)
    try:
        for _ in range(POLICY.free_failures - 1):
            assert await here.reserve("alice", "10.0.0.1")  # wrong passwords
        assert await there.reserve("alice", "10.0.0.1")
        await there.succeeded("alice", "10.0.0.1")
        assert await here.reserve("alice", "10.0.0.1")  # a typo: the memory's count reaches the allowance
        fake_clock.advance(timedelta(seconds=1))
        assert await here.reserve("alice", "10.0.0.1")  # Redis counts one failure since the success: not held
    finally:
        await redis.aclose()


async def test_a_burst_in_one_process_checks_no_more_than_the_allowance(  # type: ignore[no-untyped-def]
    redis_url, clean_backend, fake_clock
) -> None:
    """Concurrent guesses: the memory's back-off from attempts still waiting for Redis refuses the rest at once."""
    import asyncio

    redis = create_redis(redis_url)
    throttle = LoginThrottle(redis, POLICY, fake_clock)
    try:
        results = await asyncio.gather(*(throttle.reserve("bob", "10.0.0.2") for _ in range(40)))
        assert sum(results) == POLICY.free_failures
    finally:
        await redis.aclose()


def _settled(memory: LocalLoginThrottle, keys: list[str], now: float) -> str:
    """One attempt Redis answered: counted, no longer in flight."""
    verdict, reservation = memory.reserve(keys, (3, 12, 30), now=now)
    if reservation is not None:
        memory.settle(reservation)
    return verdict


async def test_the_table_is_bounded_and_a_full_one_forgets_its_oldest_idle_counts() -> None:
    memory = LocalLoginThrottle(base_seconds=30, max_seconds=600, memory_seconds=3600, max_keys=6)
    for _ in range(3):  # the third sets the back-off: these counts wait
        assert _settled(memory, ["p1", "a1", "x1"], now=0) in ("go", "ask")
    assert _settled(memory, ["p2", "a2", "x2"], now=0) == "go"  # one failure each: idle
    assert len(memory) == 6
    assert _settled(memory, ["p3", "a3", "x3"], now=1) == "go"  # room made from the idle p2/a2/x2
    assert len(memory) == 6
    assert _settled(memory, ["p1", "a1", "x1"], now=1) == "ask"  # the waiting counts were kept
    assert _settled(memory, ["p4", "a4", "x4"], now=2) == "go"  # p3/a3/x3 idle: forgotten in turn
    assert memory.reserve(["p5", "a5", "x5"], (3, 12, 30), now=2)[0] == "go"
    # Room for three: only a1 and x1 are idle (p1 waits, p5's attempt is in flight), so none, and nothing forgotten.
    assert memory.reserve(["p6", "a6", "x6"], (3, 12, 30), now=2) == ("full", None)
    assert len(memory) == 6
    assert _settled(memory, ["p6", "a6", "x6"], now=3602) == "go"  # the old counts forgotten, as in Redis
    assert len(memory) == 3


def test_a_full_table_costs_no_scan_per_attempt() -> None:
    """Names sprayed to fill the table: each further attempt looks at a few of the oldest counts, not all."""
    import time

    memory = LocalLoginThrottle(base_seconds=30, max_seconds=600, memory_seconds=3600, max_keys=30_000)
    for i in range(10_000):
        _settled(memory, [f"p{i}", f"a{i}", f"x{i}"], now=0)
    started = time.process_time()
    for i in range(10_000, 12_000):
        assert _settled(memory, [f"p{i}", f"a{i}", f"x{i}"], now=1) == "go"
    assert len(memory) == 30_000
    assert time.process_time() - started < 0.5  # 2,000 attempts; a scan each took ~2 s here


async def test_a_full_memory_refuses_while_redis_is_out(redis_url, clean_backend, fake_clock) -> None:  # type: ignore[no-untyped-def]
    health = DependencyHealth()
    health.start()
    redis = create_redis(redis_url, health=health)
    throttle = LoginThrottle(redis, POLICY, fake_clock)
    throttle.local.max_keys = 3
    try:
        for _ in range(POLICY.free_failures):
            assert await throttle.reserve("alice", "10.0.0.1")  # her pair now waits: the table cannot forget it
        assert await throttle.reserve("bob", "10.0.0.2")  # full: Redis alone decides
        health.mark_down("redis", "test: Redis is out")
        assert not await throttle.reserve("carol", "10.0.0.3")
        fake_clock.advance(timedelta(seconds=POLICY.backoff_seconds + 1))
        assert await throttle.reserve("alice", "10.0.0.1")  # what it holds is still decided, by the memory
    finally:
        await health.stop()
        await redis.aclose()
