"""Redis connections: a real server from ``QIAOBOT_REDIS_URL``, or the embedded one under ./var.

The embedded server (``storage.embedded_redis``) is a real redis-server process on a unix socket; every
process of one deployment shares it, so dedupe, locks and the job queue behave as they do in production.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hiredis  # redis[hiredis]
import redis.asyncio as aioredis
from redis.exceptions import DataError
from redis.maint_notifications import MaintNotificationsConfig

from storage.redis_guard import GuardedConnectionPool, guard

if TYPE_CHECKING:
    from storage.health import DependencyHealth


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the embedded server for ``var_dir`` and return a unix:// URL to it."""
    from storage.embedded_redis import embedded_redis

    return embedded_redis(var_dir).url


def resolve_redis_url(redis_url: str, var_dir: Path) -> str:
    return redis_url or embedded_redis_url(var_dir)


class _WritesWithoutTask:
    """A connection whose send skips redis-py's per-write ``asyncio.wait_for`` when the write cannot block.

    redis-py (8.x) wraps every socket write in ``asyncio.wait_for``, which
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


_UTF8 = ("utf-8", "utf8")
_PACK: Any = hiredis.pack_command  # (its stub types the argument as a 1-tuple)


class _PacksInC:
    """A connection whose commands are packed by hiredis's C packer, as redis-py's sync connection does whenever
    hiredis is installed.

    redis-py's asyncio connection (8.x) packs in Python and rebuilds its buffer once per argument; the webhook's
    two scripts carry some 20-50 arguments a message (keys to prefetch and drop, the message log's records):
    15 µs a 31-argument script that way, 5 µs here. Only for the UTF-8, strict encoder (what ``create_redis``
    builds), whose encoding hiredis's matches; anything else is left to redis-py.
    """

    encoder: Any

    def pack_command(self, *args: Any) -> list[bytes]:
        encoder = self.encoder
        if encoder.encoding.lower() not in _UTF8 or encoder.encoding_errors != "strict":
            packed: list[bytes] = super().pack_command(*args)  # type: ignore[misc]
            return packed
        # As redis-py does: a command name given with a literal argument ("CONFIG GET") is sent as two.
        if isinstance(args[0], str):
            args = tuple(args[0].encode().split()) + args[1:]
        elif b" " in args[0]:
            args = tuple(args[0].split()) + args[1:]
        try:
            return [_PACK(args)]
        except TypeError:  # hiredis takes str, bytes, int, float (and memoryview), not a bytearray
            pass
        try:
            return [_PACK(tuple(bytes(a) if isinstance(a, bytearray | memoryview) else a for a in args))]
        except TypeError as exc:  # a bool, None or another type redis-py's encoder refuses too
            raise DataError(str(exc)) from exc


_FAST: dict[type[aioredis.Connection], type[aioredis.Connection]] = {}


def _without_write_tasks(connection_class: type[Any]) -> type[aioredis.Connection]:
    if connection_class not in _FAST:
        name = f"{connection_class.__name__}WithoutWriteTasks"
        _FAST[connection_class] = type(name, (_PacksInC, _WritesWithoutTask, connection_class), {})
    return _FAST[connection_class]


# Seconds a Redis connect, or a command's answer, may take (``Settings.redis_timeout_seconds``).
DEFAULT_TIMEOUT_S = 1.0


def create_redis(
    url: str,
    max_connections: int = 4096,
    timeout: float = DEFAULT_TIMEOUT_S,
    health: DependencyHealth | None = None,
) -> aioredis.Redis:
    """A client whose connects and commands give up after ``timeout`` seconds with redis-py's ``TimeoutError``,
    which marks Redis down (``storage.health``), so the message is answered from the spool path. With
    ``health``, the client sets that mark itself and fails at once while it is set (``storage.redis_guard``):
    only the first caller waits on a Redis that does not answer.

    redis-py waits 5 s for either by default, longer than the webhook's passive-reply budget (~4 s): a Redis
    host that accepts connections and then never answers (packets dropped, a hung server) held the first
    message of a callback past WeChat's 5 s. A healthy Redis answers these commands in well under a
    millisecond, so a short timeout costs nothing. No caller blocks on the server (no BLPOP/XREAD: the worker
    polls, ``jobs.worker``); one that did would need its own client with a timeout above its block.
    """
    # redis-py's pool refuses ("Too many connections") past its limit (100 by default); a burst of webhook
    # requests each holding a connection for a moment needs more. (A BlockingConnectionPool would wait
    # instead, but arms a timer on every command, which costs more than the command at this rate.)
    # Maintenance notifications (redis-py 8 turns them on for RESP3 servers) are Redis Cloud's cluster moves; with
    # them on, the pool skips its check of a pooled connection before use, so a socket the server closed while
    # it sat there (CLIENT KILL, an idle timeout, a proxy's reset) failed the next command although Redis answers.
    pool = GuardedConnectionPool.from_url(
        url,
        max_connections=max_connections,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )
    pool.connection_class = _without_write_tasks(pool.connection_class)
    if health is not None:
        guard(pool, health)
    return aioredis.Redis(connection_pool=pool)
