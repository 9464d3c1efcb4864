"""The help desk as the conversation sees it (``handlers.context.HelpDesk``): hand a question over, add to it,
rate its answer, report on it. This module decides which of those a message is; the pieces live beside it:
``desk_flags`` (what Redis remembers per user), ``intake`` (受理: a new ticket), ``follow_ups`` (补充 and
reopening), ``user_status`` (查询), ``satisfaction`` (回访) and ``time_limits`` (the stopped clock).

Every write happens in the request's unit of work and is keyed by the WeChat message that caused it, so a
redelivered message (or one re-handled after a crash) finds the ticket it already made instead of a second one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from handlers import texts
from handlers.commands import command_of
from handlers.context import HandlerContext, Reply
from handlers.triage import is_junk
from tickets import follow_ups, intake
from tickets.arrivals import tell_on_duty
from tickets.desk_flags import DeskFlags, awaiting_key
from tickets.earlier_media import describe
from tickets.intake import created_reply, today
from tickets.satisfaction import parse_rating, rating_reply, record_rating, ticket_awaiting_rating
from tickets.sla import format_due_zh
from tickets.time_limits import resume
from tickets.user_lock import lock_user
from tickets.user_status import has_any_ticket, status_reply
from tickets.user_tickets import current_ticket, handled_before, owed_and_current, read_both

if TYPE_CHECKING:
    from config.settings import Settings
    from faq.matcher import FaqMatcher
    from handlers.context import HandoverReason
    from staff.notifications import StaffNotifier
    from storage.activity import ActivityLog, RecentMessage
    from tickets.answer_delivery import AnswerDelivery
    from tickets.earlier_media import EarlierMedia
    from tickets.models import Ticket


# ctx.scratch: the user's current ticket as read with their owed answers at the start of a text message (one
# statement for both), for ``note_context`` after an FAQ answer.
CURRENT_READ = "desk:current-read"
# ctx.scratch: read in the same statement, whether this message is on a ticket's conversation already.
NOTED_READ = "desk:noted-read"


class Knowledge(Protocol):
    """The knowledge base being served (its matcher is replaced when staff publish)."""

    @property
    def matcher(self) -> FaqMatcher: ...


class TicketDesk:
    def __init__(
        self,
        *,
        flags: DeskFlags,
        settings: Settings,
        activity: ActivityLog,
        knowledge: Knowledge,
        answers: AnswerDelivery,
        notifier: StaffNotifier,
        earlier_media: EarlierMedia | None = None,
    ) -> None:
        self.flags = flags
        self.settings = settings
        self.activity = activity
        self.knowledge = knowledge
        self.answers = answers
        self.notifier = notifier
        self.earlier_media = earlier_media  # files sent just before a ticket opens join it

    async def intercept(self, ctx: HandlerContext, text: str) -> Reply | None:
        """After “人工” without a question, the next message is the question, whatever the FAQ thinks."""
        if not (await self.flags.read(ctx))[0]:
            return None
        # The flag goes with the message's closing (no round trip of its own); until then only this message,
        # which holds the sender's lock, could read it. A message that fails keeps it for its redelivery.
        ctx.delete_after.append(awaiting_key(ctx.openid))
        return await self._open(ctx, text, (), [])

    async def rate(self, ctx: HandlerContext, text: str) -> Reply | None:
        parsed = parse_rating(text)
        if parsed is None or not (await self.flags.read(ctx))[1]:
            return None
        ticket = await ticket_awaiting_rating(ctx.session, ctx.openid, ctx.now)
        if ticket is None:
            return None
        # Staff template messages stored with the rating (none today: supervisors are told in the console) go
        # once the message is closed, like a new ticket's.
        reply, deliveries = await record_rating(self.notifier, ctx.session, ticket, *parsed, ctx.now)
        ctx.notices.extend(deliveries)
        return Reply(rating_reply(reply, ctx.follower.script), meta={"decision": "rated", "ticket": ticket.number})

    async def hand_over(
        self, ctx: HandlerContext, text: str, reason: HandoverReason, related: tuple[str, ...]
    ) -> Reply:
        if reason == "asked_for_human":
            # A user with no ticket at all (the desk's flag, as ``answers_waiting`` trusts it) has no current one
            # and none this message made, so nothing is read for them: opening a ticket below reads both under
            # the lock in any case.
            current = None
            if (await self.flags.read(ctx))[1]:
                current = await read_both(ctx)  # and whether this very message was handled before
                existing = await handled_before(ctx)
                if existing is not None:  # this very message was handled before (redelivery after a crash)
                    return created_reply(existing, ctx.now)
            self._resume(ctx, current)
            if current is not None and current.state == "open":
                due = format_due_zh(current.due_at, today(ctx.now))
                return Reply(texts.HANDOVER_ALREADY_OPEN.format(number=current.number, due=due))
            # The request is the user's last plausible message; what came before it is its context.
            recent = await self._recent(ctx)
            if not recent:
                await self.flags.await_question(ctx.openid)
                waiting = await self.earlier_media.waiting(ctx) if self.earlier_media is not None else []
                if not waiting:
                    return Reply(texts.HANDOVER_ASK_QUESTION)
                assert self.earlier_media is not None
                await self.earlier_media.hold(ctx)  # they wait for the question as long as the desk does
                files = texts.HANDOVER_FILES_WILL_JOIN.format(files=describe([m.kind for _k, m in waiting]))
                return Reply(f"{texts.HANDOVER_ASK_QUESTION}\n{files}")
            asked = recent[-1]
            return await self._open(ctx, asked.text, related, recent[:-1], answered=asked)
        # Anything else joins the open ticket or opens one: decided once, under the user's lock, on fresh rows
        # (a redelivered message takes the lock too, to read both lookups in one statement under it).
        await lock_user(ctx.session, ctx.openid, ctx.now)
        current = await read_both(ctx)
        existing = await handled_before(ctx)
        if existing is not None:  # this very message was handled before (redelivery after a crash)
            return created_reply(existing, ctx.now)
        self._resume(ctx, current)
        if current is not None and current.state == "open":
            return await follow_ups.append(ctx, current, text)
        recent = await self._recent(ctx)
        if reason == "confirmed":
            # ``text`` is the message the bot asked about: the last of the recent ones, unless it was dropped.
            earlier = recent[:-1] if recent and recent[-1].text == text else recent
            return await self._open(ctx, text, related, earlier, locked=(current,))
        return await self._open(ctx, text, related, recent, locked=(current,))

    async def take_deferred(self, ctx: HandlerContext, text: str, reason: str, related: tuple[str, ...]) -> Reply:
        """A hand-over kept while storage was out (``bot.deferred``): the user was told it was recorded, so it
        joins their ticket or opens one, whatever the reason; a second copy of the item finds the first."""
        existing = await handled_before(ctx)
        if existing is not None:
            return created_reply(existing, ctx.now)
        joined = await self.follow_up(ctx, text)
        if joined is not None:
            return joined
        return await self._open(ctx, text, related, [])

    async def follow_up(self, ctx: HandlerContext, text: str) -> Reply | None:
        if not (await self.flags.read(ctx))[1]:
            return None
        current = self._resume(ctx, await read_both(ctx))  # ``append`` asks whether it was handled before
        if current is None:
            return None
        answered_at = current.answered_at
        if current.state == "answered" and answered_at and ctx.now - answered_at < follow_ups.REOPEN_WITHIN:
            # Reopening must not race another message reopening (or opening) at the same time: decide again
            # under the user's lock, on fresh rows.
            await lock_user(ctx.session, ctx.openid, ctx.now)
            current = await self._current(ctx)
            if current is None:
                return None
            if current.state == "answered":
                return await follow_ups.reopen(ctx, current, text, self.settings)
        if current.state == "open":
            return await follow_ups.append(ctx, current, text)
        return None

    async def status(self, ctx: HandlerContext) -> Reply:
        return await status_reply(ctx.session, ctx.openid, ctx.now)

    async def has_tickets(self, ctx: HandlerContext) -> bool:
        if not (await self.flags.read(ctx))[1]:
            return False
        return await has_any_ticket(ctx.session, ctx.openid)

    async def note_context(self, ctx: HandlerContext, text: str, reply: str) -> None:
        if not (await self.flags.read(ctx))[1]:
            return
        # Read with the owed answers at the start of this message (``answers_waiting``): on the way from there to an
        # FAQ answer nothing writes tickets, and the memo lives only as long as this message's context.
        if CURRENT_READ in ctx.scratch:
            current = ctx.scratch[CURRENT_READ]
        else:
            current = await current_ticket(ctx.session, ctx.openid)
        if current is None or current.state != "open":
            return
        await follow_ups.note_answered(ctx, current, text, reply, ctx.scratch.get(NOTED_READ))

    async def answers_waiting(self, ctx: HandlerContext) -> list[str]:
        if not (await self.flags.read(ctx))[1]:
            return []
        owed, ctx.scratch[CURRENT_READ], ctx.scratch[NOTED_READ] = await owed_and_current(
            ctx.session, ctx.openid, ctx.dedupe_key
        )
        return await self.answers.hand_over_owed(ctx.session, owed)

    async def _current(self, ctx: HandlerContext) -> Ticket | None:
        """The user's current ticket; one that waited on the user (待补充) runs again now that they wrote."""
        return self._resume(ctx, await current_ticket(ctx.session, ctx.openid))

    def _resume(self, ctx: HandlerContext, current: Ticket | None) -> Ticket | None:
        """A current ticket that waited on the user (待补充) runs again now that they wrote."""
        if current is not None and current.state == "waiting":
            resume(ctx.session, current, ctx.now, self.settings)
        return current

    async def _open(
        self,
        ctx: HandlerContext,
        question: str,
        related: tuple[str, ...],
        context: list[RecentMessage],
        answered: RecentMessage | None = None,
        locked: tuple[Ticket | None] | None = None,
    ) -> Reply:
        """``locked``: the caller holds the user's lock already and read their current ticket under it."""
        if locked is None:
            # Messages written in a burst race here: the first to take the lock opens the ticket, the others
            # wait for its commit and join it (the database allows one open ticket per user in any case).
            await lock_user(ctx.session, ctx.openid, ctx.now)
            current = await read_both(ctx)  # and whether this very message was handled before
        else:
            (current,) = locked
        existing = await handled_before(ctx)
        if existing is not None:
            return created_reply(existing, ctx.now)
        if locked is None:
            self._resume(ctx, current)
        if current is not None and current.state == "open":
            return await follow_ups.append(ctx, current, question)
        category = self._category(related)
        ticket = await intake.new_ticket(ctx, self.settings, question, category, related, context, answered)
        earlier = await self.earlier_media.take(ctx, ticket) if self.earlier_media is not None else []
        await self.flags.mark_has_ticket(ctx)
        # The on-duty staff of its queue hear of it on WeChat: stored with the ticket, sent once the message is
        # closed without holding its reply (the delivery sweeper is the safety net).
        ctx.notices.extend(await tell_on_duty(self.notifier, ctx.session, ticket, ctx.now))
        reply = created_reply(ticket, ctx.now)
        if earlier:
            reply.text += "\n" + texts.HANDOVER_FILES_JOINED.format(files=describe([a.kind for a in earlier]))
        return reply

    async def _recent(self, ctx: HandlerContext) -> list[RecentMessage]:
        """The user's plausible messages of the last half hour, oldest first (no commands, no junk)."""
        recent = await self.activity.recent_messages(ctx.openid)
        return [m for m in recent if m.text.strip() and command_of(m.text) is None and not is_junk(m.text)]

    def _category(self, related: tuple[str, ...]) -> str | None:
        for faq_id in related[:1]:
            try:
                return self.knowledge.matcher.entry(faq_id).category
            except KeyError:
                return None
        return None
