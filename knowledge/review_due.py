"""Review-due entries of the published KB, for the console, the CLI and the weekly notice."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.review import ReviewDue, all_review_due
from knowledge.store import published


async def published_review_due(session: AsyncSession, now: datetime, tz: tzinfo, months: int) -> list[ReviewDue]:
    _, entries = await published(session)
    return all_review_due(entries, now.astimezone(tz).date(), months)


def this_month(now: datetime, tz: tzinfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m")
