"""The weekly notice to supervisors: how many entries are past their policy's expiry or overdue for review.

Sent through staff's one "tell staff" path (console notification, plus the staff template message when
configured), once per ISO week: the notification's unique key is the week, so several processes sweeping
at once write it once, and a process started mid-week still sends that week's notice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.review_due import published_review_due
from staff.models import Notification
from staff.notifications import StaffNotifier, WeChatPush

NOTICE_KIND = "kb_review_due"
SEND_FROM = time(9, 0)  # Monday morning, local time


def week_key(now: datetime, tz: tzinfo) -> str:
    year, week, _ = now.astimezone(tz).isocalendar()
    return f"kb-review-due:{year}-W{week:02d}"


def due_this_week(now: datetime, tz: tzinfo) -> bool:
    """From Monday 09:00 on: earlier in the week's first morning, wait."""
    local = now.astimezone(tz)
    return local.weekday() > 0 or local.time() >= SEND_FROM


def notice_text(count: int, expired: int) -> str:
    parts = f"其中 {expired} 条的政策依据已失效，" if expired else ""
    return f"知识库有 {count} 条问答需要审核：{parts}请在“知识库”页按“待审核”筛选后处理。"


async def send_weekly_notice(
    sessions: async_sessionmaker[AsyncSession],
    notifier: StaffNotifier,
    enqueue: Callable[[int], Awaitable[object]],
    now: datetime,
    tz: tzinfo,
    months: int,
) -> bool:
    """Returns whether a notice was written now."""
    if not due_this_week(now, tz):
        return False
    key = week_key(now, tz)
    async with sessions() as session:
        if await session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
            return False
        due = await published_review_due(session, now, tz, months)
        if not due:
            return False
        expired = sum(1 for d in due if "expired" in d.reasons)
        text = notice_text(len(due), expired)
        ids = await notifier.tell(
            session,
            recipient="role:supervisor",
            kind=NOTICE_KIND,
            text=text,
            now=now,
            key=key,
            level="warning" if expired else "info",
            push=WeChatPush(
                key=key,
                purpose="staff_kb_review",
                path="/console/faq?review=due",
                matter=f"知识库有{len(due)}条待审核",
            ),
        )
        try:
            await session.commit()
        except IntegrityError:  # another process wrote this week's notice first
            await session.rollback()
            return False
    for delivery_id in ids:
        await enqueue(delivery_id)
    return True
