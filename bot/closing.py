"""Close a handled message in one atomic round trip: its dedupe result, its write-behind records, the
follower's cached state, the user's recent texts, and any keys the handlers asked to drop.

A Lua script rather than MULTI/EXEC because at webhook rates parsing one reply per queued command costs
more than the commands themselves; it is atomic in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis

from storage.redis_batch import ScriptBatcher

# KEYS: dedupe, activity queue, follower cache, recent texts, then keys to delete.
# ARGV: done value, done ttl, follower json, follower ttl, recent text ("" = none), recent keep, recent ttl,
#       number of records, records...
_CLOSE = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[5])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[6]) - 1)
  redis.call('EXPIRE', KEYS[4], ARGV[7])
end
local n = tonumber(ARGV[8])
for i = 1, n do redis.call('RPUSH', KEYS[2], ARGV[8 + i]) end
for i = 5, #KEYS do redis.call('DEL', KEYS[i]) end
return n
"""


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


class MessageCloser:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._script = redis.register_script(_CLOSE)
        self._batch = ScriptBatcher(redis)

    async def close(self, closing: Closing) -> None:
        keys = [
            closing.dedupe_key,
            closing.queue_key,
            closing.follower_key,
            closing.recent_key,
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
            len(closing.records),
            *closing.records,
        ]
        await self._batch.run(self._script, keys, args)
