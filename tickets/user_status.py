"""查询: the user's own view of their latest tickets (number, state, when an answer is due or came)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers import texts
from handlers.context import Reply
from tickets.intake import today
from tickets.models import Ticket
from tickets.sla import format_due_zh

STATE_ZH = texts.STATE_NAMES
SHOWN = 5


async def status_reply(session: AsyncSession, openid: str, now: datetime) -> Reply:
    tickets = (
        await session.scalars(
            select(Ticket).where(Ticket.openid == openid).order_by(Ticket.created_at.desc()).limit(SHOWN)
        )
    ).all()
    if not tickets:
        return Reply(texts.STATUS_NONE, meta={"decision": "status"})
    lines = [texts.STATUS_HEADER]
    for ticket in tickets:
        line = f"{ticket.number}：{STATE_ZH.get(ticket.state, ticket.state)}"
        if ticket.state == "open":
            line += f"，预计{format_due_zh(ticket.due_at, today(now))}前答复"
        elif ticket.answered_at is not None:
            line += f"，{format_due_zh(ticket.answered_at, today(now))}已答复"
        lines.append(f"{line}\n  问题：{_clip(ticket.question)}")
    return Reply("\n".join(lines), meta={"decision": "status", "tickets": [t.number for t in tickets]})


async def has_any_ticket(session: AsyncSession, openid: str) -> bool:
    found = await session.scalar(select(Ticket.id).where(Ticket.openid == openid).limit(1))
    return found is not None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
