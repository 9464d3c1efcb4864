"""With Redis stopped the bot still answers from the in-process matcher, and an answer reads exactly as it does
on the normal path: the "依据：…" line of its policy source, the hand-written Traditional answer for a
Traditional-script user, the feedback line, and 有用/没用 understood."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from faq.kb import load_kb
from faq.store import replace_entries
from handlers.answer_feedback import FEEDBACK_PROMPT, THANKS_UNHELPFUL
from knowledge.content import PolicySource
from knowledge.drafts import save_draft
from knowledge.menu import menu_categories
from knowledge.publishing import publish
from knowledge.store import published
from tests.outage.faults import RedisServer

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"
HANT = "請先向當地警方報案，再透過「中國領事」App申請補發護照。（工作人員手寫）"
BASIS = "依据：外交部《中国领事保护与协助指南》（2023年版），2023年6月1日起施行"


class Person:
    def __init__(self, username: str, role: str) -> None:
        self.username, self.role = username, role

    def can(self, role: str) -> bool:
        return self.role == "supervisor" or role == "staff"


SAM = Person("sam", "supervisor")


@pytest.fixture
def redis_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def services(make_services, redis_server):  # type: ignore[no-untyped-def]
    svc = await make_services(redis_url=redis_server.url, faq_feedback_prompt=True)
    replace_entries(load_kb(KB_SMALL), url=svc.settings.database_url)
    source = PolicySource(
        authority="外交部", title="中国领事保护与协助指南", number="2023年版", effective_on=date(2023, 6, 1)
    )
    now = svc.clock.now()
    async with svc.sessions() as session:
        _, entries = await published(session)
        entry = next(e for e in entries if e.id == "passport-lost-abroad")
        draft = await save_draft(session, SAM, replace(entry, source=source, answer_hant=HANT), now)
        await publish(session, SAM, [draft.id], menu=menu_categories(), month="2026-11", now=now, acknowledged=True)
        await session.commit()
    await svc.knowledge.refresh()
    return svc


async def test_an_answer_reads_the_same_with_redis_down(services, redis_server, wechat_user) -> None:  # type: ignore[no-untyped-def]
    question, question_hant = "在国外护照丢了怎么办？", "在國外護照丟了怎麼辦？"
    normal = await wechat_user().say(question)
    normal_hant = await wechat_user().say(question_hant)
    assert normal is not None and BASIS in normal and normal.endswith(FEEDBACK_PROMPT)
    assert normal_hant is not None and HANT in normal_hant and "依據：外交部" in normal_hant

    redis_server.stop()
    hans, hant = wechat_user(), wechat_user()
    during = await hans.say(question)
    during_hant = await hant.say(question_hant)
    assert services.health.redis_down  # the path under test: answered without Redis
    assert during == normal
    assert during_hant == normal_hant  # the hand-written Traditional answer, not a conversion of the Simplified
    assert await hans.say("没用") == THANKS_UNHELPFUL
    assert await hant.say("沒用") is not None
