"""Handle each WeChat delivery once across processes, while losing nothing if a handler dies.

WeChat waits 5 s, then redelivers the same message up to three times. The first process to ``claim`` a key
owns it under a short lease that it keeps renewing while it works. A redelivery that arrives meanwhile waits
for the owner's result and answers with the same reply (or ``success``). If the owner dies, its lease lapses
within seconds, so WeChat's next redelivery is handled afresh instead of being swallowed.

The claim is one round trip (a script that also returns a key the caller wants next, such as the follower's
cached state), and one renewer per process refreshes every live lease in a single pipeline, because at
thousands of messages a second a task and a command per message are what the time goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from storage.redis_batch import ScriptBatcher

PENDING = b"P"
DONE_PREFIX = b"R"  # followed by the passive reply xml (empty = "success")

# KEYS[1] the dedupe key, KEYS[2..] keys the caller will read next (prefetched in the same round trip).
# ARGV[3], ARGV[4]: the callback's nonce key and how long to remember it ("" = no nonce check); a nonce
# already used for another message returns {-1}. The nonce key lives outside KEYS because Redis is one node.
# Returns {claimed (0/1), current value, value of KEYS[2], value of KEYS[3], ...}.
_CLAIM = """
if ARGV[3] and ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], KEYS[1], 'NX', 'EX', ARGV[4]) and redis.call('GET', ARGV[3]) ~= KEYS[1] then
    return {-1, false}
  end
end
local claimed = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
local result = {claimed and 1 or 0, false}
if not claimed then result[2] = redis.call('GET', KEYS[1]) end
for i = 2, #KEYS do result[i + 1] = redis.call('GET', KEYS[i]) end
return result
"""

# Renew only leases still pending, so a lapsed owner cannot clobber a result or a new owner's claim.
_RENEW = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 0
"""


@dataclass
class Claim:
    owner: bool
    result: bytes | None = None  # reply for a finished duplicate; None while still pending
    prefetched: dict[str, bytes | None] = field(default_factory=dict)  # values of the extra keys asked for
    replayed: bool = False  # the callback's nonce was already used for another message: refuse it


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
        self._claim = redis.register_script(_CLAIM)
        self._batch = ScriptBatcher(redis)
        self._renew = redis.register_script(_RENEW)
        self._live: dict[str, int] = {}
        self._renewer: asyncio.Task[None] | None = None

    def _key(self, key: str) -> str:
        return self.prefix + key

    def full_key(self, key: str) -> str:
        return self.prefix + key

    async def claim(
        self, key: str, prefetch: list[str] | None = None, nonce: tuple[str, int] | None = None
    ) -> Claim:
        """``nonce`` = (key, ttl seconds) also records the callback's nonce for this message (bot.replay)."""
        prefetch = prefetch or []
        nonce_key, nonce_ttl = nonce or ("", 0)
        claimed, current, *values = await self._batch.run(
            self._claim, [self._key(key), *prefetch], [PENDING, self.lease_ms, nonce_key, nonce_ttl]
        )
        if claimed == -1:
            return Claim(owner=False, replayed=True)
        prefetched = {name: value or None for name, value in zip(prefetch, values, strict=False)}
        if claimed:
            return Claim(owner=True, prefetched=prefetched)
        if current is None or current is False:  # lapsed between SET and GET: try once more
            return await self.claim(key, prefetch)
        return Claim(owner=False, result=_result(current), prefetched=prefetched)

    @contextlib.asynccontextmanager
    async def lease(self, key: str) -> AsyncIterator[None]:
        """Keep the pending lease alive while the owner works (renewed with every other live lease)."""
        full = self._key(key)
        self._live[full] = self._live.get(full, 0) + 1
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_forever())
        try:
            yield
        finally:
            remaining = self._live.get(full, 1) - 1
            if remaining:
                self._live[full] = remaining
            else:
                self._live.pop(full, None)

    async def _renew_forever(self) -> None:
        while self._live:
            await asyncio.sleep(self.lease_ms / 3000)
            if self._live:
                with contextlib.suppress(Exception):  # a missed renewal only shortens a lease
                    await self._renew(keys=list(self._live), args=[PENDING, self.lease_ms])

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
