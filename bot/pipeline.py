"""One inbound message, handled once, answered within WeChat's 5-second wait.

Owner path: claim the dedupe key → handle in a task → if it finishes inside the budget (~4 s) the reply goes
back passively; otherwise the webhook answers ``success`` and the task stores the reply as a
customer-service delivery instead. Which of the two happens is decided once, by whichever side gets there
first (``ReplyRoute``), so a reply is never both returned and pushed, nor neither.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from wechatpy.messages import BaseMessage

from bot.closing import Closing
from bot.dedupe import DONE_PREFIX
from bot.replies import text_reply_xml
from bot.services import Services
from faq.script import to_traditional
from handlers import texts
from handlers.context import HandlerContext, Reply
from handlers.long_text import REPLY_LIMIT_BYTES, split_for_wechat
from storage.activity import FOLLOWER_TTL_S, QUEUE_KEY, RECENT_KEEP, RECENT_PREFIX, RECENT_TTL_S, ActivityLog

log = logging.getLogger(__name__)

Route = Literal["passive", "late"]
_MORE_RESERVE = len(("\n" + texts.MORE_HINT).encode("utf-8"))


class ReplyRoute:
    """Decided once: the first caller of ``choose`` fixes the route for both sides."""

    def __init__(self) -> None:
        self.route: Route | None = None

    def choose(self, route: Route) -> Route:
        if self.route is None:
            self.route = route
        return self.route


@dataclass
class Outcome:
    reply_xml: bytes  # passive reply, b"" for "success"


async def respond(services: Services, message: BaseMessage, key: str) -> bytes:
    """Return the passive reply XML (plaintext) for this delivery, or b"" to answer ``success``."""
    budget = services.settings.passive_reply_budget_seconds
    dedupe = services.dedupe
    openid = str(message.source)
    claim = await dedupe.claim(key, [services.activity.follower_key(openid), *(f(openid) for f in services.prefetch)])
    if not claim.owner:
        if claim.result is not None:
            return claim.result
        waited = await dedupe.wait_result(key, budget)
        if waited is None:
            return b""  # the first delivery is still working; it will push its answer itself
        if not waited.owner:
            return waited.result or b""
        # The first owner died (its lease lapsed) and we hold the key now: handle it ourselves.
    route = ReplyRoute()
    task = asyncio.create_task(_handle(services, message, key, route, claim.prefetched))
    done, _ = await asyncio.wait({task}, timeout=budget)
    if task not in done and route.choose("late") == "late":
        log.warning("reply to %s not ready in %.1fs; answering success and pushing it later", key, budget)
        task.add_done_callback(_log_task_failure)
        return b""
    return (await task).reply_xml


def _log_task_failure(task: asyncio.Task[Outcome]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("late handling failed", exc_info=task.exception())


async def _handle(
    services: Services, message: BaseMessage, key: str, route: ReplyRoute, prefetched: dict[str, bytes | None]
) -> Outcome:
    dedupe = services.dedupe
    try:
        async with dedupe.lease(key):
            outcome, deliveries = await _run_handlers(services, message, key, route, prefetched)
    except BaseException:
        # Nothing was committed (or the commit failed): give the key up so WeChat's redelivery retries.
        await asyncio.shield(dedupe.release(key))
        raise
    for delivery_id in deliveries:
        await services.deliveries.enqueue(delivery_id)
    return outcome


async def _run_handlers(
    services: Services, message: BaseMessage, key: str, route: ReplyRoute, prefetched: dict[str, bytes | None]
) -> tuple[Outcome, list[int]]:
    now = services.clock.now()
    openid = str(message.source)
    follower = await services.activity.follower(openid, prefetched.get(ActivityLog.follower_key(openid)))
    ctx = HandlerContext(
        message=message, follower=follower, now=now, services=services, dedupe_key=key, prefetched=prefetched
    )
    try:
        reply = await services.dispatcher.dispatch(ctx) or Reply("")
        main, extra = await _finish_texts(ctx, reply)
        chosen = route.choose("passive")
        if main and chosen == "late":
            extra, main = [main, *extra], ""
        delivery_ids: list[int] = []
        for index, text in enumerate(extra):
            delivery = await services.deliveries.add(
                ctx.session,
                key=f"reply:{key}:{index}",
                openid=openid,
                purpose="late_reply" if chosen == "late" else "follow_on",
                payload={"touser": openid, "msgtype": "text", "text": {"content": text}},
            )
            delivery_ids.append(delivery.id)
        if ctx._session is not None:
            await ctx._session.commit()
    finally:
        if ctx._session is not None:
            await ctx._session.close()
    xml = text_reply_xml(openid, str(message.target), main, now.timestamp()) if main else ""
    outcome = Outcome(xml.encode("utf-8"))
    records = [_inbound_record(message, key, now)]
    if main:
        records.append(
            {
                "key": f"{key}:out",
                "openid": openid,
                "direction": "out",
                "channel": "passive",
                "msg_type": "text",
                "content": main,
                "meta": reply.meta or None,
                "at": now.isoformat(),
            }
        )
    unsubscribing = getattr(message, "event", None) == "unsubscribe"
    serialized, follower_json = ActivityLog.records(records, follower, None if unsubscribing else now)
    await services.closer.close(
        Closing(
            dedupe_key=services.dedupe.full_key(key),
            done_value=DONE_PREFIX + outcome.reply_xml,
            done_ttl_s=services.dedupe.done_ttl_s,
            queue_key=QUEUE_KEY,
            follower_key=ActivityLog.follower_key(openid),
            follower_json=follower_json,
            follower_ttl_s=FOLLOWER_TTL_S,
            recent_key=RECENT_PREFIX + openid,
            recent_text=(_user_text(message) or "")[:1000],
            recent_keep=RECENT_KEEP,
            recent_ttl_s=RECENT_TTL_S,
            records=serialized,
            delete_keys=ctx.delete_after,
        )
    )
    return outcome, delivery_ids


def _user_text(message: BaseMessage) -> str | None:
    if message.type == "text":
        return str(message.content or "") or None
    if message.type == "voice":
        return str(getattr(message, "recognition", "") or "") or None
    return None


async def _finish_texts(ctx: HandlerContext, reply: Reply) -> tuple[str, list[str]]:
    """Put the reply in the user's script and within WeChat's size limit, keeping the rest for “更多”."""
    convert = to_traditional if ctx.traditional else (lambda text: text)
    main = convert(reply.text) if reply.text else ""
    fits = len(main.encode("utf-8")) <= REPLY_LIMIT_BYTES
    chunks = [main] if fits else split_for_wechat(main, reserve=_MORE_RESERVE)
    if len(chunks) > 1:
        hint = "\n" + convert(texts.MORE_HINT)
        rest = [chunk + hint for chunk in chunks[1:-1]] + [chunks[-1]]
        await ctx.services.conversation.set_more(ctx.openid, rest)
        main = chunks[0] + hint
    extra: list[str] = []
    for text in reply.extra:
        extra.extend(split_for_wechat(convert(text)))
    return main, extra


def _inbound_record(message: BaseMessage, key: str, now: datetime) -> dict[str, object]:
    data = message._data
    msg_type = str(data.get("MsgType", "")).lower()
    if msg_type == "event":
        content = f"{data.get('Event', '')} {data.get('EventKey') or ''}".strip()
    elif msg_type == "voice":
        content = str(data.get("Recognition") or "")
    else:
        content = str(data.get("Content") or data.get("Url") or data.get("PicUrl") or data.get("Label") or "")
    return {
        "key": f"{key}:in",
        "openid": str(message.source),
        "direction": "in",
        "channel": "webhook",
        "msg_type": msg_type[:32],
        "wechat_msg_id": str(data.get("MsgId") or "")[:64] or None,
        "content": content,
        "meta": {"dedupe": key},
        "at": now.isoformat(),
    }
