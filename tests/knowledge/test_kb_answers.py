"""Through the webhook: a published entry's 依据 line and hand-written Traditional answer reach users, the
optional feedback line and 有用/没用 replies, and what the bot missed (grouped from the message log) turned
into 相似问 so the next such message is answered."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest_asyncio

from faq.kb import load_kb
from faq.store import replace_entries
from handlers.answer_feedback import FEEDBACK_PROMPT, THANKS_UNHELPFUL
from handlers.commands import command_of
from knowledge.content import PolicySource
from knowledge.drafts import save_draft
from knowledge.menu import menu_categories
from knowledge.missed_log import add_as_similar, find_group, missed_report
from knowledge.publishing import publish
from knowledge.store import published

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"
HANT = "請先向當地警方報案，再透過「中國領事」App申請補發護照。（工作人員手寫）"


class Person:
    def __init__(self, username: str, role: str) -> None:
        self.username, self.role = username, role

    def can(self, role: str) -> bool:
        return self.role == "supervisor" or role == "staff"


SAM = Person("sam", "supervisor")


@pytest_asyncio.fixture
async def services(make_services):  # type: ignore[no-untyped-def]
    svc = await make_services(faq_feedback_prompt=True)
    replace_entries(load_kb(KB_SMALL), url=svc.settings.database_url)
    await svc.knowledge.refresh()
    return svc


async def _publish_change(services, entry_id: str, **changes) -> None:  # type: ignore[no-untyped-def]
    now = services.clock.now()
    async with services.sessions() as session:
        _, entries = await published(session)
        entry = next(e for e in entries if e.id == entry_id)
        draft = await save_draft(session, SAM, replace(entry, **changes), now)
        await publish(session, SAM, [draft.id], menu=menu_categories(), month="2026-11", now=now, acknowledged=True)
        await session.commit()
    assert await services.knowledge.refresh()


async def _report(services):  # type: ignore[no-untyped-def]
    await services.activity.flush()
    async with services.sessions() as session:
        return await missed_report(
            session,
            services.clock.now(),
            services.settings.tz,
            weeks=4,
            human_window=timedelta(minutes=10),
            is_human=lambda text: command_of(text) == "human",
        )


async def test_basis_line_handwritten_traditional_and_feedback(services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    source = PolicySource(
        authority="外交部", title="中国领事保护与协助指南", number="2023年版", effective_on=date(2023, 6, 1)
    )
    await _publish_change(services, "passport-lost-abroad", source=source, answer_hant=HANT)
    hans = wechat_user()
    reply = await hans.say("在国外护照丢了怎么办？")
    assert reply is not None
    assert "依据：外交部《中国领事保护与协助指南》（2023年版），2023年6月1日起施行" in reply
    assert reply.endswith(FEEDBACK_PROMPT)

    hant = wechat_user()
    reply = await hant.say("在國外護照丟了怎麼辦？")
    assert reply is not None and HANT in reply  # the hand-written text, not a conversion of the Simplified one
    assert "依據：外交部" in reply and "回覆 有用 / 沒用" in reply

    assert await hans.say("没用") == THANKS_UNHELPFUL
    report = await _report(services)
    unhelpful = [g for g in report.groups if "unhelpful" in g.kinds]
    assert [(g.text, g.faq_ids) for g in unhelpful] == [("在国外护照丢了怎么办？", ["passport-lost-abroad"])]


async def test_missed_group_becomes_similar_questions_and_the_next_one_is_answered(services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    asked = ["我的护照被小偷偷走了怎么办", "护照被小偷偷走了怎么办？"]
    for text in asked:
        reply = await wechat_user().say(text)
        assert reply is not None and not reply.startswith("【")  # not answered today: choices or a hand-over
    report = await _report(services)
    group = find_group(report.groups, "我的护照被小偷偷走了怎么办")
    assert group.count == 2 and set(group.texts) == set(asked)
    assert group.weekly(report.weeks, services.settings.tz)[-1] == 2

    now = services.clock.now()
    async with services.sessions() as session:
        await add_as_similar(session, SAM, "passport-lost-abroad", group.texts, now)
        await session.commit()
    async with services.sessions() as session:
        from knowledge.drafts import draft_for

        draft = await draft_for(session, "passport-lost-abroad")
        assert draft is not None
        await publish(session, SAM, [draft.id], menu=menu_categories(), month="2026-11", now=now, acknowledged=True)
        await session.commit()
    assert await services.knowledge.refresh()
    reply = await wechat_user().say("我的护照被小偷偷走了怎么办")
    assert reply is not None and reply.startswith("【在国外护照丢了怎么办？】")
    assert all(g.text not in asked for g in (await _report(services)).groups)  # resolved, off the page
