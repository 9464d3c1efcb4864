"""Close a handled message in one atomic round trip: its dedupe result, its write-behind records, the
follower's cached state, the user's recent texts, and any keys the handlers asked to set (a choice list) or
to drop.

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
#       to set, then keys to delete.
# ARGV: done value, done ttl, follower json, follower ttl, recent text ("" = none), recent keep, recent ttl,
#       marker ttl (0 = no marker), number of records n, number of keys to set m, records..., each key to set's
#       value and ttl..., deferred writes...
# Keys are set before others are deleted: a handler's write made "now" and a deletion asked for at the closing
# end as they did when the write went out at once.
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
local m = tonumber(ARGV[10])
for i = 1, n do redis.call('RPUSH', KEYS[2], ARGV[10 + i]) end
for i = 1, m do redis.call('SET', KEYS[7 + i], ARGV[9 + n + 2 * i], 'EX', ARGV[10 + n + 2 * i]) end
for i = 11 + n + 2 * m, #ARGV do redis.call('RPUSH', KEYS[5], ARGV[i]) end
if KEYS[7] ~= KEYS[1] and redis.call('GET', KEYS[7]) == KEYS[1] then redis.call('DEL', KEYS[7]) end
for i = 8 + m, #KEYS do redis.call('DEL', KEYS[i]) end
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
    # Keys a handler wrote for a later message (a choice list): (key, value, seconds to live), set before the
    # deletions (``HandlerContext.set_after``).
    set_keys: list[tuple[str, str, int]] = field(default_factory=list)
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
            *(key for key, _value, _ttl in closing.set_keys),
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
            len(closing.set_keys),
            *closing.records,
            *(part for _key, value, ttl in closing.set_keys for part in (value, ttl)),
            *closing.deferred,
        ]
        return int(await self._batch.run(self._script, keys, args)) != -1
