"""The help desk as the conversation sees it: hand a question over, add to it, report on it.

Every write happens in the request's unit of work and is keyed by the WeChat message that caused it, so a
redelivered message (or one re-handled after a crash) finds the ticket it already made instead of a second one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from handlers.commands import command_of
from handlers.context import HandlerContext, Reply
from handlers.desk import HandoverReason
from handlers.triage import is_junk
from storage.activity import RecentMessage
from tickets.calendar_source import current_calendar
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.numbering import next_number
from tickets.routing import route_new_ticket
from tickets.satisfaction import parse_rating, rating_reply, record_rating, ticket_awaiting_rating
from tickets.sla import BEIJING, due_time, format_due_zh
from tickets.time_limits import resume
from tickets.user_lock import lock_user

if TYPE_CHECKING:
    import redis.asyncio as aioredis
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from calendars.clock import Clock
    from config.settings import Settings
    from delivery.service import DeliveryService
    from faq.matcher import FaqMatcher
    from staff.notifications import StaffNotifier
    from storage.activity import ActivityLog
    from tickets.answer_delivery import AnswerDelivery

REOPEN_WITHIN = timedelta(days=7)
AWAITING_TTL_S = 30 * 60
# Openids that have (or had) a ticket. Most messages come from users without one; this set spares them a
# database query per message. Membership only means "look in the database"; it is rebuilt if lost.
HAS_TICKET_PREFIX = "qiaobot:desk:has-ticket:"
USERS_READY_KEY = "qiaobot:desk:has-ticket-ready"


def awaiting_key(openid: str) -> str:
    return f"qiaobot:desk:awaiting:{openid}"


def has_ticket_key(openid: str) -> str:
    return HAS_TICKET_PREFIX + openid


def ready_key(_openid: str) -> str:
    return USERS_READY_KEY


STATE_ZH = texts.STATE_NAMES
# TicketMessage kinds the conversation writes: "context" is something the user wrote before the ticket
# opened (or a message the FAQ answered while it was open), "bot" what the bot replied to it; "user" is
# a later addition to the request.
CONTEXT, BOT_REPLY, ADDITION = "context", "bot", "user"


class Knowledge(Protocol):
    @property
    def matcher(self) -> FaqMatcher: ...


class DeskServices(Protocol):
    """What the desk uses of the process's components, by name (the bootstrap's container has them)."""

    @property
    def redis(self) -> aioredis.Redis: ...
    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def activity(self) -> ActivityLog: ...
    @property
    def knowledge(self) -> Knowledge: ...
    @property
    def answers(self) -> AnswerDelivery: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def deliveries(self) -> DeliveryService: ...
    @property
    def notifier(self) -> StaffNotifier: ...


class TicketDesk:
    def __init__(self, services: DeskServices) -> None:
        self.services = services

    def _awaiting_key(self, openid: str) -> str:
        return awaiting_key(openid)

    async def _flags(self, ctx: HandlerContext) -> tuple[bool, bool]:
        """(awaiting a question after “人工”, may have tickets): prefetched with the claim, else one round trip."""
        if "desk" not in ctx.scratch:
            keys = [awaiting_key(ctx.openid), USERS_READY_KEY, has_ticket_key(ctx.openid)]
            values: list[object] = (
                [ctx.prefetched[key] for key in keys]
                if all(key in ctx.prefetched for key in keys)
                else list(await self.services.redis.mget(keys))
            )
            awaiting, ready, member = values
            has = bool(member) if ready else await self._rebuild_users(ctx.openid)
            ctx.scratch["desk"] = (bool(awaiting), has)
        flags: tuple[bool, bool] = ctx.scratch["desk"]
        return flags

    async def intercept(self, ctx: HandlerContext, text: str) -> Reply | None:
        """After “人工” without a question, the next message is the question, whatever the FAQ thinks."""
        if not (await self._flags(ctx))[0]:
            return None
        await self.services.redis.delete(self._awaiting_key(ctx.openid))
        return await self._open(ctx, text, (), [])

    async def rate(self, ctx: HandlerContext, text: str) -> Reply | None:
        parsed = parse_rating(text)
        if parsed is None or not (await self._flags(ctx))[1]:
            return None
        ticket = await ticket_awaiting_rating(ctx.session, ctx.openid, ctx.now)
        if ticket is None:
            return None
        # Supervisors' template messages (when configured) are stored with the rating; the delivery sweeper
        # sends stored deliveries that were never enqueued.
        reply, _deliveries = await record_rating(self.services.notifier, ctx.session, ticket, *parsed, ctx.now)
        return Reply(rating_reply(reply, ctx.follower.script), meta={"decision": "rated", "ticket": ticket.number})

    async def hand_over(
        self, ctx: HandlerContext, text: str, reason: HandoverReason, related: tuple[str, ...]
    ) -> Reply:
        session: AsyncSession = ctx.session
        existing = await _ticket_by_source(session, ctx.dedupe_key)
        if existing is not None:  # this very message was handled before (redelivery after a crash)
            return self._created_reply(existing, ctx.now)
        current = await self._current(ctx)
        if current is not None and current.state == "open":
            if reason == "asked_for_human":
                due = format_due_zh(current.due_at, _today(ctx.now))
                return Reply(texts.HANDOVER_ALREADY_OPEN.format(number=current.number, due=due))
            return await self._append(ctx, current, text)
        recent = await self._recent(ctx)
        if reason == "asked_for_human":
            # The request is the user's last plausible message; what came before it is its context.
            if not recent:
                await self.services.redis.set(self._awaiting_key(ctx.openid), b"1", ex=AWAITING_TTL_S)
                return Reply(texts.HANDOVER_ASK_QUESTION)
            asked = recent[-1]
            return await self._open(ctx, asked.text, related, recent[:-1], answered=asked)
        if reason == "confirmed":
            # ``text`` is the message the bot asked about: the last of the recent ones, unless it was dropped.
            earlier = recent[:-1] if recent and recent[-1].text == text else recent
            return await self._open(ctx, text, related, earlier)
        return await self._open(ctx, text, related, recent)

    async def take_deferred(self, ctx: HandlerContext, text: str, reason: str, related: tuple[str, ...]) -> Reply:
        """A hand-over kept while storage was out (``bot.deferred``): the user was told it was recorded, so it
        joins their ticket or opens one, whatever the reason; a second copy of the item finds the first."""
        existing = await _ticket_by_source(ctx.session, ctx.dedupe_key)
        if existing is not None:
            return self._created_reply(existing, ctx.now)
        joined = await self.follow_up(ctx, text)
        if joined is not None:
            return joined
        return await self._open(ctx, text, related, [])

    async def _current(self, ctx: HandlerContext) -> Ticket | None:
        """The user's current ticket; one that waited on the user (待补充) runs again now that they wrote."""
        current = await _current_ticket(ctx.session, ctx.openid)
        if current is not None and current.state == "waiting":
            resume(ctx.session, current, ctx.now, self.services.settings)
        return current

    async def _rebuild_users(self, openid: str) -> bool:
        redis = self.services.redis
        async with self.services.sessions() as session:
            openids = set((await session.scalars(select(Ticket.openid).distinct())).all())
        if openids:
            await redis.mset({has_ticket_key(user): b"1" for user in openids})
        await redis.set(USERS_READY_KEY, b"1")
        return openid in openids

    async def follow_up(self, ctx: HandlerContext, text: str) -> Reply | None:
        if not (await self._flags(ctx))[1]:
            return None
        session: AsyncSession = ctx.session
        current = await self._current(ctx)
        if current is None:
            return None
        if current.state == "answered" and current.answered_at and ctx.now - current.answered_at < REOPEN_WITHIN:
            # Reopening must not race another message reopening (or opening) at the same time: decide again
            # under the user's lock, on fresh rows.
            await lock_user(session, ctx.openid, ctx.now)
            current = await self._current(ctx)
            if current is None:
                return None
            if current.state == "answered":
                return await self._reopen(ctx, current, text)
        if current.state == "open":
            return await self._append(ctx, current, text)
        return None

    async def status(self, ctx: HandlerContext) -> Reply:
        tickets = (
            await ctx.session.scalars(
                select(Ticket).where(Ticket.openid == ctx.openid).order_by(Ticket.created_at.desc()).limit(5)
            )
        ).all()
        if not tickets:
            return Reply(texts.STATUS_NONE, meta={"decision": "status"})
        lines = [texts.STATUS_HEADER]
        for ticket in tickets:
            line = f"{ticket.number}：{STATE_ZH.get(ticket.state, ticket.state)}"
            if ticket.state == "open":
                line += f"，预计{format_due_zh(ticket.due_at, _today(ctx.now))}前答复"
            elif ticket.answered_at is not None:
                line += f"，{format_due_zh(ticket.answered_at, _today(ctx.now))}已答复"
            lines.append(f"{line}\n  问题：{_clip(ticket.question)}")
        return Reply("\n".join(lines), meta={"decision": "status", "tickets": [t.number for t in tickets]})

    async def has_tickets(self, ctx: HandlerContext) -> bool:
        if not (await self._flags(ctx))[1]:
            return False
        found = await ctx.session.scalar(select(Ticket.id).where(Ticket.openid == ctx.openid).limit(1))
        return found is not None

    async def note_context(self, ctx: HandlerContext, text: str, reply: str) -> None:
        if not (await self._flags(ctx))[1]:
            return
        session: AsyncSession = ctx.session
        current = await _current_ticket(session, ctx.openid)
        if current is None or current.state != "open":
            return
        if await session.scalar(select(TicketMessage.id).where(TicketMessage.source_key == ctx.dedupe_key)):
            return  # a redelivery: noted already
        _add_context(session, current, ctx.openid, RecentMessage(text, ctx.now, reply), ctx.dedupe_key)

    async def answers_waiting(self, ctx: HandlerContext) -> list[str]:
        if not (await self._flags(ctx))[1]:
            return []
        return await self.services.answers.answers_waiting(ctx.session, ctx.openid)

    async def _open(
        self,
        ctx: HandlerContext,
        question: str,
        related: tuple[str, ...],
        context: list[RecentMessage],
        answered: RecentMessage | None = None,
    ) -> Reply:
        """Open a ticket whose question is the request itself; ``context`` is what the user wrote before it,
        ``answered`` the earlier message that is the question, whose bot reply staff should see too."""
        session: AsyncSession = ctx.session
        existing = await _ticket_by_source(session, ctx.dedupe_key)
        if existing is not None:
            return self._created_reply(existing, ctx.now)
        # Messages written in a burst race here: the first to take the lock opens the ticket, the others
        # wait for its commit and join it (the database allows one open ticket per user in any case).
        await lock_user(session, ctx.openid, ctx.now)
        current = await self._current(ctx)
        if current is not None and current.state == "open":
            return await self._append(ctx, current, question)
        settings = self.services.settings
        due = due_time(ctx.now, current_calendar(settings), settings.close_of_business, settings.tz)
        ticket = Ticket(
            number=await next_number(session, ctx.now),
            openid=ctx.openid,
            source_key=ctx.dedupe_key,
            state="open",
            category=self._category(related),
            question=question,
            script=ctx.follower.script,
            created_at=ctx.now,
            due_at=due.due,
            due_provisional=due.provisional,
            answer_delivery="none",
            reopen_count=0,
        )
        session.add(ticket)
        await session.flush()
        await self.services.redis.set(has_ticket_key(ctx.openid), b"1")
        ctx.scratch.pop("desk", None)
        for earlier in context:
            _add_context(session, ticket, ctx.openid, earlier, None)
        if answered is not None and answered.reply:
            at = answered.at or ctx.now
            session.add(
                TicketMessage(ticket_id=ticket.id, kind=BOT_REPLY, author="bot", body=answered.reply, created_at=at)
            )
        # The question itself is ``ticket.question``; messages hold what came before it and what follows.
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor="user",
                action="created",
                detail={
                    "due": due.due.isoformat(),
                    "provisional": due.provisional,
                    "related": list(related[:3]),
                },
                at=ctx.now,
            )
        )
        await route_new_ticket(session, ticket, settings.departments_path, ctx.now)
        return self._created_reply(ticket, ctx.now)

    async def _recent(self, ctx: HandlerContext) -> list[RecentMessage]:
        """The user's plausible messages of the last half hour, oldest first (no commands, no junk)."""
        recent = await self.services.activity.recent_messages(ctx.openid)
        return [m for m in recent if m.text.strip() and command_of(m.text) is None and not is_junk(m.text)]

    def _category(self, related: tuple[str, ...]) -> str | None:
        for faq_id in related[:1]:
            try:
                return self.services.knowledge.matcher.entry(faq_id).category
            except KeyError:
                return None
        return None

    def _created_reply(self, ticket: Ticket, now: datetime) -> Reply:
        due = format_due_zh(ticket.due_at, _today(now))
        return Reply(
            texts.HANDOVER_CREATED.format(number=ticket.number, due=due),
            meta={"decision": "handover", "ticket": ticket.number},
        )

    async def _append(self, ctx: HandlerContext, ticket: Ticket, text: str) -> Reply:
        if await ctx.session.scalar(select(TicketMessage.id).where(TicketMessage.source_key == ctx.dedupe_key)):
            return Reply(texts.APPENDED_AGAIN.format(number=ticket.number))
        _add_user_message(ctx, ticket, text, "appended")
        return Reply(
            texts.APPENDED.format(number=ticket.number),
            meta={"decision": "appended", "ticket": ticket.number},
        )

    async def _reopen(self, ctx: HandlerContext, ticket: Ticket, text: str) -> Reply:
        settings = self.services.settings
        due = due_time(ctx.now, current_calendar(settings), settings.close_of_business, settings.tz)
        ticket.state = "open"
        ticket.reopen_count += 1
        ticket.due_at, ticket.due_provisional = due.due, due.provisional
        ticket.reminded_at = ticket.escalated_at = None
        _add_user_message(ctx, ticket, text, "reopened", {"due": due.due.isoformat()})
        return Reply(
            texts.REOPENED.format(number=ticket.number, due=format_due_zh(due.due, _today(ctx.now))),
            meta={"decision": "reopened", "ticket": ticket.number},
        )


