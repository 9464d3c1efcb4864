"""Drafts, publishing, history and restore against the real database (SQLite, and PostgreSQL in the server
round): what staff save stays a draft, what a supervisor publishes reaches the matcher, every published
version is kept and any one can be brought back, and changes made outside the console join the history."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from faq.kb import load_kb
from faq.store import replace_entries
from knowledge.content import EntryContent, PolicySource
from knowledge.drafts import KbActionError, list_drafts, restore_draft, retire_draft, save_draft
from knowledge.history import diff
from knowledge.menu import menu_categories
from knowledge.models import KbRevision
from knowledge.publishing import mark_reviewed, plan_publish, publish
from knowledge.store import entry_history, published

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"
MONTH = "2026-11"


@dataclass(frozen=True)
class Person:
    username: str
    role: str

    def can(self, role: str) -> bool:
        order = ("staff", "supervisor", "admin")
        return order.index(self.role) >= order.index(role)


ALICE = Person("alice", "staff")
SAM = Person("sam", "supervisor")


@pytest.fixture
async def kb(services):  # type: ignore[no-untyped-def]
    replace_entries(load_kb(KB_SMALL), url=services.settings.database_url)
    await services.knowledge.refresh()
    return services


async def _entry(session, entry_id: str) -> EntryContent:  # type: ignore[no-untyped-def]
    _, entries = await published(session)
    return next(e for e in entries if e.id == entry_id)


async def _publish(session, ids, **kw):  # type: ignore[no-untyped-def]
    now = kw.pop("now")
    return await publish(
        session, SAM, ids, menu=menu_categories(), month=MONTH, now=now, acknowledged=kw.pop("ack", False)
    )


async def test_edit_is_a_draft_until_a_supervisor_publishes_then_restore(kb) -> None:  # type: ignore[no-untyped-def]
    services = kb
    now = services.clock.now()
    new_answer = "请先报警，再通过“中国领事”APP申请补发旅行证。"
    async with services.sessions() as session:
        old = await _entry(session, "passport-lost-abroad")
        edited = replace(old, answer=new_answer, source=PolicySource(authority="外交部", title="中国领事APP指南"))
        draft = await save_draft(session, ALICE, edited, now)
        await session.commit()
    await services.knowledge.refresh()
    assert new_answer not in services.knowledge.matcher.entry("passport-lost-abroad").answer  # still a draft

    async with services.sessions() as session:
        with pytest.raises(KbActionError) as refused:
            await publish(session, ALICE, [draft.id], menu=menu_categories(), month=MONTH, now=now, acknowledged=True)
        assert refused.value.status == 403
        await session.rollback()
    async with services.sessions() as session:
        result = await _publish(session, [draft.id], now=now)
        await session.commit()
    assert result.entry_ids == ["passport-lost-abroad"]
    assert await services.knowledge.refresh()
    assert services.knowledge.matcher.entry("passport-lost-abroad").answer == new_answer
    assert services.knowledge.matcher.entry("passport-lost-abroad").reviewed == MONTH

    async with services.sessions() as session:
        history = await entry_history(session, "passport-lost-abroad")
        assert [(r.number, r.action, r.author, r.published_by) for r in history] == [
            (2, "edit", "alice", "sam"),
            (1, "create", "（控制台之外）", "（控制台之外）"),
        ]
        changes = {
            c.field
            for c in diff(
                EntryContent.from_json(history[1].content or {}), EntryContent.from_json(history[0].content or {})
            )
        }
        assert changes == {"answer", "source"}  # reviewed stays 2026-11: published this month
        restored = await restore_draft(session, ALICE, "passport-lost-abroad", 1, now)
        await session.commit()
    async with services.sessions() as session:
        await _publish(session, [restored.id], now=now)
        await session.commit()
    await services.knowledge.refresh()
    assert services.knowledge.matcher.entry("passport-lost-abroad").answer == old.answer.strip()
    async with services.sessions() as session:
        latest = (await entry_history(session, "passport-lost-abroad"))[0]
        assert (latest.number, latest.action) == (3, "restore")
        assert (await _entry(session, "passport-lost-abroad")).source == PolicySource()
        assert await list_drafts(session) == []


async def test_outside_change_joins_history_and_makes_older_drafts_stale(kb) -> None:  # type: ignore[no-untyped-def]
    services = kb
    now = services.clock.now()
    async with services.sessions() as session:
        old = await _entry(session, "dual-nationality")
        draft = await save_draft(session, ALICE, replace(old, answer="草稿里的答案"), now)
        await session.commit()
    changed = [replace(e, answer="导入的新答案") if e.id == "dual-nationality" else e for e in load_kb(KB_SMALL)]
    replace_entries(changed, url=services.settings.database_url)  # `faq import`, outside the console
    async with services.sessions() as session:
        with pytest.raises(KbActionError) as stale:
            await _publish(session, [draft.id], now=now, ack=True)
        assert stale.value.status == 409 and "新版本" in stale.value.message
        await session.rollback()
    async with services.sessions() as session:
        await plan_publish(session, [draft.id], menu_categories(), MONTH, now)  # records the outside change
        await session.commit()
        history = await entry_history(session, "dual-nationality")
        assert [(r.number, r.action) for r in history] == [(2, "outside"), (1, "create")]
        assert EntryContent.from_json(history[0].content or {}).answer == "导入的新答案"


async def test_the_check_runs_before_publishing_and_needs_acknowledging(kb) -> None:  # type: ignore[no-untyped-def]
    services = kb
    now = services.clock.now()
    copy = EntryContent(
        id="passport-lost-again",
        category="出入境",
        question="护照丢了去哪里补办？",
        similar=("海外护照遗失补办",),  # already a 相似问 of passport-lost-abroad
        answer="请联系使领馆补办。",
    )
    async with services.sessions() as session:
        draft = await save_draft(session, ALICE, copy, now, new_entry=True)
        await session.commit()
    async with services.sessions() as session:
        plan = await plan_publish(session, [draft.id], menu_categories(), MONTH, now)
        assert ("same_phrasing", ("passport-lost-abroad", "passport-lost-again")) in {
            (f.kind, f.entry_ids) for f in plan.findings
        }
        with pytest.raises(KbActionError, match="检查"):
            await _publish(session, [draft.id], now=now)
        await session.rollback()
    async with services.sessions() as session:
        await _publish(session, [draft.id], now=now, ack=True)
        await session.commit()
    await services.knowledge.refresh()
    assert services.knowledge.matcher.entry("passport-lost-again").question == "护照丢了去哪里补办？"
    async with services.sessions() as session:
        with pytest.raises(KbActionError, match="已有 id"):
            await save_draft(session, ALICE, copy, now, new_entry=True)


async def test_retire_and_bring_back(kb) -> None:  # type: ignore[no-untyped-def]
    services = kb
    now = services.clock.now()
    async with services.sessions() as session:
        draft = await retire_draft(session, ALICE, "hotline-reply-time", now)
        await session.commit()
    async with services.sessions() as session:
        await _publish(session, [draft.id], now=now, ack=True)
        await session.commit()
    await services.knowledge.refresh()
    with pytest.raises(KeyError):
        services.knowledge.matcher.entry("hotline-reply-time")
    async with services.sessions() as session:
        history = await entry_history(session, "hotline-reply-time")
        assert [(r.number, r.action, r.content is None) for r in history] == [(2, "retire", True), (1, "create", False)]
        back = await restore_draft(session, ALICE, "hotline-reply-time", 1, now)
        await session.commit()
    async with services.sessions() as session:
        await _publish(session, [back.id], now=now, ack=True)
        await session.commit()
    await services.knowledge.refresh()
    assert services.knowledge.matcher.entry("hotline-reply-time").question == "留言后多久回复？"


async def test_review_due_lists_expired_and_stale_entries(kb, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    services = kb
    now = services.clock.now()
    async with services.sessions() as session:
        old = await _entry(session, "consular-protection")
        expiring = replace(old, source=PolicySource(authority="外交部", expires_on=date(2026, 11, 30)))
        draft = await save_draft(session, ALICE, expiring, now)
        await session.commit()
    async with services.sessions() as session:
        await _publish(session, [draft.id], now=now, ack=True)
        await session.commit()
    monkeypatch.setenv("QIAOBOT_DATABASE_URL", services.settings.database_url)
    from config.settings import get_settings

    get_settings.cache_clear()
    try:
        # The command runs its own event loop, so it runs in a thread, as it would in its own process.
        command = ["faq", "review-due", "--json", "--on", "2026-12-01"]
        result = await asyncio.to_thread(CliRunner().invoke, main, command)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in map(json.loads, result.output.splitlines())}
    # On 2026-12-01 the policy has lapsed: the expired entry is listed first with its reason.
    assert next(iter(rows)) == "consular-protection"
    assert rows["consular-protection"]["reasons"][0] == "expired"
    assert rows["consular-protection"]["expires_on"] == "2026-11-30"

    async with services.sessions() as session:
        await mark_reviewed(session, SAM, "dual-nationality", menu=menu_categories(), month="2027-01", now=now)
        await session.commit()
        reviewed = await _entry(session, "dual-nationality")
        assert reviewed.reviewed == "2027-01"
        kinds = (
            await session.scalars(select(KbRevision.action).where(KbRevision.entry_id == "dual-nationality"))
        ).all()
        assert sorted(kinds) == ["create", "review"]
