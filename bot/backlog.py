"""Messages answered ``success`` because their turn would have come too late (``bot.admission``), kept in
Redis until they are handled and answered by customer-service message.

WeChat documents this answer for a server that cannot reply within five seconds: reply ``success`` (or an
empty string) and WeChat neither shows an error nor retries; the reply can then go out asynchronously
through the customer-service API (被动回复用户消息, “假如服务器无法保证在五秒内处理并回复……直接回复success……
可以使用客服消息接口进行异步回复”,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html).
That API may send within 48 hours of the user's message, at most 5 messages per message (客服消息下发规则,
https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html); a queued
message is answered with one (or its few follow-ons), so the queue keeps a message at most that long.

One Redis script queues a message: it checks the callback's nonce as the claim does, marks the dedupe key
``queued`` (a redelivery is answered ``success`` and not queued again), appends the message to one list and
counts it against its sender. While a sender has messages queued, their next ones queue behind them, so a
user's messages are still handled in the order they came. The list is drained in order by one drainer at a
time (``bot.backlog_drain``).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from bot.dedupe import QUEUED, Deduplicator
from storage.redis_batch import ScriptBatcher

log = logging.getLogger(__name__)

BACKLOG_KEY = "qiaobot:backlog"
FAILED_KEY = BACKLOG_KEY + ":failed"
USER_PREFIX = "qiaobot:backlog:user:"
# WeChat's customer-service window: a reply later than this cannot be sent as a customer-service message.
KEEP_S = 48 * 3600

# KEYS: dedupe key, backlog list, the sender's count, the sender's lock. ARGV: item json, keep seconds, nonce
# key ("" = none), nonce ttl, "1" when the caller holds the dedupe key itself (it claimed it, and with it the
# sender's lock, which is given up) and may overwrite its lease.
# Returns {1} queued, {0, current value} already claimed or handled (nothing done), {-1} nonce replayed.
_PUSH = """
if ARGV[3] ~= '' then
  if not redis.call('SET', ARGV[3], KEYS[1], 'NX', 'EX', ARGV[4]) and redis.call('GET', ARGV[3]) ~= KEYS[1] then
    return {-1}
  end
end
local current = redis.call('GET', KEYS[1])
if current and ARGV[5] ~= '1' then return {0, current} end
redis.call('SET', KEYS[1], '""" + QUEUED.decode() + """', 'EX', ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[2])
if ARGV[5] == '1' and redis.call('GET', KEYS[4]) == KEYS[1] then redis.call('DEL', KEYS[4]) end
return {1}
"""

# Take a queued message's dedupe key back (it is handled now): {1} taken (or gone), {0, value} when it was
# handled meanwhile (a redelivery after the queued mark expired) or is being handled.
_TAKE = """
local current = redis.call('GET', KEYS[1])
if current == '""" + QUEUED.decode() + """' then redis.call('DEL', KEYS[1]) return {1} end
if not current then return {1} end
return {0, current}
"""

# Drop the head of the list (the item just handled) and its count against the sender.
_POP = """
redis.call('LPOP', KEYS[1])
if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
return 0
"""


def user_key(openid: str) -> str:
    return USER_PREFIX + openid


@dataclass
class Queued:
    """What ``push`` did: queued, or found the message claimed or handled already (``current``)."""

    queued: bool
    current: bytes | None = None
    replayed: bool = False


class Backlog:
    def __init__(self, redis: aioredis.Redis, dedupe: Deduplicator) -> None:
        self.redis = redis
        self.dedupe = dedupe
        self._push = redis.register_script(_PUSH)
        # Queued messages come in floods (that is when they are queued): one pipeline per event-loop turn.
        self._batch = ScriptBatcher.of(redis)
        self._take = redis.register_script(_TAKE)
        self._pop = redis.register_script(_POP)

    async def push(
        self,
        key: str,
        data: dict[str, Any],
        *,
        nonce: tuple[str, int] | None = None,
        owned: bool = False,
    ) -> Queued:
        """Queue the message whose callback dict is ``data`` (``owned``: the caller claimed its key)."""
        openid = str(data.get("FromUserName", ""))
        item = json.dumps({"key": key, "message": data, "queued_at": time.time()}, ensure_ascii=False)
        nonce_key, nonce_ttl = nonce or ("", 0)
        result = await self._batch.run(
            self._push,
            [self.dedupe.full_key(key), BACKLOG_KEY, user_key(openid), self.dedupe.sender_key(openid)],
            [item, KEEP_S, nonce_key, nonce_ttl, "1" if owned else "0"],
        )
        if int(result[0]) == -1:
            return Queued(queued=False, replayed=True)
        if int(result[0]) == 0:
            return Queued(queued=False, current=result[1])
        if owned:
            self.dedupe.forget_sender(key)
        return Queued(queued=True)

    async def head(self) -> bytes | None:
        raw = await self.redis.lindex(BACKLOG_KEY, 0)
        return raw.encode("utf-8") if isinstance(raw, str) else raw

    async def take(self, key: str) -> bytes | None:
        """Make a queued message's key claimable again; returns the key's value when someone else has
        handled or is handling it (then there is nothing to do)."""
        result = await self._take(keys=[self.dedupe.full_key(key)], args=[])
        return None if int(result[0]) == 1 else result[1]

    async def pop(self, openid: str) -> None:
        await self._pop(keys=[BACKLOG_KEY, user_key(openid)], args=[])

    async def fail(self, raw: bytes) -> None:
        await self.redis.rpush(FAILED_KEY, raw)

    async def counts(self) -> dict[str, int]:
        return {
            "backlog": int(await self.redis.llen(BACKLOG_KEY)),
            "backlog_failed": int(await self.redis.llen(FAILED_KEY)),
        }


class QueueLog:
    """One warning per interval while messages are being queued, not one per message (an overload is many)."""

    def __init__(self, interval_s: float = 10.0) -> None:
        self.interval_s = interval_s
        self.count = 0
        self._since = 0.0

    def note(self, key: str) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._since >= self.interval_s:
            log.warning(
                "over capacity: %s message(s) answered success and queued for a customer-service reply "
                "(latest %s)",
                self.count,
                key,
            )
            self.count, self._since = 0, now
