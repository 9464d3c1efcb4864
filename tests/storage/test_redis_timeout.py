"""A Redis host that accepts connections and never answers fails a command, or a connect, within the client's
timeout (``storage.redis_client``) with redis-py's ``TimeoutError``, which the webhook takes as an outage,
instead of redis-py's 5 s, past the passive-reply budget."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
import redis.exceptions

from storage.health import is_redis_outage
from storage.redis_client import create_redis
from tests.outage.faults import silent_port

pytestmark = pytest.mark.asyncio


async def _fails_in(url: str, timeout: float) -> tuple[BaseException, float]:
    client = create_redis(url, timeout=timeout)
    started = time.monotonic()
    try:
        # The outer bound only turns a regression (no timeout: a hang) into a failure instead of a stuck run.
        async with asyncio.timeout(20):
            with pytest.raises(redis.exceptions.RedisError) as error:
                await client.set("qiaobot:test:silent", "1")
    finally:
        await client.aclose()
    return error.value, time.monotonic() - started


async def test_a_command_to_a_server_that_never_answers_times_out() -> None:
    """The connect completes (the kernel accepts on the listening socket) and the command is sent; its answer
    never comes."""
    exc, elapsed = await _fails_in(f"redis://127.0.0.1:{silent_port()}/0", timeout=0.5)
    assert isinstance(exc, redis.exceptions.TimeoutError), repr(exc)
    assert is_redis_outage(exc)
    assert 0.4 <= elapsed < 2.0, elapsed


@pytest.fixture
def blackholed_port() -> Iterator[int]:
    """A listening port whose accept queue is full: the kernel drops further SYNs, as for a host behind a
    firewall that drops packets, so a connect neither completes nor is refused."""
    port = silent_port()  # listen(1): the queue holds two handshaken connections
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.settimeout(0.3)
        try:
            filler.connect(("127.0.0.1", port))
        except OSError:
            filler.close()
            break
        fillers.append(filler)
    probe = socket.socket()
    probe.settimeout(0.5)
    try:
        probe.connect(("127.0.0.1", port))
    except TimeoutError:
        pass  # blackholed, as wanted
    else:
        pytest.skip("this kernel completed a connect past the accept queue's limit")
    finally:
        probe.close()
    yield port
    for filler in fillers:
        filler.close()


async def test_a_connect_that_never_completes_times_out(blackholed_port: int) -> None:
    exc, elapsed = await _fails_in(f"redis://127.0.0.1:{blackholed_port}/0", timeout=0.5)
    assert isinstance(exc, redis.exceptions.TimeoutError), repr(exc)
    assert "connect" in str(exc).lower()
    assert is_redis_outage(exc)
    assert 0.4 <= elapsed < 2.0, elapsed
