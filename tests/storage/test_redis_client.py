"""The webhook's Redis client sends small writes without redis-py's per-write task, and keeps the timeout
wherever a write could block (``storage.redis_client``)."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from storage.redis_client import DEFAULT_TIMEOUT_S, create_redis

pytestmark = pytest.mark.asyncio


def _tasks_created(loop: asyncio.AbstractEventLoop) -> list[int]:
    created = [0]
    factory = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro, **kwargs):  # type: ignore[no-untyped-def]
        created[0] += 1
        if factory is not None:
            return factory(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    return created


async def test_small_writes_take_no_task_and_keep_the_read_timeout(redis_url: str) -> None:
    client = create_redis(redis_url)
    try:
        await client.set("qiaobot:test:client", "1")  # connected, so the next commands reuse the connection
        loop = asyncio.get_running_loop()
        created = _tasks_created(loop)
        try:
            for _ in range(20):
                assert await client.get("qiaobot:test:client") == b"1"
        finally:
            loop.set_task_factory(None)
        assert created[0] == 0  # stock redis-py: one asyncio.wait_for task per command
        connection = await client.connection_pool.get_connection()
        try:
            assert connection.socket_timeout == DEFAULT_TIMEOUT_S  # restored after each write; reads still time out
        finally:
            await client.connection_pool.release(connection)
    finally:
        await client.delete("qiaobot:test:client")
        await client.aclose()


async def test_a_write_past_the_buffer_limit_goes_through_the_timed_path(redis_url: str) -> None:
    """A command bigger than the transport's high-water mark could wait in ``drain``: it keeps the timeout."""
    client = create_redis(redis_url)
    big = b"x" * (4 * 1024 * 1024)
    try:
        await client.set("qiaobot:test:big", "0")
        loop = asyncio.get_running_loop()
        created = _tasks_created(loop)
        try:
            await client.set("qiaobot:test:big", big)
        finally:
            loop.set_task_factory(None)
        assert created[0] >= 1  # redis-py's own path, with its wait_for
        assert await client.strlen("qiaobot:test:big") == len(big)
    finally:
        await client.delete("qiaobot:test:big")
        await client.aclose()


async def test_the_stock_client_would_take_a_task_per_command(redis_url: str) -> None:
    """What the first test guards against (so it cannot pass for a redis-py that stopped doing it)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        await client.set("qiaobot:test:stock", "1")
        loop = asyncio.get_running_loop()
        created = _tasks_created(loop)
        try:
            await client.get("qiaobot:test:stock")
        finally:
            loop.set_task_factory(None)
        if created[0] == 0:
            pytest.skip("this redis-py sends without a task: storage.redis_client's wrapper is no longer needed")
    finally:
        await client.delete("qiaobot:test:stock")
        await client.aclose()


async def test_commands_are_packed_by_hiredis_exactly_as_redis_py_packs_them(redis_url: str) -> None:
    """In one C-built buffer (redis-py's Python packer rebuilt its buffer per argument), byte for byte the same."""
    from redis.asyncio.connection import Connection
    from redis.exceptions import DataError

    client = create_redis(redis_url)
    connection = client.connection_pool.make_connection()
    stock = Connection(host="127.0.0.1")
    commands = [
        ("SET", "qiaobot:键", "护照丢了怎么办", "EX", 600),
        ("EVALSHA", "a" * 40, 2, b"k1", bytearray(b"k2"), memoryview(b"v"), 1.5, -3, ""),
        ("CONFIG GET", "maxmemory"),  # a command name with a literal argument is sent as two
        (b"OBJECT ENCODING", b"k"),
        ("RPUSH", "big", "x" * 70_000),  # past redis-py's buffer cutoff, where it sends chunks
    ]
    try:
        for command in commands:
            assert b"".join(connection.pack_command(*command)) == b"".join(stock.pack_command(*command))
            assert len(connection.pack_command(*command)) == 1  # one C-built buffer
        for refused in (True, None, object()):
            with pytest.raises(DataError):
                connection.pack_command("SET", "k", refused)
    finally:
        await client.aclose()
