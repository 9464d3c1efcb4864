"""One inbound message, handled once, answered within WeChat's 5-second wait.

Owner path: claim the dedupe key → handle in a task → if it finishes inside the budget (~4 s) the reply goes
back passively; otherwise the webhook answers ``success`` and the task stores the reply as a
customer-service delivery instead. Which of the two happens is decided once, by whichever side gets there
first (``ReplyRoute``), so a reply is never both returned and pushed, nor neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from wechatpy.messages import BaseMessage

from bot.bootstrap import Services
from bot.dedupe import DONE_PREFIX
from bot.outage import answer_without_redis, deferred_writes, finish_without_storage
from bot.protocol import ProtocolError
from bot.records import build_closing
from bot.reply_route import Outcome, ReplyRoute
from faq.script import to_traditional
from handlers import texts
from handlers.context import HandlerContext, Reply
from handlers.long_text import REPLY_LIMIT_BYTES, split_for_wechat
from handlers.outage import reply_without_storage
from storage.activity import ActivityLog, FollowerState
from storage.health import DatabaseUnavailable, is_database_outage, is_redis_outage

log = logging.getLogger(__name__)

_MORE_RESERVE = len(("\n" + texts.MORE_HINT).encode("utf-8"))


async def respond(services: Services, message: BaseMessage, key: str, nonce: str | None = None) -> bytes:
    """Return the passive reply XML (plaintext) for this delivery, or b"" to answer ``success``.

    Raises ``ProtocolError`` (403) when ``nonce`` already carried another message (bot.replay); with Redis
    down the nonce is not checked (the signed timestamp's window still bounds a replay)."""
    if services.health.redis_down:
        return (await answer_without_redis(services, message, key)).reply_xml
    try:
        return await _respond(services, message, key, nonce)
    except Exception as exc:
        if not is_redis_outage(exc):
            raise
        services.health.mark_down("redis", exc)
        return (await answer_without_redis(services, message, key)).reply_xml


async def _respond(services: Services, message: BaseMessage, key: str, nonce: str | None) -> bytes:
    budget = services.settings.passive_reply_budget_seconds
    dedupe = services.dedupe
    openid = str(message.source)
    window = services.nonces
    claim = await dedupe.claim(
        key,
        [services.activity.follower_key(openid), *(f(openid) for f in services.prefetch)],
        (window.key(nonce), window.ttl_seconds) if nonce and window.tolerance_seconds else None,
    )
    if claim.replayed:
        raise ProtocolError(403, "nonce already used", f"nonce {nonce!r} already carried another message")
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
    except Exception as exc:
        if is_redis_outage(exc):
            # Redis went away mid-message (nothing of it was closed there): finish it from the spool.
            services.health.mark_down("redis", exc)
            return await answer_without_redis(services, message, key, route)
        # Nothing was committed (or the commit failed): give the key up so WeChat's redelivery retries.
        with contextlib.suppress(Exception):
            await asyncio.shield(dedupe.release(key))
        raise
    try:
        for delivery_id in deliveries:
            await services.deliveries.enqueue(delivery_id)
    except Exception as exc:  # the rows are stored as pending: the delivery sweeper enqueues them later
        if not services.health.observe(exc):
            raise
    return outcome


async def _run_handlers(
    services: Services, message: BaseMessage, key: str, route: ReplyRoute, prefetched: dict[str, bytes | None]
) -> tuple[Outcome, list[int]]:
    now = services.clock.now()
    openid = str(message.source)
    follower: FollowerState | None
    cached = prefetched.get(ActivityLog.follower_key(openid))
    try:
        if cached is None and services.health.database_down:
            raise DatabaseUnavailable("follower not cached")
        follower = await services.activity.follower(openid, cached)
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        services.health.mark_down("database", exc)
        follower = None  # unknown: answer with defaults, write nothing about the follower
    ctx = HandlerContext(
        message=message,
        follower=follower or FollowerState(openid=openid),
        now=now,
        services=services,
        dedupe_key=key,
        prefetched=prefetched,
    )
    deferred: list[str] = []
    delivery_ids: list[int] = []
    try:
        reply = await services.dispatcher.dispatch(ctx) or Reply("")
        main, extra = await _finish_texts(ctx, reply)
        chosen = route.choose("passive")
        if main and chosen == "late":
            extra, main = [main, *extra], ""
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
        await _after_commit(services, ctx)
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        # The database is out: answer from the matcher and keep what needs the database for the worker.
        services.health.mark_down("database", exc)
        delivery_ids = []
        reply, note = reply_without_storage(services.knowledge, message, ctx.follower, services.memory, now)
        main, extra = finish_without_storage(reply, ctx.follower)
        if route.choose("passive") == "late":
            extra, main = ([main] if main else []) + extra, ""
        deferred = deferred_writes(message, key, now, ctx.follower, note, extra)
    finally:
        if ctx._session is not None:
            with contextlib.suppress(Exception):
                await ctx._session.close()
    closing = build_closing(
        services, message, key, now, follower, main, reply.meta, deferred, ctx.delete_after, sent=next(iter(extra), "")
    )
    await services.closer.close(closing)
    return Outcome(closing.done_value[len(DONE_PREFIX) :]), delivery_ids


async def _after_commit(services: Services, ctx: HandlerContext) -> None:
    """What handlers queued for after the commit (e.g. an attachment's download job). Each has a sweep that
    does it later if this is lost, so a failure here is logged, not raised."""
    for hook in ctx.after_commit:
        try:
            await hook()
        except Exception as exc:
            if not services.health.observe(exc):
                log.exception("after-commit step failed; its sweep will retry")


async def _finish_texts(ctx: HandlerContext, reply: Reply) -> tuple[str, list[str]]:
    """Put the reply in the user's script and within WeChat's size limit, keeping the rest for “更多”."""
    convert = to_traditional if ctx.traditional else (lambda text: text)
    main = reply.in_script(ctx.traditional)
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
