"""New tickets in a queue, as staff are told of them: the count of open tickets nobody has taken in the
queues a staff member works (the console's badge), a change marker the console polls to refresh the queue,
and a template message to the on-duty staff (值班, with a bound openid) of the queue a ticket arrives in:
派单 on arrival, 分派, 转办, or 退单 back to the dispatchers.

Nothing here commits; the returned delivery ids are enqueued by the caller after its commit (the webhook
once the message is closed, without holding its passive reply: ``HandlerContext.notices``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from staff.models import StaffUser
from staff.notifications import StaffNotifier, WeChatPush
from staff.roles import Actor
from tickets.department_store import departments_of
from tickets.models import Ticket, TicketEvent
from tickets.routing_models import DepartmentMember


async def _scope(session: AsyncSession, actor: Actor) -> list[Any] | None:
    """The WHERE terms of the queues ``actor`` works; None = every queue (supervisors)."""
    if actor.can("supervisor"):
        return None
    terms: list[Any] = []
    mine = await departments_of(session, actor.username)
    if mine:
        terms.append(Ticket.department.in_(mine))
    if actor.can("dispatcher"):
        terms.append(Ticket.department.is_(None))
    return terms


async def new_count(session: AsyncSession, actor: Actor) -> int:
    """Open tickets nobody has taken yet in the queues ``actor`` works (the badge beside 工单)."""
    scope = await _scope(session, actor)
    if scope == []:
        return 0
    query = select(func.count()).select_from(Ticket).where(Ticket.state == "open", Ticket.assignee.is_(None))
    if scope is not None:
        query = query.where(or_(*scope))
    return int(await session.scalar(query) or 0)


async def change_marker(session: AsyncSession) -> int:
    """Grows whenever any ticket changes (every change writes an audit event): the console refreshes its
    queue when it moves. One primary-key lookup."""
    return int(await session.scalar(select(func.max(TicketEvent.id))) or 0)


# Asked on every new ticket in the dispatchers' queue: built once (building it each time cost as much as
# running it).
_ON_DUTY_DISPATCHERS = (
    select(StaffUser.username, StaffUser.wechat_openid)
    .where(
        StaffUser.role == "dispatcher",
        StaffUser.active.is_(True),
        StaffUser.on_duty.is_(True),
        StaffUser.wechat_openid.is_not(None),
    )
    .order_by(StaffUser.username)
)


# And on every new ticket routed to a department: its members on duty, in one statement (reading every
# department's members and then their accounts was two, on every hand-over).
_ON_DUTY_MEMBERS = (
    select(StaffUser.username, StaffUser.wechat_openid)
    .join(DepartmentMember, DepartmentMember.username == StaffUser.username)
    .where(
        DepartmentMember.department == bindparam("department"),
        StaffUser.active.is_(True),
        StaffUser.on_duty.is_(True),
        StaffUser.wechat_openid.is_not(None),
    )
    .order_by(StaffUser.username)
)


async def _on_duty(session: AsyncSession, department: str | None) -> list[tuple[str, str]]:
    """(username, openid) of the active, on-duty staff with a bound openid who work ``department``'s queue
    (None: the dispatchers)."""
    if department is None:
        rows = await session.execute(_ON_DUTY_DISPATCHERS)
    else:
        rows = await session.execute(_ON_DUTY_MEMBERS, {"department": department})
    return [(str(name), str(openid)) for name, openid in rows.all()]


def arrival_matter(ticket: Ticket) -> str:
    """The template's 20-character ``thing``: e.g. "新留言Q20261201-0001待办理"."""
    return f"新留言{ticket.number}待办理"


async def tell_on_duty(notifier: StaffNotifier, session: AsyncSession, ticket: Ticket, now: datetime) -> list[int]:
    """A template message to the on-duty staff of the queue ``ticket`` is in now (its department's members,
    or the dispatchers when it has none). Keyed by the ticket, its queue and the moment, so a retried
    delivery is sent once while a later arrival in the same queue is told again.

    Without a staff template nothing is sent, so the on-duty staff are not looked up (a statement on every
    new ticket, for nothing)."""
    if not notifier.sends_templates:
        return []
    users = await _on_duty(session, ticket.department)
    if not users:
        return []
    text = f"新留言 {ticket.number} 已进入您所在的队列，请及时办理。"
    push = WeChatPush(
        key=f"ticket-arrival:{ticket.number}:{ticket.department or '-'}:{int(now.timestamp())}",
        purpose="staff_arrival",
        path=f"/console/tickets/{ticket.number}",
        ref=ticket.number,
        matter=arrival_matter(ticket),
    )
    return await notifier.push_to(session, users, push, text, now)
