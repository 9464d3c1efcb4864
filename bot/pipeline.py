"""One inbound message, handled once, answered within WeChat's 5-second wait.

Owner path: admitted (``bot.admission``) → claim the dedupe key → handle in a task → if it finishes before
the deadline (the budget, ~4 s, counted from when the request was received) the reply goes back passively;
otherwise the webhook answers ``success`` and the task stores the reply as a customer-service delivery
instead. Which of the two happens is decided once, by whichever side gets there first (``ReplyRoute``), so a
reply is never both returned and pushed, nor neither. A message whose turn would come too late is not
handled now: it is answered ``success`` and queued (``bot.backlog``), and so is every later message of a
sender who has messages queued, to keep their order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from wechatpy.messages import BaseMessage

from bot.backlog import user_key
from bot.dedupe import DONE_PREFIX
from bot.outage import (
    answer_without_redis,
    bounded_decide,
    deferred_writes,
    finish_without_storage,
    note_question_asked,
    recall_before_the_database_outage,
)
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

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

# How often a message waiting for its sender's previous one looks again (they are rare and short).
SENDER_POLL_S = 0.01
_MORE_RESERVE = len(("\n" + texts.MORE_HINT).encode("utf-8"))


async def respond(
    services: Services, message: BaseMessage, key: str, nonce: str | None = None, received_at: float | None = None
) -> bytes:
    """Return the passive reply XML (plaintext) for this delivery, or b"" to answer ``success``.

    ``received_at`` (``time.monotonic()``) is when the request arrived; the budget counts from there, so
    time spent waiting for the process counts too. Raises ``ProtocolError`` (403) when ``nonce`` already
    carried another message (bot.replay); with Redis down the nonce is not checked (the signed timestamp's
    window still bounds a replay)."""
    budget = services.settings.passive_reply_budget_seconds
    deadline = (received_at if received_at is not None else time.monotonic()) + budget
    if services.health.redis_down:
        return (await answer_without_redis(services, message, key, deadline=deadline)).reply_xml
    try:
        return await _respond(services, message, key, nonce, deadline)
    except Exception as exc:
        if not is_redis_outage(exc):
            raise
        services.health.mark_down("redis", exc)
        return (await answer_without_redis(services, message, key, deadline=deadline)).reply_xml


async def _respond(services: Services, message: BaseMessage, key: str, nonce: str | None, deadline: float) -> bytes:
    admission = services.admission
    window = services.nonces
    nonce_window = (window.key(nonce), window.ttl_seconds) if nonce and window.tolerance_seconds else None
    if not await admission.enter(deadline):
        return await _queue(services, message, key, nonce_window, owned=False)
    entered = time.monotonic()
    task: asyncio.Task[Outcome] | None = None
    try:
        dedupe = services.dedupe
        openid = str(message.source)
        prefetch = [services.activity.follower_key(openid), *(f(openid) for f in services.prefetch)]
        claim = await dedupe.claim(key, prefetch, nonce_window, sender=openid)
        while claim.busy:
            # Another message of this user is being handled: its writes land before this one reads.
            if time.monotonic() + admission.service_s >= deadline:
                return await _queue(services, message, key, None, owned=False)
            await asyncio.sleep(SENDER_POLL_S)
            claim = await dedupe.claim(key, prefetch, nonce_window, sender=openid)
        if claim.replayed:
            raise ProtocolError(403, "nonce already used", f"nonce {nonce!r} already carried another message")
        if not claim.owner:
            if claim.result is not None or claim.queued:
                return claim.result or b""
            waited = await dedupe.wait_result(key, max(0.0, deadline - time.monotonic()))
            if waited is None or waited.queued:
                return b""  # the first delivery is still working (or queued); it will push its answer itself
            if not waited.owner:
                return waited.result or b""
            # The first owner died (its lease lapsed) and we hold the key now: handle it ourselves.
            claim = waited
        if claim.prefetched.get(user_key(openid)):
            # The sender has messages in the backlog: this one goes behind them, in order.
            return await _queue(services, message, key, None, owned=True)
        route = ReplyRoute()
        task = asyncio.create_task(handle_owned(services, message, key, route, claim.prefetched, deadline))
        # The slot is held until the handling ends, passive or late, so late work still counts as load.
        task.add_done_callback(lambda _: admission.leave(time.monotonic() - entered))
        done, _ = await asyncio.wait({task}, timeout=max(0.0, deadline - time.monotonic()))
        if task not in done and route.choose("late") == "late":
            log.warning("reply to %s not ready in time; answering success and pushing it later", key)
            task.add_done_callback(_log_task_failure)
            return b""
        return (await task).reply_xml
    finally:
        if task is None:
            admission.leave(time.monotonic() - entered)


async def _queue(
    services: Services, message: BaseMessage, key: str, nonce: tuple[str, int] | None, *, owned: bool
) -> bytes:
    """Answer ``success`` now and queue the message for a customer-service reply (``bot.backlog``)."""
    queued = await services.backlog.push(key, message._data, nonce=nonce, owned=owned)
    if queued.replayed:
        raise ProtocolError(403, "nonce already used", f"nonce {nonce!r} already carried another message")
    if not queued.queued:  # a redelivery of a message claimed, queued or handled already
        current = queued.current or b""
        return current[len(DONE_PREFIX) :] if current.startswith(DONE_PREFIX) else b""
    services.backlog_log.note(key)
    return b""


def _log_task_failure(task: asyncio.Task[Outcome]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("late handling failed", exc_info=task.exception())


async def handle_owned(
    services: Services,
    message: BaseMessage,
    key: str,
    route: ReplyRoute,
    prefetched: dict[str, bytes | None],
    deadline: float | None = None,
) -> Outcome:
    """Handle a message whose dedupe key the caller claimed; closes it (or releases it on failure).
    ``deadline`` bounds the matcher on the outage paths (None: a late reply, no passive answer waits)."""
    dedupe = services.dedupe
    try:
        async with dedupe.lease(key):
            outcome, deliveries, notices = await _run_handlers(services, message, key, route, prefetched, deadline)
    except Exception as exc:
        if is_redis_outage(exc):
            # Redis went away mid-message (nothing of it was closed there): finish it from the spool.
            services.health.mark_down("redis", exc)
            return await answer_without_redis(services, message, key, route, deadline=deadline)
        # Nothing was committed (or the commit failed): give the key up so WeChat's redelivery retries.
        with contextlib.suppress(Exception):
            await asyncio.shield(dedupe.release(key))
        raise
    dedupe.forget_sender(key)  # released by the closing
    if notices:
        send_notices_later(services, notices)
    try:
        for delivery_id in deliveries:
            await services.deliveries.enqueue(delivery_id)
    except Exception as exc:  # the rows are stored as pending: the delivery sweeper enqueues them later
        if not services.health.observe(exc):
            raise
    return outcome


async def _run_handlers(
    services: Services,
    message: BaseMessage,
    key: str,
    route: ReplyRoute,
    prefetched: dict[str, bytes | None],
    deadline: float | None,
) -> tuple[Outcome, list[int], list[int]]:
    """Returns the outcome, the reply's own deliveries (sent before the reply returns) and staff notices."""
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
        ctx.notices = []  # rolled back with the rest
        await recall_before_the_database_outage(services, ctx)
        reply, note = await reply_without_storage(
            services.knowledge, message, ctx.follower, services.memory, now, bounded_decide(services, deadline)
        )
        await note_question_asked(services, openid, reply)
        main, extra = finish_without_storage(reply, ctx.follower)
        if route.choose("passive") == "late":
            extra, main = ([main] if main else []) + extra, ""
        deferred = deferred_writes(message, key, now, ctx.follower, note, extra)
    finally:
        if ctx._session is not None:
            with contextlib.suppress(Exception):
                await ctx._session.close()
    closing = build_closing(
        services,
        message,
        key,
        now,
        follower,
        main,
        reply.meta,
        deferred,
        ctx.delete_after,
        sent=next(iter(extra), ""),
        set_keys=ctx.set_after,
    )
    await services.closer.close(closing)
    return Outcome(closing.done_value[len(DONE_PREFIX) :]), delivery_ids, ctx.notices


# Notices on their way to the queue: asyncio keeps only weak references to tasks, so they are held here until done.
_NOTICES_IN_FLIGHT: set[asyncio.Task[None]] = set()


def send_notices_later(services: Services, delivery_ids: list[int]) -> None:
    """Enqueue staff notices (``HandlerContext.notices``) in a task of their own, so the passive reply does not
    wait for them: the in-process or a separate worker sends them within its poll (0.2 s) instead of the delivery
    sweeper's 30–45 s. Lost (the process stopped, Redis failed), they are still pending rows the sweeper sends;
    sent, they are not pending, so the sweeper never sends one twice."""
    task = asyncio.create_task(_enqueue_notices(services, list(delivery_ids)))
    _NOTICES_IN_FLIGHT.add(task)
    task.add_done_callback(_NOTICES_IN_FLIGHT.discard)


async def _enqueue_notices(services: Services, delivery_ids: list[int]) -> None:
    try:
        for delivery_id in delivery_ids:
            await services.deliveries.enqueue(delivery_id)
    except Exception as exc:
        if not services.health.observe(exc):
            log.exception("staff notices %s not enqueued; the delivery sweeper sends them", delivery_ids)


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
