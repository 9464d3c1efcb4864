"""Writes kept aside while the database was out, made by the worker once it answers: hand-overs become
tickets (or join the user's open one) and late replies become stored deliveries.

They wait in a Redis list (``DEFERRED_KEY``; the spool feeds it too when Redis itself was out). One drainer
at a time takes the head, writes it in one transaction and only then pops it; every write is keyed by the
WeChat message, so an item written twice (a crash between commit and pop) changes nothing the second time.
An item that fails for any reason other than an outage moves to a failed list for a person to look at,
instead of blocking the ones behind it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from bot.closing import DEFERRED_KEY
from bot.messages import build_message
from delivery.service import text_payload
from faq.script import to_traditional
from handlers.context import HandlerContext, HandlerServices
from storage.activity import FollowerState

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from delivery.service import DeliveryService

log = logging.getLogger(__name__)

FAILED_KEY = DEFERRED_KEY + ":failed"


class DrainServices(HandlerServices, Protocol):
    """What draining uses: what a handler has (a hand-over runs through the desk, in a handler's context), the
    Redis list and the deliveries. The bootstrap's container has them; this module never imports it."""

    @property
    def redis(self) -> aioredis.Redis: ...
    @property
    def deliveries(self) -> DeliveryService: ...


async def drain_deferred(services: DrainServices, batch: int = 200) -> int:
    """Write up to ``batch`` deferred items; returns how many were written."""
    if services.health.database_down or services.health.redis_down:
        return 0
    redis = services.redis
    lock = redis.lock("qiaobot:deferred:drain", timeout=120, blocking_timeout=0)
    if not await lock.acquire():
        return 0
    written = 0
    try:
        while written < batch:
            raw = await redis.lindex(DEFERRED_KEY, 0)
            if raw is None:
                break
            try:
                item = json.loads(raw)
                delivery_ids = await _write(services, item)
            except Exception as exc:
                if services.health.observe(exc):
                    break  # out again: the item stays at the head for next time
                log.exception("deferred write failed; moved to %s for a person", FAILED_KEY)
                await redis.rpush(FAILED_KEY, raw)
                delivery_ids = []
            await redis.lpop(DEFERRED_KEY)
            for delivery_id in delivery_ids:
                await services.deliveries.enqueue(delivery_id)
            written += 1
    finally:
        await lock.release()
    if written:
        log.info("wrote %s deferred item(s) kept during an outage", written)
    return written


async def pending_counts(redis: aioredis.Redis) -> dict[str, int]:
    return {"deferred": int(await redis.llen(DEFERRED_KEY)), "failed": int(await redis.llen(FAILED_KEY))}


async def _write(services: DrainServices, item: dict[str, Any]) -> list[int]:
    openid, key = str(item["openid"]), str(item["key"])
    at = datetime.fromisoformat(str(item["at"]))
    if item["kind"] == "reply":
        async with services.sessions() as session:
            ids = []
            for index, text in enumerate(item["texts"]):
                delivery = await services.deliveries.add(
                    session, key=f"reply:{key}:{index}", openid=openid, purpose="late_reply",
                    payload=text_payload(openid, str(text)),
                )
                ids.append(delivery.id)
            await session.commit()
        return ids
    if item["kind"] != "handover":
        raise ValueError(f"unknown deferred kind {item['kind']!r}")
    follower = FollowerState(openid=openid, script=str(item.get("script") or "hans"))
    ctx = HandlerContext(
        message=build_message(dict(item["message"])),
        follower=follower,
        now=at,
        services=services,
        dedupe_key=key,
    )
    try:
        reply = await services.desk.take_deferred(ctx, str(item["text"]), str(item["reason"]), tuple(item["related"]))
        text = to_traditional(reply.text) if follower.script == "hant" else reply.text
        delivery = await services.deliveries.add(
            ctx.session, key=f"deferred:{key}", openid=openid, purpose="deferred_handover",
            payload=text_payload(openid, text),
        )
        await ctx.session.commit()
    finally:
        if ctx._session is not None:
            await ctx._session.close()
    for step in ctx.after_commit:  # e.g. the downloads of files sent before the hand-over
        try:
            await step()
        except Exception as exc:  # written already: each step has a sweep that does it later
            if not services.health.observe(exc):
                log.exception("after-commit step of a deferred hand-over failed; its sweep will retry")
    return [delivery.id, *ctx.notices]  # the worker is not holding a reply: the staff notices go now too
