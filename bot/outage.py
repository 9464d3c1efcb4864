"""Answering through an outage: the message is handled without Redis (in-process dedupe, the local spool) or
without the database (hand-overs and late replies queued in Redis), and the webhook still answers 200.

Either way the reply comes from ``handlers.outage`` (the in-process matcher), and what must be written is
kept as a ``Closing`` whose deferred writes the worker makes once the database is back (``bot.deferred``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from wechatpy.messages import BaseMessage

from bot.dedupe import DONE_PREFIX
from bot.records import build_closing
from bot.reply_route import Outcome, ReplyRoute
from faq.matcher import Decision
from faq.script import to_traditional
from handlers.commands import command_of
from handlers.context import HandlerContext, Reply
from handlers.long_text import split_for_wechat
from handlers.outage import Decide, HandoverNote, reply_without_storage
from handlers.triage import is_junk
from storage.activity import FollowerState, stored_follower
from tickets.desk_flags import AWAITING_TTL_S, awaiting_key

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)


# What the spool's fsync and the reply need after the decision, at most, of the message's budget.
SPOOL_RESERVE_S = 0.5


async def recall_before_the_database_outage(services: Services, ctx: HandlerContext) -> None:
    """The database is out but Redis is not: give the outage path what the normal path knew of the user, kept
    in Redis. A user who wrote while the database answered (or while their state was cached) has their recent
    texts there, not in this process's outage memory: without them a “人工” would ask for a question the user
    already wrote. And a “人工” that asked for the question (on either path, in any process) left the desk's
    flag, read with the claim: the next message is that question, kept as a hand-over."""
    openid = ctx.openid
    if ctx.prefetched.get(awaiting_key(openid)):
        services.memory.await_question(openid)
    if services.memory.last_question(openid) is None:
        for recent in await services.activity.recent_messages(openid):
            if recent.text.strip() and command_of(recent.text) is None and not is_junk(recent.text):
                services.memory.remember(openid, recent.text)


async def note_question_asked(services: Services, openid: str, reply: Reply) -> None:
    """The outage path asked for the question after “人工”: the desk's flag says so too, so the question is
    taken as the hand-over whichever process or path handles it (the database may be back by then)."""
    if reply.meta.get("decision") == "ask_question":
        await services.redis.set(awaiting_key(openid), b"1", ex=AWAITING_TTL_S)


def bounded_decide(services: Services, deadline: float | None) -> Decide:
    """The process's matcher (a heavy one runs off the event loop, ``KnowledgeBase.decide``), given until
    ``deadline`` less the spool's reserve; no decision by then is ``None`` (the message is handed over)."""

    async def decide(text: str) -> Decision | None:
        if deadline is None:
            return await services.knowledge.decide(text)
        remaining = deadline - SPOOL_RESERVE_S - time.monotonic()
        try:
            return await asyncio.wait_for(services.knowledge.decide(text), timeout=max(0.0, remaining))
        except TimeoutError:
            log.warning("no FAQ decision within the budget during an outage; kept as a hand-over")
            return None

    return decide


async def answer_without_redis(
    services: Services,
    message: BaseMessage,
    key: str,
    route: ReplyRoute | None = None,
    *,
    deadline: float | None = None,
) -> Outcome:
    """Handle ``message`` with Redis out: deduped in this process, its writes spooled to disk (fsynced)
    before the reply goes back, replayed into Redis once it answers again. ``deadline`` (monotonic) bounds
    the matcher, so a slow one cannot hold the reply past WeChat's wait."""
    owner, earlier = services.local_dedupe.claim(key)
    if not owner:
        return Outcome(earlier or b"")
    try:
        now = services.clock.now()
        openid = str(message.source)
        follower = None if services.health.database_down else await _stored_follower(services, openid)
        state = follower or FollowerState(openid=openid)
        reply, note = await reply_without_storage(
            services.knowledge, message, state, services.memory, now, bounded_decide(services, deadline)
        )
        main, extra = finish_without_storage(reply, state)
        if route is not None and route.choose("passive") == "late":
            extra, main = ([main] if main else []) + extra, ""
        deferred = deferred_writes(message, key, now, state, note, extra)
        closing = build_closing(services, message, key, now, follower, main, reply.meta, deferred)
        await services.spool.append(closing.to_json())
    except BaseException:
        services.local_dedupe.release(key)
        raise
    outcome = Outcome(closing.done_value[len(DONE_PREFIX) :])
    services.local_dedupe.finish(key, outcome.reply_xml)
    return outcome


async def _stored_follower(services: Services, openid: str) -> FollowerState | None:
    """The database's copy (Redis holds the cached one); None if the database fails too."""
    try:
        return await stored_follower(services.sessions, openid)
    except Exception as exc:
        if not services.health.observe(exc):
            raise
        return None


def finish_without_storage(reply: Reply, follower: FollowerState) -> tuple[str, list[str]]:
    """The user's script and WeChat's size limit; without Redis there is no “更多”, so a long answer's
    remainder follows as customer-service messages."""
    traditional = follower.script == "hant"
    convert = to_traditional if traditional else (lambda text: text)
    main = reply.in_script(traditional)
    chunks = split_for_wechat(main) if main else [""]
    extra = chunks[1:]
    for text in reply.extra:
        extra.extend(split_for_wechat(convert(text)))
    return chunks[0], extra


def deferred_writes(
    message: BaseMessage,
    key: str,
    now: datetime,
    follower: FollowerState,
    note: HandoverNote | None,
    extra: list[str],
) -> list[str]:
    """JSON items the worker writes once the database answers: the hand-over, and texts to push."""
    items: list[dict[str, object]] = []
    openid = str(message.source)
    if note is not None:
        items.append(
            {
                "kind": "handover",
                "key": key,
                "openid": openid,
                "text": note.text,
                "reason": note.reason,
                "related": list(note.related[:3]),
                "script": follower.script,
                "at": now.isoformat(),
                "message": message._data,
            }
        )
    if extra:
        items.append({"kind": "reply", "key": key, "openid": openid, "texts": extra, "at": now.isoformat()})
    return [json.dumps(item, ensure_ascii=False, default=str) for item in items]
