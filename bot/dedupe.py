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
QUEUED = b"Q"  # answered "success" and waiting in the backlog for a customer-service reply (bot.backlog)

# KEYS[1] the dedupe key, KEYS[2..] keys the caller will read next (prefetched in the same round trip).
# ARGV[3], ARGV[4]: the callback's nonce key and how long to remember it ("" = no nonce check); a nonce
# already used for another message returns {-1}. ARGV[5]: the sender's lock ("" = none): held by the dedupe
# key of the sender's message being handled; while another message holds it the claim is undone and {-2}
# returned (the caller waits its turn). These keys live outside KEYS because Redis is one node.
# Returns {claimed (0/1), current value, value of KEYS[2], value of KEYS[3], ...}.
_CLAIM = """
if ARGV[3] and ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], KEYS[1], 'NX', 'EX', ARGV[4]) and redis.call('GET', ARGV[3]) ~= KEYS[1] then
    return {-1, false}
  end
end
local claimed = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if claimed and ARGV[5] ~= '' then
  local holder = redis.call('GET', ARGV[5])
  if holder and holder ~= KEYS[1] then
    redis.call('DEL', KEYS[1])
    return {-2, false}
  end
  redis.call('SET', ARGV[5], KEYS[1], 'PX', ARGV[2])
end
local result = {claimed and 1 or 0, false}
if not claimed then result[2] = redis.call('GET', KEYS[1]) end
for i = 2, #KEYS do result[i + 1] = redis.call('GET', KEYS[i]) end
return result
"""

# Renew only leases still pending, so a lapsed owner cannot clobber a result or a new owner's claim; and
# the senders' locks (ARGV[3..], pairs of lock and holder) only while the same message holds them.
_RENEW = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
for i = 3, #ARGV, 2 do
  if redis.call('GET', ARGV[i]) == ARGV[i + 1] then redis.call('PEXPIRE', ARGV[i], ARGV[2]) end
end
return 0
"""

# Give a claim up after a failure: the dedupe key, and the sender's lock if this message holds it.
_RELEASE = """
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' and redis.call('GET', ARGV[1]) == KEYS[1] then redis.call('DEL', ARGV[1]) end
return 0
"""


@dataclass
class Claim:
    owner: bool
    result: bytes | None = None  # reply for a finished duplicate; None while still pending
    prefetched: dict[str, bytes | None] = field(default_factory=dict)  # values of the extra keys asked for
    replayed: bool = False  # the callback's nonce was already used for another message: refuse it
    queued: bool = False  # waiting in the backlog: a redelivery is answered "success" at once
    busy: bool = False  # another message of the same sender is being handled: wait for it, then claim again


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
        self._batch = ScriptBatcher.of(redis)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)
        self._live: dict[str, int] = {}
        self._senders: dict[str, str] = {}  # full dedupe key → the sender's lock it holds
        self._renewer: asyncio.Task[None] | None = None

    def _key(self, key: str) -> str:
        return self.prefix + key

    def full_key(self, key: str) -> str:
        return self.prefix + key

    def sender_key(self, openid: str) -> str:
        """The sender's lock: one message of a user is handled at a time, so a message sent right after
        “人工” sees what “人工” wrote (and the other way round), whichever arrives first."""
        return f"{self.prefix}sender:{openid}"

    async def claim(
        self,
        key: str,
        prefetch: list[str] | None = None,
        nonce: tuple[str, int] | None = None,
        sender: str | None = None,
    ) -> Claim:
        """``nonce`` = (key, ttl seconds) also records the callback's nonce for this message (bot.replay);
        ``sender`` (an openid) also takes the sender's lock, or answers ``busy`` while another message of
        theirs holds it (nothing is claimed then)."""
        prefetch = prefetch or []
        nonce_key, nonce_ttl = nonce or ("", 0)
        sender_key = self.sender_key(sender) if sender else ""
        claimed, current, *values = await self._batch.run(
            self._claim, [self._key(key), *prefetch], [PENDING, self.lease_ms, nonce_key, nonce_ttl, sender_key]
        )
        if claimed == -1:
            return Claim(owner=False, replayed=True)
        if claimed == -2:
            return Claim(owner=False, busy=True)
        prefetched = {name: value or None for name, value in zip(prefetch, values, strict=False)}
        if claimed:
            if sender_key:
                self._senders[self._key(key)] = sender_key
            return Claim(owner=True, prefetched=prefetched)
        if current is None or current is False:  # lapsed between SET and GET: try once more
            return await self.claim(key, prefetch)
        return Claim(owner=False, result=_result(current), prefetched=prefetched, queued=current == QUEUED)

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
                    held = [full for full in self._live if full in self._senders]
                    senders = [part for full in held for part in (self._senders[full], full)]
                    await self._renew(keys=list(self._live), args=[PENDING, self.lease_ms, *senders])

    async def release(self, key: str) -> None:
        """Give the key up after a failure, so WeChat's redelivery is handled from scratch (and the sender's
        lock, if this message holds it, so their next message need not wait for its lease to lapse)."""
        full = self._key(key)
        await self._release(keys=[full], args=[self._senders.pop(full, "")])

    def forget_sender(self, key: str) -> None:
        """The message's closing released the sender's lock (``bot.closing``)."""
        self._senders.pop(self._key(key), None)

    async def wait_result(self, key: str, timeout: float, poll: float = 0.05) -> Claim | None:
        """Wait for the owner's reply. Returns a finished ``Claim``, an owning ``Claim`` when the owner's
        lease lapsed (it died) and we took the key over, or ``None`` when time ran out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            claim = await self.claim(key)
            if claim.owner or claim.result is not None or claim.queued:
                return claim
            await asyncio.sleep(poll)
        return None


def _result(value: bytes) -> bytes | None:
    if value.startswith(DONE_PREFIX):
        return value[len(DONE_PREFIX) :]
    return None
