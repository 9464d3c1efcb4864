"""合并: a supervisor merges a duplicate into another ticket of the same user.

The duplicate's question becomes a user message on the other ticket (at the time it was asked) and its whole
conversation (additions, context, notes, answers, and the files users sent and staff attached: whatever
``MOVED_WITH_THE_CONVERSATION`` lists) moves there; the duplicate is closed with ``merged_into`` naming the
ticket it went into. Both keep their numbers, and both audit trails say what happened. A merged ticket counts
nowhere in the figures: its question is counted once, in the ticket it was merged into.

If the duplicate was still waiting for an answer and the other ticket had been answered or closed, that
ticket opens again (the user's question there is unanswered now), due when the duplicate was due.

Files move by their rows: a file the duplicate's question itself was (no thread line of its own) goes under the
line the question becomes. A download still pending finishes on the ticket merged into, since the download job
finds its row by id, and a redelivered WeChat message finds its file there by its message key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from staff.errors import NotAllowed, StaffActionError
from staff.roles import Actor
from tickets.actions import _flush_or_conflict, ticket_event
from tickets.attachment_models import Attachment
from tickets.detail import get_ticket
from tickets.models import Ticket, TicketMessage

# Tables whose rows belong to a ticket's conversation (a ``ticket_id`` column) and move with it.
MOVED_WITH_THE_CONVERSATION: tuple[Any, ...] = (TicketMessage, Attachment)
WAITING_FOR_AN_ANSWER = ("open", "waiting")


async def merge_tickets(session: AsyncSession, number: str, into: str, actor: Actor, now: datetime) -> Ticket:
    """Merge ticket ``number`` (the duplicate) into ticket ``into``; returns the ticket merged into."""
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以合并工单")
    into = into.strip()
    if not into:
        raise StaffActionError("请填写要合并到的工单编号")
    if into == number:
        raise StaffActionError("不能把工单合并到它自己")
    duplicate = await get_ticket(session, number)
    target = await get_ticket(session, into)
    if duplicate.merged_into:
        raise StaffActionError(f"工单 {number} 已经合并到 {duplicate.merged_into}")
    if target.merged_into:
        raise StaffActionError(f"工单 {into} 已经合并到 {target.merged_into}，请合并到该工单")
    if duplicate.openid != target.openid:
        raise StaffActionError("只能合并同一用户的工单")

    question = TicketMessage(
        ticket_id=duplicate.id,  # moves with the rest below
        kind="user",
        author=duplicate.openid,
        body=duplicate.question,
        created_at=duplicate.created_at,
    )
    session.add(question)
    await session.flush()
    # A file that was the duplicate's question is shown with its question: it goes under the line it became.
    await session.execute(
        update(Attachment)
        .where(Attachment.ticket_id == duplicate.id, Attachment.message_id.is_(None))
        .values(message_id=question.id)
    )
    files = int(
        await session.scalar(select(func.count()).select_from(Attachment).where(Attachment.ticket_id == duplicate.id))
        or 0
    )
    moved = 0
    for table in MOVED_WITH_THE_CONVERSATION:
        result = await session.execute(
            update(table).where(table.ticket_id == duplicate.id).values(ticket_id=target.id)
        )
        moved += result.rowcount or 0  # type: ignore[attr-defined]
    messages = moved - files  # the question's line included
    was = duplicate.state
    duplicate.state = "closed"
    duplicate.closed_at = now
    duplicate.merged_into = target.number
    session.add(
        ticket_event(duplicate, actor, "merged_into", now, {"ticket": target.number, "from": was, "attachments": files})
    )
    await _flush_or_conflict(session, duplicate)  # closes the duplicate first: one open ticket per user

    reopened = was in WAITING_FOR_AN_ANSWER and target.state not in WAITING_FOR_AN_ANSWER
    detail: dict[str, Any] = {"ticket": duplicate.number, "messages": messages, "attachments": files}
    if reopened:
        detail["reopened_from"] = target.state
        target.state = "open"
        target.closed_at = None
        target.due_at = duplicate.due_at
        target.due_provisional = duplicate.due_provisional
        target.reopen_count = (target.reopen_count or 0) + 1
    session.add(ticket_event(target, actor, "merged_from", now, detail))
    await _flush_or_conflict(session, target)
    return target
