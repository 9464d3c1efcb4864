"""Two staff saving a draft of one entry at the same moment: the second is told (409, in Chinese, with the
other draft to compare), nothing of either is lost, and no save is a 500. Real concurrent transactions on the
test backend (SQLite here, PostgreSQL in the server round): both read before either writes, then both write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

import knowledge.drafts as drafts_module
from faq.kb import load_kb
from faq.store import replace_entries
from knowledge.content import EntryContent
from knowledge.drafts import DraftConflict, KbActionError, draft_for, save_draft
from knowledge.models import KbDraft
from knowledge.store import published, sync_outside_changes

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"
ENTRY = "passport-lost-abroad"


class Person:
    def __init__(self, username: str) -> None:
        self.username = username

    def can(self, role: str) -> bool:
        return role == "staff"


ALICE, BOB = Person("alice"), Person("bob")


@pytest_asyncio.fixture
async def services(make_services):  # type: ignore[no-untyped-def]
    svc = await make_services()
    replace_entries(load_kb(KB_SMALL), url=svc.settings.database_url)
    async with svc.sessions() as session:
        await sync_outside_changes(session, svc.clock.now())  # as any console page view does after an import
        await session.commit()
    return svc


async def _entry(services) -> EntryContent:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        _, entries = await published(session)
    return next(e for e in entries if e.id == ENTRY)


def _both_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each save after it has read the entry's draft until the other has read it too: both then write on
    what they read, as two requests in two processes do (the database, not the test, decides who wins)."""
    barrier = asyncio.Barrier(2)
    real = drafts_module.draft_for
    waited: set[asyncio.Task[Any] | None] = set()

    async def draft_for_then_wait(session: Any, entry_id: str) -> KbDraft | None:
        found = await real(session, entry_id)
        task = asyncio.current_task()
        if task not in waited:
            waited.add(task)
            await asyncio.wait_for(barrier.wait(), 20)
        return found

    monkeypatch.setattr(drafts_module, "draft_for", draft_for_then_wait)


async def _save(services, who: Person, content: EntryContent, expected: int | None) -> KbDraft | KbActionError:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        try:
            draft = await save_draft(session, who, content, services.clock.now(), expected_version=expected)
            await session.commit()
            return draft
        except KbActionError as exc:
            await session.rollback()
            return exc


async def _race(first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(first(), second()))


@pytest.mark.parametrize("expected", [0, None], ids=["form-version", "no-version"])
async def test_two_first_drafts_at_once_one_wins_the_other_is_told(services, monkeypatch, expected) -> None:  # type: ignore[no-untyped-def]
    entry = await _entry(services)
    alice_text, bob_text = (
        replace(entry, answer="李工的修改：先报警。"),
        replace(entry, answer="老王的修改：先联系使馆。"),
    )
    _both_read_first(monkeypatch)
    results = await _race(
        lambda: _save(services, ALICE, alice_text, expected), lambda: _save(services, BOB, bob_text, expected)
    )
    won = [r for r in results if isinstance(r, KbDraft)]
    lost = [r for r in results if isinstance(r, KbActionError)]
    assert len(won) == 1 and len(lost) == 1, results
    conflict = lost[0]
    assert isinstance(conflict, DraftConflict) and conflict.status == 409
    winner = won[0].author
    assert f"{winner} 在您打开此页之后保存了 {ENTRY} 的草稿" in conflict.message and "尚未保存" in conflict.message
    assert (
        conflict.other is not None
        and conflict.other["answer"] == (alice_text if winner == "alice" else bob_text).answer
    )
    async with services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(KbDraft)) == 1
        stored = await draft_for(session, ENTRY)
    assert stored is not None and stored.author == winner and stored.version == 1


async def test_two_saves_of_one_draft_at_once_cannot_overwrite_each_other(services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    entry = await _entry(services)
    first = await _save(services, ALICE, replace(entry, answer="第一版草稿。"), 0)
    assert isinstance(first, KbDraft) and first.version == 1
    _both_read_first(monkeypatch)
    results = await _race(
        lambda: _save(services, ALICE, replace(entry, answer="李工第二次修改。"), 1),
        lambda: _save(services, BOB, replace(entry, answer="老王同时修改。"), 1),
    )
    won = [r for r in results if isinstance(r, KbDraft)]
    lost = [r for r in results if isinstance(r, KbActionError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], DraftConflict) and lost[0].other_version == 2
    async with services.sessions() as session:
        stored = await draft_for(session, ENTRY)
    assert stored is not None and stored.version == 2 and stored.author == won[0].author
    assert stored.content["answer"] == ("李工第二次修改。" if won[0].author == "alice" else "老王同时修改。")


async def test_a_save_on_a_stale_form_is_refused_then_accepted_once_seen(services) -> None:  # type: ignore[no-untyped-def]
    entry = await _entry(services)
    assert isinstance(await _save(services, ALICE, replace(entry, answer="李工的草稿。"), 0), KbDraft)
    stale = await _save(services, BOB, replace(entry, answer="老王的草稿。"), 0)  # his form showed no draft
    assert isinstance(stale, DraftConflict) and stale.other_version == 1
    assert stale.other is not None and stale.other["answer"] == "李工的草稿。"
    again = await _save(services, BOB, replace(entry, answer="老王的草稿。"), stale.other_version)
    assert isinstance(again, KbDraft) and again.version == 2 and again.author == "bob"
