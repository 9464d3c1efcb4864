"""What staff do to a ticket: answer it, add a note, assign, close and reopen it.

The console's pages and its JSON API both call these, so a rule (who may assign, when an answer conflicts)
holds the same on both. Nothing here commits: the caller commits, and only then enqueues the deliveries an
answer produced, so a send can never leave for an answer that was rolled back. Every change writes a
``TicketEvent`` with the staff member and the time, which is the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from staff.errors import NotAllowed, StaffActionError
from staff.models import StaffUser
from staff.roles import Actor
from tickets.detail import get_ticket
from tickets.errors import AnswerConflict
from tickets.models import Ticket, TicketEvent, TicketMessage

if TYPE_CHECKING:
    from delivery.service import DeliveryService
    from tickets.answer_delivery import AnswerDelivery

# WeChat cuts a text message at 2048 bytes; the answer is wrapped in a greeting and the ticket number.
MAX_ANSWER_BYTES = 1800
MAX_NOTE_CHARS = 4000


def ticket_event(
    ticket: Ticket, actor: Actor, action: str, at: datetime, detail: dict[str, Any] | None = None
) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, actor=actor.username, action=action, detail=detail, at=at)


async def _flush_or_conflict(session: AsyncSession, ticket: Ticket) -> None:
    """Write the change; if another transaction bumped the version first, report its content instead."""
    number = ticket.number  # read now: a failed flush leaves the instance unreadable until rollback
    try:
        await session.flush()
    except StaleDataError:
        await session.rollback()
        raise AnswerConflict(await get_ticket(session, number)) from None


def check_answer_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise StaffActionError("答复内容不能为空")
    if len(text.encode("utf-8")) > MAX_ANSWER_BYTES:
        raise StaffActionError(
            f"答复过长：微信单条消息约 {MAX_ANSWER_BYTES} 字节（约 {MAX_ANSWER_BYTES // 3} 个汉字），请精简后再发送"
        )
    return text


@dataclass(frozen=True)
class AnswerOutcome:
    ticket: Ticket
    delivery_ids: list[int]


async def answer_ticket(
    answers: AnswerDelivery, session: AsyncSession, number: str, actor: Actor, text: str, version: int
) -> AnswerOutcome:
    """Store a staff answer and record its delivery; ``version`` is the one the staff member saw.

    A stale ``version`` raises ``AnswerConflict`` with the ticket as it is now: the staff member sees the
    other answer and decides, so nothing is overwritten silently. The caller commits, then enqueues
    ``delivery_ids``.
    """
    text = check_answer_text(text)
    now = answers.clock.now()
    ticket = await get_ticket(session, number)
    if ticket.version != version:
        raise AnswerConflict(ticket)
    if ticket.state == "closed":
        raise StaffActionError("工单已关闭；如需再次答复，请先重新打开")
    corrected = ticket.answer is not None
    ticket.answer = text
    ticket.answered_by = actor.username
    ticket.answered_at = now
    if ticket.first_answered_at is None:
        ticket.first_answered_at = now
    ticket.state = "answered"
    if ticket.assignee is None:
        ticket.assignee = actor.username
    session.add(TicketMessage(ticket_id=ticket.id, kind="answer", author=actor.username, body=text, created_at=now))
    session.add(ticket_event(ticket, actor, "answer_corrected" if corrected else "answered", now, {"version": version}))
    await _flush_or_conflict(session, ticket)
    delivery_ids = await answers.schedule(session, ticket)
    await session.flush()
    return AnswerOutcome(ticket, delivery_ids)


async def commit_and_enqueue(
    deliveries: DeliveryService, session: AsyncSession, delivery_ids: Iterable[int]
) -> None:
    """Commit, then hand the deliveries to the queue (the sweeper re-enqueues if we die in between)."""
    await session.commit()
    for delivery_id in delivery_ids:
        await deliveries.enqueue(delivery_id)


async def add_note(session: AsyncSession, number: str, actor: Actor, body: str, now: datetime) -> TicketMessage:
    """An internal note: seen by staff only, never sent. It does not change the ticket (nor its version)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise StaffActionError("备注内容不能为空")
    if len(body) > MAX_NOTE_CHARS:
        raise StaffActionError(f"备注不能超过 {MAX_NOTE_CHARS} 个字符")
    ticket = await get_ticket(session, number)
    note = TicketMessage(ticket_id=ticket.id, kind="note", author=actor.username, body=body, created_at=now)
    session.add(note)
    session.add(ticket_event(ticket, actor, "note", now))
    await session.flush()
    return note


async def assign_ticket(
    session: AsyncSession, number: str, actor: Actor, assignee: str | None, now: datetime
) -> Ticket:
    """Staff take a ticket or give it up; only supervisors hand tickets to someone else."""
    assignee = assignee or None
    ticket = await get_ticket(session, number)
    if not actor.can("supervisor"):
        own = assignee == actor.username or (assignee is None and ticket.assignee == actor.username)
        if not own:
            raise NotAllowed("只有主管可以把工单分派给其他人")
    if assignee is not None:
        target = await session.scalar(select(StaffUser).where(StaffUser.username == assignee))
        if target is None or not target.active:
            raise StaffActionError(f"没有可用的工作人员账号 {assignee}")
    if ticket.assignee == assignee:
        return ticket
    previous = ticket.assignee
    ticket.assignee = assignee
    session.add(ticket_event(ticket, actor, "assigned", now, {"from": previous, "to": assignee}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def close_ticket(session: AsyncSession, number: str, actor: Actor, now: datetime) -> Ticket:
    ticket = await get_ticket(session, number)
    if ticket.state == "closed":
        raise StaffActionError("工单已经是关闭状态")
    previous = ticket.state
    ticket.state = "closed"
    ticket.closed_at = now
    session.add(ticket_event(ticket, actor, "closed", now, {"from": previous}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def reopen_ticket(session: AsyncSession, number: str, actor: Actor, now: datetime) -> Ticket:
    """Back to open; the due time stays the promise made to the user, so a late ticket shows as late."""
    ticket = await get_ticket(session, number)
    if ticket.state == "open":
        raise StaffActionError("工单已经是待处理状态")
    other = await session.scalar(
        select(Ticket.number).where(Ticket.openid == ticket.openid, Ticket.state == "open", Ticket.id != ticket.id)
    )
    if other is not None:  # one open ticket per user (a unique index): continue in that one instead
        raise StaffActionError(f"该用户已有待处理的工单 {other}，请在该工单中继续处理")
    previous = ticket.state
    ticket.state = "open"
    ticket.closed_at = None
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    session.add(ticket_event(ticket, actor, "reopened", now, {"from": previous}))
    await _flush_or_conflict(session, ticket)
    return ticket
