"""A client built with the process's ``DependencyHealth`` (``storage.redis_guard``): against a real redis-server
hung with SIGSTOP, the first command waits one timeout and marks Redis down; later commands, plain, scripts and
pipelines, fail at once with ``RedisUnavailable`` (a redis-py ``ConnectionError``, so an outage to every caller)
without touching the server; once the probe marks Redis up again, the same client works."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.exceptions

from storage import redis_guard
from storage.health import DependencyHealth, RedisUnavailable, is_redis_outage
from storage.redis_client import create_redis
from tests.outage.faults import RedisServer

pytestmark = pytest.mark.asyncio

TIMEOUT_S = 0.5


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _elapsed(call: object) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        async with asyncio.timeout(20):  # a regression (a hang) fails instead of stalling the run
            await call  # type: ignore[misc]
    except redis.exceptions.RedisError as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


async def test_the_first_timeout_marks_redis_down_and_later_commands_fail_at_once(server: RedisServer) -> None:
    health = DependencyHealth()
    health.start()  # the monitor (no probe yet: the mark stays until the test probes)
    client = create_redis(server.url, timeout=TIMEOUT_S, health=health)
    probe = create_redis(server.url, timeout=TIMEOUT_S)
    try:
        assert await client.set("qiaobot:test:guard", "1")  # a pooled connection, as in service
        server.pause()
        first, waited = await _elapsed(client.get("qiaobot:test:guard"))
        assert isinstance(first, redis.exceptions.TimeoutError), repr(first)
        assert TIMEOUT_S * 0.9 <= waited < TIMEOUT_S * 3
        assert health.redis_down
        assert "Timeout" in health.states["redis"].last_error

        script = client.register_script("return redis.call('get', KEYS[1])")
        pipe = client.pipeline(transaction=True)
        pipe.incr("qiaobot:test:guard")
        for call in (client.get("qiaobot:test:guard"), script(keys=["qiaobot:test:guard"]), pipe.execute()):
            exc, elapsed = await _elapsed(call)
            assert isinstance(exc, RedisUnavailable) and is_redis_outage(exc), repr(exc)
            assert elapsed < 0.05, f"a command while marked down took {elapsed:.3f} s"
        health.mark_down("redis", RedisUnavailable("seen late"))  # never news: the last real error stays
        assert "Timeout" in health.states["redis"].last_error

        server.resume()
        health.probes["redis"] = probe.ping  # the probe's own client is not guarded
        await health.probe()
        assert not health.redis_down
        assert await client.get("qiaobot:test:guard") == b"1"  # the INCR refused while marked down was never sent
        health.mark_down("redis", RedisUnavailable("seen after the probe"))  # a late fail-fast does not re-mark
        assert not health.redis_down
    finally:
        server.resume()
        await health.stop()
        await client.aclose()
        await probe.aclose()


async def test_a_refused_connect_marks_redis_down(server: RedisServer) -> None:
    health = DependencyHealth()
    health.start()
    client = create_redis(server.url, timeout=TIMEOUT_S, health=health)
    try:
        server.stop()
        exc, _ = await _elapsed(client.get("qiaobot:test:guard"))
        assert isinstance(exc, redis.exceptions.ConnectionError) and not isinstance(exc, RedisUnavailable)
        assert health.redis_down
        exc, _ = await _elapsed(client.get("qiaobot:test:guard"))
        assert isinstance(exc, RedisUnavailable)
    finally:
        await health.stop()
        await client.aclose()


async def test_without_health_each_command_tries_redis(server: RedisServer) -> None:
    """The probe's own client: each command waits its own timeout, as an unguarded client does."""
    client = create_redis(server.url, timeout=TIMEOUT_S)
    try:
        server.pause()
        for _ in range(2):
            exc, waited = await _elapsed(client.get("qiaobot:test:guard"))
            assert isinstance(exc, redis.exceptions.TimeoutError)
            assert waited >= TIMEOUT_S * 0.9
    finally:
        server.resume()
        await client.aclose()


