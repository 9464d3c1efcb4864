"""Supervisors turn a ticket's answer into a FAQ entry, or its question into a 相似问 of one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from faq.kb import FaqEntry, KbValidationError, parse_kb_rows
from faq.store import load_entries_async, replace_entries_in
from staff.errors import NotAllowed, StaffActionError
from staff.roles import Actor
from tickets.actions import ticket_event
from tickets.detail import get_ticket

FaqMode = Literal["new", "similar"]


def _kb_row(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "similar": list(entry.similar),
        "answer": entry.answer,
        "keywords": list(entry.keywords),
        "reviewed": entry.reviewed,
    }


def faq_id_for(ticket_number: str) -> str:
    return "ticket-" + ticket_number.lower()


def add_to_kb(
    entries: Sequence[FaqEntry],
    mode: FaqMode,
    *,
    question: str,
    answer: str,
    category: str,
    faq_id: str,
    reviewed: str,
) -> list[FaqEntry]:
    """The KB with a new entry, or with ``question`` added as a 相似问 of ``faq_id``; validated whole."""
    question = " ".join(question.split())
    if not question:
        raise StaffActionError("问题不能为空")
    result = list(entries)
    if mode == "new":
        if not answer.strip():
            raise StaffActionError("答案不能为空")
        result.append(
            FaqEntry(
                id=faq_id,
                category=category.strip() or "其他",
                question=question,
                similar=(),
                answer=answer.strip(),
                keywords=(),
                reviewed=reviewed,
            )
        )
    else:
        for index, entry in enumerate(result):
            if entry.id == faq_id:
                if question == entry.question or question in entry.similar:
                    raise StaffActionError("该问法已经在这条问答中")
                result[index] = FaqEntry(
                    id=entry.id,
                    category=entry.category,
                    question=entry.question,
                    similar=(*entry.similar, question),
                    answer=entry.answer,
                    keywords=entry.keywords,
                    reviewed=entry.reviewed,
                )
                break
        else:
            raise StaffActionError(f"知识库中没有 id 为 {faq_id} 的问答")
    try:
        return parse_kb_rows([_kb_row(entry) for entry in result])
    except KbValidationError as exc:
        raise StaffActionError(str(exc)) from None


async def answer_to_faq(
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
) -> str:
    """Supervisors turn an answered ticket into a FAQ entry or a 相似问; returns the entry's id.

    The KB is replaced in this transaction through ``faq.store`` (which bumps the version every
    process polls), so after commit every matcher picks it up.
    """
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以把答复加入知识库")
    ticket = await get_ticket(session, number)
    if mode == "new" and not (answer or ticket.answer):
        raise StaffActionError("工单还没有答复，无法生成问答")
    _, entries = await load_entries_async(session)
    target = faq_id_for(ticket.number) if mode == "new" else (faq_id or "")
    updated = add_to_kb(
        entries,
        mode,
        question=question or ticket.question,
        answer=answer or ticket.answer or "",
        category=category or ticket.category or "其他",
        faq_id=target,
        reviewed=now.astimezone(tz).strftime("%Y-%m"),
    )
    await session.run_sync(lambda sync_session: replace_entries_in(sync_session, updated))
    action = "faq_created" if mode == "new" else "faq_similar_added"
    session.add(ticket_event(ticket, actor, action, now, {"faq_id": target}))
    await session.flush()
    return target
