"""Staff write drafts; a supervisor publishes them. A draft is one proposed version of one entry (or its
retirement); restoring an earlier version is a draft too, so every change passes the same review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from knowledge.content import EntryContent
from knowledge.editing import EditError, checked
from knowledge.models import KbDraft
from knowledge.store import published, revision, sync_outside_changes
from staff.errors import StaffActionError

DraftAction = Literal["save", "retire", "restore", "review"]


class Actor(Protocol):
    @property
    def username(self) -> str: ...

    def can(self, role: str) -> bool: ...


class KbActionError(StaffActionError):
    """A refused KB action, worded for staff; ``status`` is what the console answers with."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class DraftConflict(KbActionError):
    """Someone else saved this entry's draft after the form was opened (or at the same moment): nothing of
    theirs is overwritten, and the typed text goes back to the person on the page."""

    status = 409

    def __init__(self, entry_id: str, other: KbDraft | None) -> None:
        who = other.author if other is not None else "他人"
        super().__init__(
            f"{who} 在您打开此页之后保存了 {entry_id} 的草稿。您的修改尚未保存，仍在下面的表单中；"
            "请对照对方的草稿（见下方差异），确认后再保存。"
        )
        self.entry_id = entry_id
        self.other: dict[str, Any] | None = other.content if other is not None else None
        self.other_action = other.action if other is not None else None
        self.other_version = other.version if other is not None else 0


@dataclass(frozen=True)
class DraftView:
    draft: KbDraft
    content: EntryContent | None  # None for a retirement
    current: EntryContent | None  # the published version, None for a new entry


async def get_draft(session: AsyncSession, draft_id: int) -> KbDraft:
    draft = await session.get(KbDraft, draft_id)
    if draft is None:
        raise KbActionError("没有这份草稿（可能已发布或已放弃）", 404)
    return draft


async def draft_for(session: AsyncSession, entry_id: str) -> KbDraft | None:
    return await session.scalar(select(KbDraft).where(KbDraft.entry_id == entry_id))


async def list_drafts(session: AsyncSession) -> list[DraftView]:
    _, current = await published(session)
    by_id = {c.id: c for c in current}
    drafts = (await session.scalars(select(KbDraft).order_by(KbDraft.updated_at.desc()))).all()
    return [
        DraftView(d, EntryContent.from_json(d.content) if d.action != "retire" else None, by_id.get(d.entry_id))
        for d in drafts
    ]


async def save_draft(
    session: AsyncSession,
    actor: Actor,
    content: EntryContent,
    now: datetime,
    *,
    action: DraftAction = "save",
    note: str = "",
    new_entry: bool = False,
    expected_version: int | None = None,
) -> KbDraft:
    """Store (or replace) the entry's draft. ``new_entry``: refuse an id that is already published.

    ``expected_version``: the draft version the editor's form showed (0: there was no draft); a draft saved
    by anyone since is a ``DraftConflict``. Two saves at the same moment are one too, whatever the caller
    passes: the second INSERT meets the unique entry id, the second UPDATE a version already moved on."""
    try:
        content = checked(content)
    except EditError as exc:
        raise KbActionError(exc.message) from None
    try:
        latest = await sync_outside_changes(session, now)
    except IntegrityError:  # another save recorded the same outside change at this moment
        await session.rollback()
        raise KbActionError("知识库正被他人同时修改，您的修改尚未保存，仍在表单中：请再点一次“保存草稿”", 409) from None
    _, current = await published(session)
    exists = any(c.id == content.id for c in current)
    if new_entry and exists:
        raise KbActionError(f"已有 id 为 {content.id} 的问答，请换一个 id")
    if action == "retire" and not exists:
        raise KbActionError(f"知识库中没有 id 为 {content.id} 的问答", 404)
    base = latest[content.id].number if content.id in latest else 0
    draft = await draft_for(session, content.id)
    if new_entry and draft is not None and draft.author != actor.username:
        raise KbActionError(f"{draft.author} 已有 id 为 {content.id} 的新建草稿，请换一个 id", 409)
    if expected_version is not None and (draft.version if draft is not None else 0) != expected_version:
        raise DraftConflict(content.id, draft)
    if draft is None:
        draft = KbDraft(entry_id=content.id, created_at=now)
        session.add(draft)
    draft.action = action
    draft.content = content.to_json()
    draft.base_revision = base
    draft.note = note.strip()
    draft.author = actor.username
    draft.updated_at = now
    await _flush_or_conflict(session, content.id)
    return draft


async def _flush_or_conflict(session: AsyncSession, entry_id: str) -> None:
    try:
        await session.flush()
    except (IntegrityError, StaleDataError):
        # The other save won: report it as it now stands (read after the rollback, in a fresh transaction).
        await session.rollback()
        raise DraftConflict(entry_id, await draft_for(session, entry_id)) from None


async def retire_draft(session: AsyncSession, actor: Actor, entry_id: str, now: datetime, note: str = "") -> KbDraft:
    _, current = await published(session)
    found = next((c for c in current if c.id == entry_id), None)
    if found is None:
        raise KbActionError(f"知识库中没有 id 为 {entry_id} 的问答", 404)
    return await save_draft(session, actor, found, now, action="retire", note=note or "下线")


async def restore_draft(session: AsyncSession, actor: Actor, entry_id: str, number: int, now: datetime) -> KbDraft:
    """A draft that brings back revision ``number`` of the entry (published or retired since)."""
    old = await revision(session, entry_id, number)
    if old is None or old.content is None:
        raise KbActionError(f"{entry_id} 没有可恢复的第 {number} 版", 404)
    return await save_draft(
        session, actor, EntryContent.from_json(old.content), now, action="restore", note=f"恢复到第 {number} 版"
    )


async def discard_draft(session: AsyncSession, actor: Actor, draft_id: int) -> None:
    draft = await get_draft(session, draft_id)
    if draft.author != actor.username and not actor.can("supervisor"):
        raise KbActionError("只有草稿作者或主管可以放弃这份草稿", 403)
    await session.delete(draft)
    try:
        await session.flush()
    except StaleDataError:
        raise KbActionError("这份草稿刚被修改过，请刷新后再决定是否放弃", 409) from None


async def content_to_extend(session: AsyncSession, entry_id: str) -> EntryContent:
    """The entry as a new 相似问 should be added to it: its pending draft if there is one (so that edit is kept),
    else the published entry; an entry waiting to be retired or not in the KB is refused."""
    existing = await draft_for(session, entry_id)
    if existing is not None and existing.action == "retire":
        raise KbActionError("这条问答有待发布的下线草稿，不能再添加相似问", 409)
    if existing is not None:
        return EntryContent.from_json(existing.content)
    _, current = await published(session)
    found = next((c for c in current if c.id == entry_id), None)
    if found is None:
        raise KbActionError(f"知识库中没有 id 为 {entry_id} 的问答", 404)
    return found