async def test_without_a_monitor_a_failure_holds_for_a_while_then_redis_is_tried_again(
    server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that never started the monitor (a CLI command's loop of enqueues): nothing clears the mark, so
    it fails fast only for a window after each failure, then one call tries Redis, and works once it answers."""
    monkeypatch.setattr(redis_guard, "UNWATCHED_RETRY_S", 1.0)
    health = DependencyHealth()
    client = create_redis(server.url, timeout=TIMEOUT_S, health=health)
    try:
        server.pause()
        exc, waited = await _elapsed(client.get("qiaobot:test:guard"))
        assert isinstance(exc, redis.exceptions.TimeoutError) and waited >= TIMEOUT_S * 0.9
        for _ in range(20):  # a loop of enqueues: at once, not 20 timeouts
            exc, waited = await _elapsed(client.get("qiaobot:test:guard"))
            assert isinstance(exc, RedisUnavailable) and waited < 0.05
        await asyncio.sleep(1.1)
        exc, waited = await _elapsed(client.get("qiaobot:test:guard"))  # the window is over: tried, and waits
        assert isinstance(exc, redis.exceptions.TimeoutError) and waited >= TIMEOUT_S * 0.9
        server.resume()
        await asyncio.sleep(1.1)
        assert await client.get("qiaobot:test:guard") is None  # Redis answers: it works, though nothing marked it up
    finally:
        server.resume()
        await client.aclose()


async def test_connections_from_before_a_restart_do_not_mark_redis_down_again(server: RedisServer) -> None:
    """A restarted Redis has closed every socket the pool kept: once the probe finds it back, the first commands
    (the spool's replay, in service) must not meet those dead sockets, which would mark Redis down again
    (redis-py retries on a fresh socket, but the guard has already reported the error) and stop the replay."""
    health = DependencyHealth()
    health.start()
    client = create_redis(server.url, timeout=TIMEOUT_S, health=health)
    probe = create_redis(server.url, timeout=TIMEOUT_S)
    try:
        async def hold(seconds: float) -> None:  # several pooled connections, as concurrent requests leave them
            async with client.pipeline(transaction=False) as pipe:
                pipe.set("qiaobot:test:guard", "1")
                await pipe.execute()
                await asyncio.sleep(seconds)

        await asyncio.gather(*(hold(0.05) for _ in range(4)))
        server.stop()
        server.start()
        health.mark_down("redis", redis.exceptions.ConnectionError("stopped"))
        health.probes["redis"] = probe.ping
        await health.probe()
        assert not health.redis_down
        for _ in range(4):
            assert await client.get("qiaobot:test:guard") is None  # a new server: it kept nothing
        assert not health.redis_down, health.states["redis"].last_error
    finally:
        await health.stop()
        await client.aclose()
        await probe.aclose()


async def test_a_pooled_socket_the_server_closed_does_not_mark_redis_down(server: RedisServer) -> None:
    """A socket the server closed while it sat in the pool (an idle timeout, CLIENT KILL, a proxy's reset) is
    replaced before use (redis-py's own check, which its maintenance notifications would skip), and the command
    succeeds. Redis answered all along, so nothing is marked down."""
    health = DependencyHealth()
    health.start()
    client = create_redis(server.url, timeout=TIMEOUT_S, health=health)
    killer = create_redis(server.url, timeout=TIMEOUT_S)
    try:
        assert await client.set("qiaobot:test:guard", "1")  # one pooled connection
        assert await killer.client_kill_filter(_type="normal", skipme=True) >= 1
        await asyncio.sleep(0.05)  # the FIN has arrived: the pooled socket is dead
        for _ in range(3):
            assert await client.get("qiaobot:test:guard") == b"1"
        assert not health.redis_down, health.states["redis"].last_error
    finally:
        await health.stop()
        await client.aclose()
        await killer.aclose()
