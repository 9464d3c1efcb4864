"""Auto-pipelining for the webhook's Redis scripts (the dedupe claim, the closing, the backlog's push).

Under load many messages claim and close in the same event-loop turn; sending their scripts as one
pipeline (all three kinds together: one batcher per client, ``ScriptBatcher.of``) saves a connection
checkout, a socket write and a reply read per message, which at thousands of messages a second is most of
what Redis costs the process. A lone call waits one loop turn at most.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

_SHARED: weakref.WeakKeyDictionary[aioredis.Redis, ScriptBatcher] = weakref.WeakKeyDictionary()


class ScriptBatcher:
    @classmethod
    def of(cls, redis: aioredis.Redis) -> ScriptBatcher:
        """The one batcher of ``redis``: the dedupe claim, the closing and the backlog share it, so a claim and
        another message's closing made in the same loop turn go in one round trip, not one each."""
        batcher = _SHARED.get(redis)
        if batcher is None:
            batcher = _SHARED[redis] = cls(redis)
        return batcher

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self._queue: list[tuple[AsyncScript, Sequence[Any], Sequence[Any], asyncio.Future[Any]]] = []
        self._scheduled = False

    def run(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((script, keys, args, future))
        if not self._scheduled:
            self._scheduled = True
            # The task's first step runs in the next loop turn, as a ``call_soon`` would: it takes the batch
            # then, with every call made in this turn (one turn sooner than a callback that made the task).
            task = loop.create_task(self._start())
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        return future

    async def _start(self) -> None:
        self._scheduled = False
        batch, self._queue = self._queue, []
        await self._flush(batch)

    async def _flush(self, batch: list[tuple[AsyncScript, Sequence[Any], Sequence[Any], asyncio.Future[Any]]]) -> None:
        try:
            results = await self._evalsha(batch)
            # A server that lost its script cache (restarted, e.g. after an outage) answers NOSCRIPT: load the
            # scripts once and run just those entries again.
            missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
            if missing:
                for script in {id(batch[i][0]): batch[i][0] for i in missing}.values():
                    script.sha = await self.redis.script_load(script.script)
                for i, result in zip(missing, await self._evalsha([batch[i] for i in missing]), strict=True):
                    results[i] = result
        except Exception as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _evalsha(self, batch: list[tuple[AsyncScript, Sequence[Any], Sequence[Any], Any]]) -> list[Any]:
        """The batch's EVALSHAs in one write, their replies read in order (an error reply in its place).

        Sent on a pooled connection directly rather than through redis-py's ``Pipeline``: the pipeline object's
        setup, reset, observability hooks and HIMPORT bookkeeping cost more than the write and the reads (about
        40 % of a batch of one). What the pipeline did that matters is kept: the pool's checkout (where Redis
        being marked down refuses at once, ``storage.redis_guard``), the connection's retry policy with a
        disconnect on a connection error or timeout, and reading every reply so the socket never desyncs."""
        commands = [("EVALSHA", script.sha, len(keys), *keys, *args) for script, keys, args, _ in batch]
        pool = self.redis.connection_pool
        connection = await pool.get_connection()
        try:
            return list(
                await connection.retry.call_with_retry(
                    lambda: _send_and_read(connection, commands), lambda _error: connection.disconnect()
                )
            )
        finally:
            await pool.release(connection)


async def _send_and_read(connection: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    await connection.send_packed_command(connection.pack_commands(commands))
    replies: list[Any] = []
    for _ in commands:
        try:
            replies.append(await connection.read_response())
        except ResponseError as error:  # this script's own error (NOSCRIPT included): the others still read
            replies.append(error)
    return replies
