"""Publishing drafts: the KB check first (shown to the supervisor before anything reaches users), then one
transaction that writes the published entries through ``faq.store`` (which bumps the version
every process polls, so all matchers pick the change up within seconds), their extras and a revision each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from faq.kb import KbValidationError, entry_to_row, parse_kb_rows
from faq.store import replace_entries_in
from knowledge.content import EntryContent
from knowledge.drafts import Actor, DraftView, KbActionError, draft_for, list_drafts, save_draft
from knowledge.lint import Finding, category_findings, check_kb
from knowledge.models import KbDraft
from knowledge.store import add_revision, latest_revisions, published, sync_outside_changes, write_details
from storage.models import KbVersion

Menu = Sequence[tuple[str, Sequence[str]]]
_CATEGORY_KINDS = ("empty_category", "unlisted_category")


@dataclass(frozen=True)
class PublishPlan:
    version: int
    drafts: list[DraftView]
    entries: list[EntryContent]  # the whole KB as it will be after publishing
    findings: list[Finding]  # the check's findings about what these drafts touch
    stale: list[DraftView]  # drafts written against a version that has since been replaced

    @property
    def changed(self) -> set[str]:
        return {view.draft.entry_id for view in self.drafts}


def apply_drafts(current: Sequence[EntryContent], drafts: Sequence[DraftView], month: str) -> list[EntryContent]:
    """The KB after the drafts: edits in place, new entries at the end, retired entries gone. Publishing
    an entry is a supervisor's review of it, so its review month becomes this month."""
    result = list(current)
    for view in drafts:
        position = next((i for i, c in enumerate(result) if c.id == view.draft.entry_id), None)
        if view.content is None:
            if position is not None:
                del result[position]
            continue
        content = replace(view.content, reviewed=month)
        if position is None:
            result.append(content)
        else:
            result[position] = content
    return result


def relevant(findings: Sequence[Finding], drafts: Sequence[DraftView], before: Sequence[Finding]) -> list[Finding]:
    """Findings about the drafted entries, and category findings these drafts cause (not those already there)."""
    ids = {view.draft.entry_id for view in drafts}
    existing = {(f.kind, f.text) for f in before}
    return [
        f
        for f in findings
        if (f.kind in _CATEGORY_KINDS and (f.kind, f.text) not in existing)
        or (f.kind not in _CATEGORY_KINDS and f.involves(ids))
    ]


async def plan_publish(
    session: AsyncSession, draft_ids: Sequence[int], menu: Menu, month: str, now: datetime
) -> PublishPlan:
    latest = await sync_outside_changes(session, now)
    chosen = [view for view in await list_drafts(session) if view.draft.id in set(draft_ids)]
    if not chosen:
        raise KbActionError("请选择要发布的草稿")
    version, current = await published(session)
    stale = [
        view
        for view in chosen
        if view.draft.base_revision != (latest[view.draft.entry_id].number if view.draft.entry_id in latest else 0)
    ]
    after = apply_drafts(current, chosen, month)
    try:
        parse_kb_rows([entry_to_row(c.to_faq_entry()) for c in after])
    except KbValidationError as exc:
        raise KbActionError(str(exc)) from None
    changed = {view.draft.entry_id for view in chosen}
    findings = await asyncio.to_thread(check_kb, [c.to_faq_entry() for c in after], menu, None, changed)
    before = category_findings([c.to_faq_entry() for c in current], menu)
    return PublishPlan(version, chosen, after, relevant(findings, chosen, before), stale)


@dataclass(frozen=True)
class Published:
    version: int
    entry_ids: list[str]


async def publish(
    session: AsyncSession,
    actor: Actor,
    draft_ids: Sequence[int],
    *,
    menu: Menu,
    month: str,
    now: datetime,
    acknowledged: bool,
    expected_version: int | None = None,
) -> Published:
    """Publish the drafts in the caller's transaction (commit is the caller's). ``acknowledged``: the
    supervisor has seen the check's findings; without it, findings refuse the publish."""
    if not actor.can("supervisor"):
        raise KbActionError("只有主管可以发布知识库的修改", 403)
    plan = await plan_publish(session, draft_ids, menu, month, now)
    if plan.stale:
        names = "、".join(view.draft.entry_id for view in plan.stale)
        raise KbActionError(f"{names} 在草稿之后又有新版本发布，请打开草稿核对后重新保存", 409)
    if expected_version is not None and plan.version != expected_version:
        raise KbActionError("知识库在您检查之后有了变化，请重新检查后再发布", 409)
    if plan.findings and not acknowledged:
        raise KbActionError("知识库检查发现问题：请先查看检查结果，确认后再发布", 409)
    # Only one publisher at a time: the version row is the lock (a concurrent publish finds it moved).
    bumped = await session.execute(
        update(KbVersion).where(KbVersion.id == 1, KbVersion.version == plan.version).values(version=plan.version + 1)
    )
    if plan.version and getattr(bumped, "rowcount", 1) != 1:
        raise KbActionError("知识库刚被他人发布，请重新检查后再发布", 409)
    version = await session.run_sync(lambda sync: replace_entries_in(sync, [c.to_faq_entry() for c in plan.entries]))
    by_id = {c.id: c for c in plan.entries}
    kept = [by_id[view.draft.entry_id] for view in plan.drafts if view.content is not None]
    retired = [view.draft.entry_id for view in plan.drafts if view.content is None]
    await write_details(session, kept, retired)
    latest = await latest_revisions(session)
    for view in plan.drafts:
        entry_id = view.draft.entry_id
        action = _revision_action(view)
        add_revision(
            session,
            latest,
            entry_id=entry_id,
            action=action,
            content=by_id.get(entry_id),
            author=view.draft.author,
            published_by=actor.username,
            now=now,
            note=view.draft.note,
        )
        await session.delete(await session.get(KbDraft, view.draft.id))
    try:
        await session.flush()
    except StaleDataError:  # a draft was saved again after this check read it: publish nothing
        raise KbActionError("有草稿在您检查之后又被修改，请重新检查后再发布", 409) from None
    return Published(version, [view.draft.entry_id for view in plan.drafts])


def _revision_action(view: DraftView) -> str:
    if view.content is None:
        return "retire"
    if view.draft.action in ("restore", "review"):
        return view.draft.action
    return "edit" if view.current is not None else "create"


async def mark_reviewed(
    session: AsyncSession, actor: Actor, entry_id: str, *, menu: Menu, month: str, now: datetime
) -> Published:
    """A supervisor confirms an entry is still right as it stands: a revision with this month's review."""
    if not actor.can("supervisor"):
        raise KbActionError("只有主管可以确认审核", 403)
    if await draft_for(session, entry_id) is not None:
        raise KbActionError("这条问答有待发布的草稿：请先发布或放弃草稿", 409)
    _, current = await published(session)
    found = next((c for c in current if c.id == entry_id), None)
    if found is None:
        raise KbActionError(f"知识库中没有 id 为 {entry_id} 的问答", 404)
    draft = await save_draft(session, actor, found, now, action="review", note="复核无误")
    return await publish(session, actor, [draft.id], menu=menu, month=month, now=now, acknowledged=True)
