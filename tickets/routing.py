"""Where a ticket is worked: 派单 on arrival by category, 分派 by the dispatcher, 转办 between departments,
退单 back to the dispatcher, and 转介 (referral) outside the federation, which closes the ticket with a
message telling the user where to go.

Who may move a ticket: its department's members and supervisors; the dispatcher for tickets no department
holds. Every move is a ``TicketEvent`` with the reason, which is the audit log shown on the ticket. Nothing
here commits; the caller does (and enqueues a referral's delivery after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from staff.errors import NotAllowed, StaffActionError
from staff.roles import Actor
from tickets.actions import AnswerOutcome, _flush_or_conflict, answer_ticket
from tickets.department_store import departments_of, load_book
from tickets.departments import DepartmentBook, DepartmentConfigError
from tickets.detail import get_ticket
from tickets.errors import AnswerConflict
from tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from tickets.answer_delivery import AnswerDelivery

MAX_REASON_CHARS = 500
MAX_REFERRAL_NOTE_CHARS = 500


def _reason(text: str, what: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise StaffActionError(f"请填写{what}")
    if len(text) > MAX_REASON_CHARS:
        raise StaffActionError(f"{what}最多 {MAX_REASON_CHARS} 个字")
    return text


def _event(ticket: Ticket, actor: str, action: str, at: datetime, detail: dict[str, Any]) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, actor=actor, action=action, detail=detail, at=at)


@dataclass(frozen=True)
class Arrival:
    """派单 for a ticket about to be stored: its department (None: the dispatcher's queue) and the audit event
    saying so (its ``action`` and ``detail``, written by the system after the ticket's ``created`` event).
    Decided before the ticket's INSERT, so the INSERT carries the department: routing the stored ticket
    afterwards was an UPDATE (and a version bump) and an event flushed apart, on every hand-over."""

    department: str | None
    action: str | None = None  # "routed", "routing_failed", or None (no department for the category)
    detail: dict[str, Any] = field(default_factory=dict)


async def route_arrival(session: AsyncSession, category: str | None, seed: Path) -> Arrival:
    """派单: a new ticket goes to the department its category belongs to, else stays with the dispatcher.

    A broken department document must not lose the user's question: the ticket then waits for the
    dispatcher, and the audit log says why.
    """
    try:
        book = await load_book(session, seed)
    except DepartmentConfigError as exc:
        return Arrival(None, "routing_failed", {"error": exc.message})
    code = book.route(category)
    if code is None:
        return Arrival(None)
    return Arrival(code, "routed", {"to": code, "category": category})


async def may_work(session: AsyncSession, actor: Actor, ticket: Ticket) -> bool:
    """Members of the ticket's department and supervisors; dispatchers for the dispatcher's queue."""
    if actor.can("supervisor"):
        return True
    if ticket.department is None:
        return actor.can("dispatcher")
    return ticket.department in await departments_of(session, actor.username)


async def _movable(session: AsyncSession, number: str, actor: Actor) -> Ticket:
    ticket = await get_ticket(session, number)
    if ticket.state == "closed":
        raise StaffActionError("工单已关闭，不能再派转")
    if not await may_work(session, actor, ticket):
        raise NotAllowed("只有本部门成员、分派员或主管可以派转此工单")
    return ticket


def _target(book: DepartmentBook, code: str) -> str:
    if book.department(code) is None:
        raise StaffActionError(f"没有代码为 {code} 的部门")
    return code


async def dispatch_ticket(
    session: AsyncSession, book: DepartmentBook, number: str, actor: Actor, department: str, now: datetime
) -> Ticket:
    """分派: the dispatcher sends a ticket from the dispatcher's queue to a department."""
    ticket = await _movable(session, number, actor)
    if ticket.department is not None:
        raise StaffActionError(f"工单已在{book.name_of(ticket.department)}，如需改派请使用“转办”")
    ticket.department = _target(book, department)
    ticket.assignee = None
    session.add(_event(ticket, actor.username, "dispatched", now, {"to": department}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def transfer_ticket(
    session: AsyncSession, book: DepartmentBook, number: str, actor: Actor, department: str, reason: str, now: datetime
) -> Ticket:
    """转办: to another department, with a reason; the receiving department chooses who handles it."""
    why = _reason(reason, "转办理由")
    ticket = await _movable(session, number, actor)
    if ticket.department is None:
        raise StaffActionError("工单尚未派单，请使用“分派”")
    if ticket.department == department:
        raise StaffActionError("工单已在该部门")
    previous = ticket.department
    ticket.department = _target(book, department)
    ticket.assignee = None
    session.add(_event(ticket, actor.username, "transferred", now, {"from": previous, "to": department, "reason": why}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def return_ticket(session: AsyncSession, number: str, actor: Actor, reason: str, now: datetime) -> Ticket:
    """退单: a department hands back a ticket it does not own, with a reason, to the dispatcher."""
    why = _reason(reason, "退单理由")
    ticket = await _movable(session, number, actor)
    if ticket.department is None:
        raise StaffActionError("工单不在任何部门，无需退单")
    previous = ticket.department
    ticket.department = None
    ticket.assignee = None
    session.add(_event(ticket, actor.username, "returned", now, {"from": previous, "reason": why}))
    await _flush_or_conflict(session, ticket)
    return ticket


def referral_text(guidance: str, note: str) -> str:
    """What the user reads: why we do not handle it, where to go, and any advice the staff member adds."""
    text = f"您反映的事项不属于侨联的办理范围，建议您：{guidance}"
    return f"{text}\n{note}" if note else text


async def refer_ticket(
    answers: AnswerDelivery,
    session: AsyncSession,
    book: DepartmentBook,
    number: str,
    actor: Actor,
    referral: str,
    note: str,
    version: int,
) -> AnswerOutcome:
    """转介: answer with where to go, then close; ``Ticket.referral`` counts it apart in the figures."""
    found = book.referral(referral)
    if found is None:
        raise StaffActionError(f"没有代码为 {referral} 的转介去向")
    note = note.strip()
    if len(note) > MAX_REFERRAL_NOTE_CHARS:
        raise StaffActionError(f"补充说明最多 {MAX_REFERRAL_NOTE_CHARS} 个字")
    ticket = await _movable(session, number, actor)
    if ticket.version != version:
        raise AnswerConflict(ticket)
    ticket.referral = found.code  # first, so the message says where to go and asks for no rating
    await _flush_or_conflict(session, ticket)
    outcome = await answer_ticket(answers, session, number, actor, referral_text(found.guidance, note), ticket.version)
    now = answers.clock.now()
    ticket = outcome.ticket
    ticket.state = "closed"
    ticket.closed_at = now
    session.add(_event(ticket, actor.username, "referred", now, {"referral": found.code, "name": found.name}))
    await _flush_or_conflict(session, ticket)
    return outcome
