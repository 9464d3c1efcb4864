"""Close a handled message in one atomic round trip: its dedupe result, its write-behind records, the
follower's cached state, the user's recent texts, and any keys the handlers asked to drop.

A Lua script rather than MULTI/EXEC because at webhook rates parsing one reply per queued command costs
more than the commands themselves; it is atomic in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from storage.redis_batch import ScriptBatcher

# KEYS: dedupe, activity queue, follower cache, recent texts, deferred writes, "applied once" marker, the
#       sender's lock (released if this message holds it; the dedupe key itself when there is none), then keys
#       to delete.
# ARGV: done value, done ttl, follower json, follower ttl, recent text ("" = none), recent keep, recent ttl,
#       marker ttl (0 = no marker), number of records, records..., deferred writes...
_CLOSE = """
if ARGV[8] ~= '0' then
  if not redis.call('SET', KEYS[6], '1', 'NX', 'EX', ARGV[8]) then return -1 end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4]) end
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[5])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
local n = tonumber(ARGV[9])
for i = 1, n do redis.call('RPUSH', KEYS[2], ARGV[9 + i]) end
for i = 10 + n, #ARGV do redis.call('RPUSH', KEYS[5], ARGV[i]) end
if KEYS[7] ~= KEYS[1] and redis.call('GET', KEYS[7]) == KEYS[1] then redis.call('DEL', KEYS[7]) end
for i = 8, #KEYS do redis.call('DEL', KEYS[i]) end
return n
"""

# Writes that need the database and could not be made when the message was handled (it was out): hand-overs
# and late replies, as JSON, written by the worker once the database answers (``bot.deferred``).
DEFERRED_KEY = "qiaobot:deferred"
APPLIED_TTL_S = 7 * 24 * 3600


@dataclass
class Closing:
    dedupe_key: str
    done_value: bytes
    done_ttl_s: int
    queue_key: str
    follower_key: str
    follower_json: str
    follower_ttl_s: int
    recent_key: str
    recent_text: str
    recent_keep: int
    recent_ttl_s: int
    records: list[str]
    delete_keys: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    once_key: str = ""  # set when replaying a spooled closing: applied at most once
    sender_key: str = ""  # the sender's lock (bot.dedupe), released with the closing

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["done_value"] = self.done_value.decode("utf-8")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Closing:
        return cls(**{**data, "done_value": str(data["done_value"]).encode("utf-8")})


class MessageCloser:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._script = redis.register_script(_CLOSE)
        self._batch = ScriptBatcher.of(redis)

    async def close(self, closing: Closing) -> bool:
        """Returns False when ``closing.once_key`` says this closing was applied before (nothing done)."""
        keys = [
            closing.dedupe_key,
            closing.queue_key,
            closing.follower_key,
            closing.recent_key,
            DEFERRED_KEY,
            closing.once_key or closing.dedupe_key,
            closing.sender_key or closing.dedupe_key,
            *closing.delete_keys,
        ]
        args: list[str | bytes | int] = [
            closing.done_value,
            closing.done_ttl_s,
            closing.follower_json,
            closing.follower_ttl_s,
            closing.recent_text,
            closing.recent_keep,
            closing.recent_ttl_s,
            APPLIED_TTL_S if closing.once_key else 0,
            len(closing.records),
            *closing.records,
            *closing.deferred,
        ]
        return int(await self._batch.run(self._script, keys, args)) != -1
