"""What the bot missed, from the stored message log: the groups the console shows, the statistics-page
figures, and turning a group into 相似问 or a new entry's draft."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.content import EntryContent
from knowledge.drafts import Actor, KbActionError, content_to_extend, save_draft
from knowledge.missed import (
    Exchange,
    KbFigures,
    LogRow,
    Missed,
    MissedGroup,
    exchanges,
    exclude_resolved,
    fold,
    group_missed,
    kb_figures,
    missed_messages,
    week_start,
)
from knowledge.models import KbMissedResolved
from storage.models import MessageLog

HumanRequest = Callable[[str], bool]


def weeks_back(now: datetime, tz: tzinfo, weeks: int) -> list[date]:
    current = week_start(now, tz)
    return [current - timedelta(days=7 * back) for back in range(weeks - 1, -1, -1)]


def conversation_query(since: datetime) -> Select[Any]:
    """The log rows the missed page reads: a time window, which ``ix_message_log_created`` serves (the page is
    read on every view; tests/knowledge/test_kb_missed_query.py checks both backends' plans use the index)."""
    return select(
        MessageLog.openid,
        MessageLog.direction,
        MessageLog.record_key,
        MessageLog.content,
        MessageLog.meta,
        MessageLog.created_at,
        MessageLog.msg_type,
    ).where(
        MessageLog.created_at >= since,
        or_(MessageLog.msg_type.in_(("text", "voice")), MessageLog.direction == "out"),
        MessageLog.record_key.is_not(None),
    )


async def conversation_since(session: AsyncSession, since: datetime) -> list[Exchange]:
    """Inbound texts and the bot's passive replies since ``since``, paired (see ``missed.exchanges``)."""
    rows = (await session.execute(conversation_query(since))).all()
    return exchanges(
        LogRow(r.openid, r.direction, r.record_key, r.content, r.meta, r.created_at, r.msg_type) for r in rows
    )


async def resolved_texts(session: AsyncSession) -> dict[str, datetime]:
    return {row.text_key: row.resolved_at for row in (await session.scalars(select(KbMissedResolved))).all()}


@dataclass(frozen=True)
class MissedReport:
    weeks: list[date]
    groups: list[MissedGroup]
    figures: KbFigures


async def missed_report(
    session: AsyncSession, now: datetime, tz: tzinfo, *, weeks: int, human_window: timedelta, is_human: HumanRequest
) -> MissedReport:
    week_list = weeks_back(now, tz, weeks)
    since = datetime.combine(week_list[0], datetime.min.time(), tzinfo=tz)
    conversation = await conversation_since(session, since)
    missed = missed_messages(conversation, is_human, human_window)
    figures = kb_figures(conversation, missed, week_list, tz)
    open_missed = exclude_resolved(missed, await resolved_texts(session))
    return MissedReport(week_list, group_missed(open_missed), figures)


def find_group(groups: Sequence[MissedGroup], text: str) -> MissedGroup:
    """A group by its representative wording (what the page links with)."""
    for group in groups:
        if fold(group.text) == fold(text):
            return group
    raise KbActionError("这一组已处理或已不在列表中", 404)


async def mark_resolved(
    session: AsyncSession, texts: Sequence[str], entry_id: str, actor: Actor, now: datetime
) -> None:
    for text in {fold(t): t for t in texts if fold(t)}:
        row = await session.get(KbMissedResolved, text[:400])
        if row is None:
            row = KbMissedResolved(text_key=text[:400])
            session.add(row)
        row.entry_id, row.resolved_by, row.resolved_at = entry_id, actor.username, now
    await session.flush()


async def add_as_similar(
    session: AsyncSession, actor: Actor, entry_id: str, texts: Sequence[str], now: datetime
) -> EntryContent:
    """Draft the entry with the group's wordings as new 相似问 (on top of the entry's existing draft, if any)."""
    base = await content_to_extend(session, entry_id)
    known = {fold(p) for p in (base.question, *base.similar)}
    added = [t for t in dict.fromkeys(" ".join(t.split()) for t in texts) if t and fold(t) not in known]
    if not added:
        raise KbActionError("这些问法已经都在这条问答中")
    content = replace(base, similar=(*base.similar, *added))
    note = f"从“机器人没答好的问题”添加 {len(added)} 个相似问"
    await save_draft(session, actor, content, now, action="save", note=note)
    await mark_resolved(session, texts, entry_id, actor, now)
    return content


async def ticket_answers(session: AsyncSession, numbers: Sequence[str]) -> list[str]:
    """Staff answers of the group's tickets, newest first: a new entry's answer starts from one of them."""
    if not numbers:
        return []
    from tickets.models import Ticket  # the help desk's table; only read here

    rows = await session.scalars(
        select(Ticket.answer)
        .where(Ticket.number.in_(list(numbers)), Ticket.answer.is_not(None))
        .order_by(Ticket.answered_at.desc())
    )
    return [answer for answer in rows.all() if answer]


def missed_for_texts(groups: Sequence[MissedGroup], texts: Sequence[str]) -> list[Missed]:
    keys = {fold(t) for t in texts}
    return [m for g in groups for m in g.members if fold(m.text) in keys]