def _add_user_message(
    ctx: HandlerContext, ticket: Ticket, text: str, action: str, detail: dict[str, str] | None = None
) -> None:
    """A user's message joins the ticket, keyed by the WeChat message so a redelivery cannot add it twice."""
    ticket.script = ctx.follower.script  # answers go out in the script the user writes now
    ctx.session.add(
        TicketMessage(
            ticket_id=ticket.id,
            kind=ADDITION,
            author=ctx.openid,
            body=text,
            source_key=ctx.dedupe_key,
            created_at=ctx.now,
        )
    )
    ctx.session.add(TicketEvent(ticket_id=ticket.id, actor="user", action=action, detail=detail, at=ctx.now))


def _add_context(
    session: AsyncSession, ticket: Ticket, openid: str, message: RecentMessage, source_key: str | None
) -> None:
    """What the user wrote (at its own time) and what the bot replied: context for staff, not the request."""
    at = message.at or ticket.created_at
    session.add(
        TicketMessage(
            ticket_id=ticket.id, kind=CONTEXT, author=openid, body=message.text, source_key=source_key, created_at=at
        )
    )
    if message.reply:
        session.add(TicketMessage(ticket_id=ticket.id, kind=BOT_REPLY, author="bot", body=message.reply, created_at=at))


def _today(now: datetime) -> date:
    return now.astimezone(BEIJING).date()


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


async def _ticket_by_source(session: AsyncSession, key: str) -> Ticket | None:
    ticket = await session.scalar(select(Ticket).where(Ticket.source_key == key))
    if ticket is not None:
        return ticket
    message = await session.scalar(select(TicketMessage).where(TicketMessage.source_key == key))
    return None if message is None else await session.get(Ticket, message.ticket_id)


async def _current_ticket(session: AsyncSession, openid: str) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.openid == openid, Ticket.state.in_(("open", "waiting", "answered")))
        .order_by(Ticket.created_at.desc())
        .limit(1)
        .execution_options(populate_existing=True)  # after taking the lock, not what this session read before
    )
