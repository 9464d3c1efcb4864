"""Handle each WeChat delivery once across processes, while losing nothing if a handler dies.

WeChat waits 5 s, then redelivers the same message up to three times. The first process to ``claim`` a key
owns it under a short lease that it keeps renewing while it works. A redelivery that arrives meanwhile waits
for the owner's result and answers with the same reply (or ``success``). If the owner dies, its lease lapses
within seconds, so WeChat's next redelivery is handled afresh instead of being swallowed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis

PENDING = b"P"
DONE_PREFIX = b"R"  # followed by the passive reply xml (empty = "success")

# Owner renews only while it still holds the lease, so a lapsed owner cannot clobber a new one.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


@dataclass
class Claim:
    owner: bool
    result: bytes | None = None  # reply for a finished duplicate; None while still pending


class Deduplicator:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str = "qiaobot:dedupe:",
        lease_ms: int = 3000,
        done_ttl_s: int = 3600,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.lease_ms = lease_ms
        self.done_ttl_s = done_ttl_s
        self._renew = redis.register_script(_RENEW)

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def claim(self, key: str) -> Claim:
        if await self.redis.set(self._key(key), PENDING, nx=True, px=self.lease_ms):
            return Claim(owner=True)
        value = await self.redis.get(self._key(key))
        if value is None:  # the lease lapsed between SET and GET: try once more
            return await self.claim(key)
        return Claim(owner=False, result=_result(value))

    @contextlib.asynccontextmanager
    async def lease(self, key: str) -> AsyncIterator[None]:
        """Keep the pending lease alive while the owner works."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_ms / 3000)
                await self._renew(keys=[self._key(key)], args=[PENDING, self.lease_ms])

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()

    async def complete(self, key: str, reply: bytes) -> None:
        await self.redis.set(self._key(key), DONE_PREFIX + reply, ex=self.done_ttl_s)

    def queue_complete(self, pipe: aioredis.client.Pipeline, key: str, reply: bytes) -> None:
        """``complete`` inside the caller's MULTI, so the result and the message's records land together."""
        pipe.set(self._key(key), DONE_PREFIX + reply, ex=self.done_ttl_s)

    async def release(self, key: str) -> None:
        """Give the key up after a failure, so WeChat's redelivery is handled from scratch."""
        await self.redis.delete(self._key(key))

    async def wait_result(self, key: str, timeout: float, poll: float = 0.05) -> Claim | None:
        """Wait for the owner's reply. Returns a finished ``Claim``, an owning ``Claim`` when the owner's
        lease lapsed (it died) and we took the key over, or ``None`` when time ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            claim = await self.claim(key)
            if claim.owner or claim.result is not None:
                return claim
            await asyncio.sleep(poll)
        return None


def _result(value: bytes) -> bytes | None:
    if value.startswith(DONE_PREFIX):
        return value[len(DONE_PREFIX) :]
    return None
