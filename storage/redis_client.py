"""Redis connections: a real server from ``QIAOBOT_REDIS_URL``, or the embedded one under ./var.

The embedded server (``storage.embedded_redis``) is a real redis-server process on a unix socket; every
process of one deployment shares it, so dedupe, locks and the job queue behave as they do in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the embedded server for ``var_dir`` and return a unix:// URL to it."""
    from storage.embedded_redis import embedded_redis

    return embedded_redis(var_dir).url


def resolve_redis_url(redis_url: str, var_dir: Path) -> str:
    return redis_url or embedded_redis_url(var_dir)


class _WritesWithoutTask:
    """A connection whose send skips redis-py's per-write ``asyncio.wait_for`` when the write cannot block.

    redis-py (8.x, ``socket_timeout`` 5 s by default) wraps every socket write in ``asyncio.wait_for``, which
    on Python 3.11 creates a task per command or pipeline: on the webhook's two round trips a message that was
    about a sixth of the process's Redis cost. A write blocks (``drain`` waits) only when the transport's
    buffer passes its high-water mark; while it stays under it the write is done before ``drain`` is reached,
    so the timeout cannot fire and is left out. Any other write (buffer near full, not yet connected) goes
    through redis-py's own path with its timeout, and every read keeps its ``socket_timeout``.
    """

    socket_timeout: float | None
    _writer: Any

    async def send_packed_command(self, command: bytes | str | Iterable[bytes], check_health: bool = True) -> None:
        writer = self._writer
        transport = None if writer is None else writer.transport
        if transport is None or transport.is_closing() or not isinstance(command, list):
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
            return
        try:
            _, high = transport.get_write_buffer_limits()
            size = transport.get_write_buffer_size()
        except NotImplementedError:  # a transport that cannot say: no shortcut
            high, size = 0, 1
        if size + sum(len(part) for part in command) > high:
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
            return
        timeout, self.socket_timeout = self.socket_timeout, None
        try:
            await super().send_packed_command(command, check_health)  # type: ignore[misc]
        finally:
            self.socket_timeout = timeout


_FAST: dict[type[aioredis.Connection], type[aioredis.Connection]] = {}


def _without_write_tasks(connection_class: type[Any]) -> type[aioredis.Connection]:
    if connection_class not in _FAST:
        name = f"{connection_class.__name__}WithoutWriteTasks"
        _FAST[connection_class] = type(name, (_WritesWithoutTask, connection_class), {})
    return _FAST[connection_class]


def create_redis(url: str, max_connections: int = 4096) -> aioredis.Redis:
    # redis-py's pool refuses ("Too many connections") past its limit (100 by default); a burst of webhook
    # requests each holding a connection for a moment needs more. (A BlockingConnectionPool would wait
    # instead, but arms a timer on every command, which costs more than the command at this rate.)
    pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections)
    pool.connection_class = _without_write_tasks(pool.connection_class)
    return aioredis.Redis(connection_pool=pool)
