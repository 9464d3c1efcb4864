"""Short-lived per-user state that spans two messages: a numbered choice list and the rest of a long answer.

It lives in Redis with an expiry, so any worker can answer the follow-up and a stale “2” a day later is not
taken as a choice.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis

CHOICE_TTL_S = 30 * 60
MORE_TTL_S = 24 * 3600


class ConversationState:
    def __init__(self, redis: aioredis.Redis, prefix: str = "qiaobot:conv:") -> None:
        self.redis = redis
        self.prefix = prefix

    async def set_choices(self, openid: str, faq_ids: list[str]) -> None:
        await self.redis.set(f"{self.prefix}choices:{openid}", json.dumps(faq_ids), ex=CHOICE_TTL_S)

    async def choice(self, openid: str, number: int) -> str | None:
        raw = await self.redis.get(f"{self.prefix}choices:{openid}")
        if raw is None:
            return None
        ids: list[str] = json.loads(raw)
        return ids[number - 1] if 1 <= number <= len(ids) else None

    async def has_choices(self, openid: str) -> bool:
        return bool(await self.redis.exists(f"{self.prefix}choices:{openid}"))

    async def clear_choices(self, openid: str) -> None:
        await self.redis.delete(f"{self.prefix}choices:{openid}")

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
