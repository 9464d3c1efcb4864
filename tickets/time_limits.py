"""The ticket's clock: 延期 (an extension asked before the due time, decided by a supervisor, and told to the
user in plain words) and 待补充 (staff ask the user for something; the clock stops until the user replies,
and a wait of too many working days closes the ticket with a message).

A stopped clock keeps the working time that was left: the due time after the reply is that much working
time after the reply, so the user's delay never counts against staff, and staff's time is never taken.
Nothing here commits (but the sweep); staff actions return delivery ids for the caller to enqueue after its
commit. ``TimeLimits`` receives what it uses from the bootstrap (``bot.bootstrap``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from delivery.service import text_payload
from faq.script import to_traditional
from staff.errors import NotAllowed, StaffActionError
from staff.roles import Actor
from storage.models import Follower
from tickets.actions import _flush_or_conflict
from tickets.calendar_source import current_calendar
from tickets.clock_stops import add_working_time, working_days_since, working_time_between
from tickets.detail import get_ticket
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.progress_notice import extended_status, progress_payload
from tickets.routing import may_work
from tickets.routing_models import TicketExtension
from tickets.sla import format_due_zh
from tickets.windows import window_open

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from calendars.clock import Clock
    from config.settings import Settings
    from delivery.service import DeliveryService

MAX_REASON_CHARS = 500
MAX_REQUEST_BYTES = 1800  # WeChat cuts a text message at 2048 bytes; the number and a greeting are added
ASK_KIND = "ask"  # a TicketMessage staff sent the user to ask for more


def _clean(text: str, what: str, limit: int = MAX_REASON_CHARS) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise StaffActionError(f"请填写{what}")
    if len(text) > limit:
        raise StaffActionError(f"{what}最多 {limit} 个字")
    return text


def _event(ticket: Ticket, actor: str, action: str, at: datetime, detail: dict[str, object]) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, actor=actor, action=action, detail=detail, at=at)


def _in_script(ticket: Ticket, text: str) -> str:
    return to_traditional(text) if ticket.script == "hant" else text


async def pending_extension(session: AsyncSession, ticket: Ticket) -> TicketExtension | None:
    return await session.scalar(
        select(TicketExtension).where(TicketExtension.ticket_id == ticket.id, TicketExtension.state == "pending")
    )


async def extensions_of(session: AsyncSession, ticket: Ticket) -> list[TicketExtension]:
    rows = await session.scalars(
        select(TicketExtension).where(TicketExtension.ticket_id == ticket.id).order_by(TicketExtension.id)
    )
    return list(rows.all())


def extension_text(ticket: Ticket, new_due: datetime, today: datetime) -> str:
    """What the user is told: the new due time in plain words (weekday and hour, Beijing time)."""
    when = format_due_zh(new_due, today.astimezone(new_due.tzinfo).date() if new_due.tzinfo else None)
    return (
        f"您好，您的留言（编号 {ticket.number}）需要更多时间办理，"
        f"我们将在{when}前答复您（北京时间）。给您带来不便，敬请谅解。"
    )


def resume(session: AsyncSession, ticket: Ticket, now: datetime, settings: Settings) -> None:
    """The user replied: the clock runs again with the working time that was left when it stopped."""
    left = timedelta(seconds=ticket.waiting_left_seconds or 0)
    waited_since = ticket.waiting_since or now
    calendar = current_calendar(settings)
    ticket.due_at = add_working_time(now, left, calendar, settings.tz)
    waited_work = working_time_between(waited_since, now, calendar, settings.tz)
    ticket.waited_seconds = (ticket.waited_seconds or 0) + int(waited_work.total_seconds())
    ticket.state = "open"
    ticket.waiting_since = None
    ticket.waiting_left_seconds = None
    ticket.reminded_at = ticket.escalated_at = None
    waited = round((now - waited_since).total_seconds() / 3600, 1)
    session.add(
        _event(ticket, "user", "user_supplied", now, {"due": ticket.due_at.isoformat(), "waited_hours": waited})
    )


class TimeLimits:
    """Staff's side of the clock (延期 and 待补充) and the sweep that closes silent waits."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        sessions: async_sessionmaker[AsyncSession],
        deliveries: DeliveryService,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sessions = sessions
        self.deliveries = deliveries

    async def _tell_user(self, session: AsyncSession, ticket: Ticket, key: str, text: str) -> list[int]:
        """A customer-service message to the ticket's user while the 48-hour window is open; [] when it is not
        (the caller records that the user could not be told)."""
        follower = await session.get(Follower, ticket.openid)
        if not window_open(follower, self.clock.now()):
            return []
        delivery = await self.deliveries.add(
            session,
            key=key,
            openid=ticket.openid,
            payload=text_payload(ticket.openid, _in_script(ticket, text)),
            purpose="ticket_notice",
            ref=ticket.number,
        )
        return [delivery.id]

    # --- 延期 ------------------------------------------------------------------------------------------

    async def request_extension(
        self, session: AsyncSession, number: str, actor: Actor, working_days: int, reason: str
    ) -> TicketExtension:
        """Ask for ``working_days`` more, before the due time (a promise already broken cannot be extended)."""
        settings = self.settings
        why = _clean(reason, "延期理由")
        now = self.clock.now()
        ticket = await get_ticket(session, number)
        if ticket.state != "open":
            raise StaffActionError("只有待答复的工单可以申请延期")
        if not await may_work(session, actor, ticket):
            raise NotAllowed("只有本部门成员或主管可以为此工单申请延期")
        if now >= ticket.due_at:
            raise StaffActionError("已过答复期限，不能再申请延期；请尽快答复")
        if not 1 <= working_days <= settings.extension_max_working_days:
            raise StaffActionError(f"延期天数应为 1 到 {settings.extension_max_working_days} 个工作日")
        if await pending_extension(session, ticket) is not None:
            raise StaffActionError("该工单已有一个待审批的延期申请")
        calendar = current_calendar(settings)
        local_due = ticket.due_at.astimezone(settings.tz)
        new_day = calendar.add_working_days(local_due.date(), working_days)
        new_due = datetime.combine(new_day, local_due.timetz().replace(tzinfo=None), tzinfo=settings.tz)
        extension = TicketExtension(
            ticket_id=ticket.id,
            requested_by=actor.username,
            reason=why,
            requested_at=now,
            old_due_at=ticket.due_at,
            new_due_at=new_due,
            state="pending",
            decision_note="",
        )
        session.add(extension)
        session.add(_event(ticket, actor.username, "extension_requested", now, {"days": working_days, "reason": why}))
        await session.flush()
        return extension

    async def decide_extension(
        self, session: AsyncSession, number: str, actor: Actor, approve: bool, note: str = ""
    ) -> list[int]:
        """A supervisor approves (the due time moves and the user is told) or refuses (the due time stays)."""
        if not actor.can("supervisor"):
            raise NotAllowed("只有主管可以审批延期")
        now = self.clock.now()
        ticket = await get_ticket(session, number)
        extension = await pending_extension(session, ticket)
        if extension is None:
            raise StaffActionError("该工单没有待审批的延期申请")
        note = note.strip()[:MAX_REASON_CHARS]
        extension.state = "approved" if approve else "refused"
        extension.decided_by = actor.username
        extension.decided_at = now
        extension.decision_note = note
        if not approve:
            session.add(_event(ticket, actor.username, "extension_refused", now, {"note": note}))
            await session.flush()
            return []
        ticket.due_at = extension.new_due_at
        ticket.extension_count = (ticket.extension_count or 0) + 1
        ticket.reminded_at = ticket.escalated_at = None  # remind again before the new due time
        detail: dict[str, object] = {"due": extension.new_due_at.isoformat()}
        session.add(_event(ticket, actor.username, "extension_approved", now, detail))
        await _flush_or_conflict(session, ticket)
        sent = await self._tell_user(
            session, ticket, f"ticket-extension:{extension.id}", extension_text(ticket, ticket.due_at, now)
        )
        if not sent:
            sent = await self._notice_by_template(session, ticket, f"ticket-extension:{extension.id}:notice", now)
        await session.flush()
        return sent

    async def _notice_by_template(self, session: AsyncSession, ticket: Ticket, key: str, now: datetime) -> list[int]:
        """The window is closed: the progress template (2023 rules: 编号, 状态 "延期至…前答复", 时间) when one is
        configured; otherwise the audit log says the user could not be told."""
        if not self.settings.wechat_answer_template_id:
            session.add(_event(ticket, "system", "user_not_told", now, {"why": "48小时窗口已关闭，未配置模板消息"}))
            return []
        status = extended_status(ticket.due_at, self.settings)
        delivery = await self.deliveries.add(
            session,
            key=key,
            openid=ticket.openid,
            channel="template",
            payload=progress_payload(self.settings, ticket, status, now),
            purpose="extension_notice",
            ref=ticket.number,
        )
        session.add(_event(ticket, "system", "user_told_by_template", now, {"status": status}))
        return [delivery.id]

    # --- 待补充 ----------------------------------------------------------------------------------------

    async def ask_user(self, session: AsyncSession, number: str, actor: Actor, request: str) -> list[int]:
        """Ask the user for more (documents, a date…): the message goes out and the clock stops."""
        text = _clean(request, "需要用户补充的内容", limit=MAX_REQUEST_BYTES // 3)
        now = self.clock.now()
        ticket = await get_ticket(session, number)
        if ticket.state != "open":
            raise StaffActionError("只有待答复的工单可以请用户补充")
        if not await may_work(session, actor, ticket):
            raise NotAllowed("只有本部门成员或主管可以请用户补充")
        settings = self.settings
        left = working_time_between(now, ticket.due_at, current_calendar(settings), settings.tz)
        ticket.state = "waiting"
        ticket.waiting_since = now
        ticket.waiting_left_seconds = int(left.total_seconds())
        session.add(
            TicketMessage(ticket_id=ticket.id, kind=ASK_KIND, author=actor.username, body=text, created_at=now)
        )
        detail: dict[str, object] = {"left_seconds": int(left.total_seconds())}
        session.add(_event(ticket, actor.username, "waiting_on_user", now, detail))
        await _flush_or_conflict(session, ticket)
        days = settings.waiting_close_working_days
        message = (
            f"您好，关于您的留言（编号 {ticket.number}），工作人员需要您补充：\n{text}\n\n"
            f"请直接回复本公众号。{days}个工作日内未收到回复的，留言将自动办结。"
        )
        sent = await self._tell_user(session, ticket, f"ticket-ask:{ticket.number}:{ticket.version}", message)
        if not sent:
            raise StaffActionError("用户的48小时客服消息窗口已关闭，无法发消息请其补充；请直接答复或电话联系")
        await session.flush()
        return sent

    async def close_silent_waits(self) -> int:
        """Close tickets whose user has not replied within the configured working days, telling them so."""
        settings = self.settings
        now = self.clock.now()
        calendar = current_calendar(settings)
        days = settings.waiting_close_working_days
        closed = 0
        delivery_ids: list[int] = []
        async with self.sessions() as session, session.begin():
            waiting = (
                await session.scalars(select(Ticket).where(Ticket.state == "waiting").with_for_update(skip_locked=True))
            ).all()
            for ticket in waiting:
                since = ticket.waiting_since or now
                if working_days_since(since, now, calendar, settings.tz) < days:
                    continue
                ticket.state = "closed"
                ticket.closed_at = now
                ticket.waiting_since = None
                session.add(_event(ticket, "system", "closed_no_reply", now, {"days": days}))
                text = (
                    f"您好，您的留言（编号 {ticket.number}）因{days}个工作日未收到您的补充，"
                    "已办结。如仍需咨询，请重新留言。"
                )
                sent = await self._tell_user(session, ticket, f"ticket-no-reply:{ticket.number}", text)
                if not sent:  # the window has long closed: the message waits for the user's next message
                    ticket.answer = text
                    ticket.answer_delivery = "waiting"
                delivery_ids += sent
                closed += 1
        for delivery_id in delivery_ids:
            await self.deliveries.enqueue(delivery_id)
        return closed
