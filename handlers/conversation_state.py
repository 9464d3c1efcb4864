"""Short-lived per-user state that spans two messages: a numbered choice list, the rest of a long answer, and
a question the bot asked back ("需要转给工作人员吗？回复 1 确认") with the message it is about.

It lives in Redis with an expiry, so any worker can answer the follow-up and a stale “2” a day later is not
taken as a choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis.asyncio as aioredis

from storage.redis_batch import ScriptBatcher

CHOICE_TTL_S = 30 * 60
MORE_TTL_S = 24 * 3600
# A confirmation arriving later than this is not taken as an answer to the question back.
CONFIRM_TTL_S = 30 * 60
# The question back and the dropped choice list, as one script sent with the webhook's other scripts
# (``ScriptBatcher``), not a redis-py pipeline, whose object costs more than its round trip.
# KEYS: the question, the choice list; ARGV: the question's value and seconds.
_ASK = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('DEL', KEYS[2])
return 0
"""


@dataclass(frozen=True)
class PendingHandover:
    """The message the bot asked about, and the KB entries related to it."""

    text: str
    related: tuple[str, ...]


class ConversationState:
    def __init__(self, redis: aioredis.Redis, prefix: str = "qiaobot:conv:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._batch = ScriptBatcher.of(redis)
        self._ask = redis.register_script(_ASK)

    def choices_entry(self, openid: str, faq_ids: list[str]) -> tuple[str, tuple[str, int]]:
        """A choice list as (key, (value, seconds to live)): handlers write it with the message's closing
        (``HandlerContext.set_after``), never in a round trip of its own."""
        return self.choices_key(openid), (json.dumps(faq_ids), CHOICE_TTL_S)

    async def choice(self, openid: str, number: int) -> str | None:
        raw = await self.redis.get(self.choices_key(openid))
        if raw is None:
            return None
        ids: list[str] = json.loads(raw)
        return ids[number - 1] if 1 <= number <= len(ids) else None

    async def has_choices(self, openid: str) -> bool:
        return bool(await self.redis.exists(self.choices_key(openid)))

    async def clear_choices(self, openid: str) -> None:
        await self.redis.delete(self.choices_key(openid))

    def choices_key(self, openid: str) -> str:
        return f"{self.prefix}choices:{openid}"

    async def set_more(self, openid: str, chunks: list[str]) -> None:
        key = f"{self.prefix}more:{openid}"
        if not chunks:
            await self.redis.delete(key)
            return
        await self.redis.set(key, json.dumps(chunks, ensure_ascii=False), ex=MORE_TTL_S)

    async def pop_more(self, openid: str) -> str | None:
        key = f"{self.prefix}more:{openid}"
        raw = await self.redis.get(key)
        if raw is None:
            return None
        chunks: list[str] = json.loads(raw)
        head, rest = chunks[0], chunks[1:]
        await self.set_more(openid, rest)
        return head

    def confirm_key(self, openid: str) -> str:
        return f"{self.prefix}confirm:{openid}"

    async def ask_handover(self, openid: str, text: str, related: tuple[str, ...]) -> None:
        """Remember the message the bot asked about; a numbered list shown before is no longer current."""
        value = json.dumps({"text": text, "related": list(related)}, ensure_ascii=False)
        await self._batch.run(self._ask, [self.confirm_key(openid), self.choices_key(openid)], [value, CONFIRM_TTL_S])

    async def pending_handover(self, openid: str, prefetched: dict[str, bytes | None]) -> PendingHandover | None:
        """The question back, if one is waiting; ``prefetched`` holds the key when it was read with the claim."""
        key = self.confirm_key(openid)
        raw = prefetched[key] if key in prefetched else await self.redis.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        return PendingHandover(str(data["text"]), tuple(str(i) for i in data.get("related", ())))
