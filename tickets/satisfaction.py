"""回访: the user rates the latest answer by replying 1 (满意), 2 (基本满意) or 3 (不满意), optionally with a
comment ("3 还是没说清楚材料"). 不满意 reopens the ticket for a supervisor with the comment.

The question is its own message after the answer: sent once a customer-service answer reached the user
(the 48-hour window is open then), or handed over right after an answer that waited for the user's next
message (``tickets.answer_delivery``). A bare digit only counts as a rating while an answered ticket of that user
waits for one, so it never steals a numbered FAQ choice (the choices are read first) or an ordinary "1".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faq.script import in_script
from tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from staff.notifications import StaffNotifier


RATING_LABELS = {1: "满意", 2: "基本满意", 3: "不满意"}
# The rating is asked with the answer and counted while the answer is this recent.
RATING_WITHIN = timedelta(days=7)
MAX_COMMENT_CHARS = 500
RATING_QUESTION = "请您对本次答复作出评价：回复 1 满意，2 基本满意，3 不满意（可在数字后附上意见）。"
# A digit alone, or followed by anything but another digit or a Latin letter ("12", "1a" are not ratings).
_RATING = re.compile(r"^\s*([123１２３])(?![0-9０-９A-Za-z])\s*[.、，,：:）)]?\s*(.*)$", re.S)
_FULLWIDTH = {"１": 1, "２": 2, "３": 3}


def parse_rating(text: str) -> tuple[int, str] | None:
    """(score, comment) when ``text`` is a rating reply: a 1/2/3 first, then anything as the comment."""
    found = _RATING.match(text)
    if found is None:
        return None
    digit = found.group(1)
    score = _FULLWIDTH.get(digit) or int(digit)
    comment = " ".join((found.group(2) or "").split())[:MAX_COMMENT_CHARS]
    return score, comment


async def ticket_awaiting_rating(session: AsyncSession, openid: str, now: datetime) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(
            Ticket.openid == openid,
            Ticket.state == "answered",
            Ticket.rating.is_(None),
            Ticket.answered_at >= now - RATING_WITHIN,
        )
        .order_by(Ticket.answered_at.desc())
        .limit(1)
    )


async def record_rating(
    notifier: StaffNotifier, session: AsyncSession, ticket: Ticket, score: int, comment: str, now: datetime
) -> tuple[str, list[int]]:
    """Store the rating; 不满意 reopens the ticket and tells supervisors. Returns (reply text in Simplified,
    delivery ids of staff template messages to enqueue after commit)."""
    ticket.rating = score
    ticket.rating_comment = comment or None
    ticket.rated_at = now
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor="user",
            action="rated",
            detail={"rating": score, "label": RATING_LABELS[score], "comment": comment},
            at=now,
        )
    )
    if score != 3:
        return "感谢您的评价！如还有其他问题，欢迎随时留言。", []
    other_open = await session.scalar(
        select(Ticket.id).where(Ticket.openid == ticket.openid, Ticket.state == "open", Ticket.id != ticket.id)
    )
    if other_open is None:
        ticket.state = "open"
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
        ticket.assignee = None
        ticket.reminded_at = ticket.escalated_at = None
        session.add(TicketEvent(ticket_id=ticket.id, actor="user", action="reopened_unsatisfied", detail=None, at=now))
    text = f"{ticket.number} 的用户对答复不满意" + (f"：{comment}" if comment else "") + "。请主管跟进。"
    ids = await notifier.tell(
        session, recipient="role:supervisor", kind="unsatisfied", text=text, now=now, ticket_id=ticket.id
    )
    return "很抱歉答复没能让您满意，我们已转主管跟进，会尽快再次答复您。", ids


def rating_reply(text: str, script: str) -> str:
    return in_script(text, script)
