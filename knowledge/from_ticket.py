"""A ticket's answer proposed for the knowledge base: a new entry drafted from it, or its question drafted as
a 相似问 of an entry. Either is a draft like any other KB change: it shows in the drafts list, passes the KB
check and reaches users only when a supervisor publishes it (with the ticket's staff member as its author).
The ticket's audit trail records the proposal."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.content import EntryContent
from knowledge.drafts import Actor, KbActionError, content_to_extend, save_draft
from knowledge.review_due import this_month
from tickets.actions import ticket_event
from tickets.detail import get_ticket

FaqMode = Literal["new", "similar"]


@dataclass(frozen=True)
class Proposed:
    entry_id: str
    draft_id: int


def faq_id_for(ticket_number: str) -> str:
    return "ticket-" + ticket_number.lower()


async def _with_similar(session: AsyncSession, entry_id: str, question: str) -> EntryContent:
    """The entry (its pending draft if there is one, so that edit is kept) with ``question`` as a 相似问."""
    base = await content_to_extend(session, entry_id)
    if question == base.question or question in base.similar:
        raise KbActionError("该问法已经在这条问答中")
    return replace(base, similar=(*base.similar, question))


async def propose_from_ticket(
    session: AsyncSession,
    number: str,
    actor: Actor,
    mode: FaqMode,
    *,
    now: datetime,
    tz: tzinfo,
    faq_id: str | None = None,
    question: str | None = None,
    answer: str | None = None,
    category: str | None = None,
) -> Proposed:
    """Draft the ticket's answer as a new entry (``new``) or its question as a 相似问 of ``faq_id``
    (``similar``), in the caller's transaction; the ticket's trail notes the draft."""
    ticket = await get_ticket(session, number)
    wording = " ".join((question or ticket.question or "").split())
    if not wording:
        raise KbActionError("问题不能为空")
    source = f"来自工单 {ticket.number}"
    if mode == "new":
        text = (answer or ticket.answer or "").strip()
        if not text:
            raise KbActionError("工单还没有答复，无法生成问答")
        content = EntryContent(
            id=faq_id_for(ticket.number),
            category=(category or ticket.category or "其他").strip() or "其他",
            question=wording,
            answer=text,
            reviewed=this_month(now, tz),
        )
        draft = await save_draft(session, actor, content, now, new_entry=True, note=source)
    else:
        target = (faq_id or "").strip()
        if not target:
            raise KbActionError("请选择要加相似问的问答")
        content = await _with_similar(session, target, wording)
        draft = await save_draft(session, actor, content, now, note=f"{source}：添加相似问“{wording}”")
    action = "faq_drafted" if mode == "new" else "faq_similar_drafted"
    session.add(ticket_event(ticket, actor, action, now, {"faq_id": content.id, "draft_id": draft.id}))
    await session.flush()
    return Proposed(content.id, draft.id)
