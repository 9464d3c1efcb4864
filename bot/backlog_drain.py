"""Handle the backlog (``bot.backlog``): each queued message in the order it came, as if it had just arrived,
its reply sent by customer-service message (the route is "late" from the start).

One drainer at a time (a Redis lock) takes the head, handles it through the normal owner path and only then
pops it; a crash in between leaves the head for the next round, whose claim finds the message handled
(its dedupe result) and only pops it. In a process that also answers WeChat, each message waits for a
slot no live message is waiting for (``Admission.background``), so the drain never delays a passive reply.
An item that fails for any reason but an outage moves to a failed list for a person to look at.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING

from bot.messages import build_message
from bot.pipeline import handle_owned
from bot.reply_route import ReplyRoute

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

# How long the drainer waits for a sender's live message before leaving the item for the next round.
SENDER_WAIT_S = 10.0


class SenderBusy(Exception):
    """The sender's lock stayed held: the item stays at the head of the backlog."""


def install(services: Services) -> None:
    """Drain the backlog wherever jobs run (``serve`` with in-process jobs, ``qiaobot worker``). Installed by
    those entrypoints rather than the bootstrap, which this module's pipeline import would make a cycle."""
    services.periodic.append((0.5, lambda: drain_backlog(services)))


async def drain_backlog(services: Services, batch: int = 500) -> int:
    """Handle up to ``batch`` queued messages; returns how many were taken off the backlog."""
    if services.health.database_down or services.health.redis_down:
        return 0
    backlog = services.backlog
    lock = services.redis.lock("qiaobot:backlog:drain", timeout=60, blocking_timeout=0)
    if not await lock.acquire():
        return 0
    done = 0
    try:
        while done < batch:
            raw = await backlog.head()
            if raw is None:
                break
            item = json.loads(raw)
            openid = str(item["message"].get("FromUserName", ""))
            try:
                async with services.admission.background():
                    await _handle(services, str(item["key"]), item["message"])
            except SenderBusy:
                break
            except Exception as exc:
                if services.health.observe(exc):
                    break  # out again: the item stays at the head for next time
                log.exception("queued message %s failed; moved to the failed backlog for a person", item["key"])
                await backlog.fail(raw)
            await backlog.pop(openid)
            done += 1
            if done % 50 == 0:
                await lock.reacquire()
    finally:
        await lock.release()
    if done:
        log.info("answered %s queued message(s) by customer-service message", done)
    return done


async def _handle(services: Services, key: str, data: dict[str, object]) -> None:
    if await services.backlog.take(key) is not None:
        return  # handled (or being handled) already: a redelivery got there first
    message = build_message(dict(data))
    openid = str(message.source)
    prefetch = [services.activity.follower_key(openid), *(f(openid) for f in services.prefetch)]
    claim = await services.dedupe.claim(key, prefetch, sender=openid)
    deadline = time.monotonic() + SENDER_WAIT_S
    while claim.busy:  # a live message of the same user is being handled: after it
        if time.monotonic() > deadline:
            raise SenderBusy(key)
        await asyncio.sleep(0.05)
        claim = await services.dedupe.claim(key, prefetch, sender=openid)
    if not claim.owner:
        return
    route = ReplyRoute()
    route.choose("late")
    await handle_owned(services, message, key, route, claim.prefetched)
