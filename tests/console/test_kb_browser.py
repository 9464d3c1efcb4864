"""The knowledge base in a real browser (Debian chromium via Playwright), against the app under uvicorn with
its own services, job worker and write-behind flusher, as ``make run`` serves it:

- a staff member edits an entry (a draft: users still get the old answer), a supervisor publishes it after
  the KB check, and the simulator gets the new answer; then an earlier version is restored the same way;
- an entry whose policy has expired is flagged in the list, on its page and on the statistics page;
- a group of messages the bot missed becomes 相似问 of an entry, and the next such message is answered.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import uvicorn
from sqlalchemy.orm import Session

from faq.kb import load_kb
from faq.store import replace_entries
from staff.accounts import create_staff
from storage.db import create_sync_engine
from tests.conftest import _truncate
from tests.console.conftest import PASSWORD
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"
QUESTION = "在国外护照丢了怎么办？"
NEW_ANSWER = "请先向当地警方报案，再通过“中国领事”APP在线申请补发旅行证，无需本人前往使领馆。"
# The ports a developer on the shared machine may serve on (QIAOBOT_TEST_PORTS=8180-8189); otherwise, or when all
# are taken, an ephemeral port.
_RANGE = os.environ.get("QIAOBOT_TEST_PORTS", "")
PORTS = range(int(_RANGE.split("-")[0]), int(_RANGE.split("-")[1]) + 1) if _RANGE else range(0)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _port() -> int:
    for port in [*PORTS, 0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise AssertionError("no free port")


@pytest.fixture
def live_kb(settings, database_url: str, redis_url: str) -> Iterator[str]:
    from bot.app import create_app

    _truncate(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    replace_entries(load_kb(KB_SMALL), url=database_url)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        create_staff(session, "alice", PASSWORD, "staff", display_name="李工")
        create_staff(session, "sam", PASSWORD, "supervisor", display_name="王主管")
        create_staff(session, "bob", PASSWORD, "staff", display_name="老王")
        session.commit()
    engine.dispose()
    port = _port()
    base = f"http://127.0.0.1:{port}"
    cfg = settings.model_copy(
        update={"public_base_url": base, "wechat_api_base": base + "/fake-wechat", "run_jobs_in_process": True}
    )
    server = uvicorn.Server(uvicorn.Config(create_app(cfg), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _simulator(base: str, openid: str, text: str) -> str:
    """What the simulator shows as the bot's reply (its API posts through the real, signed /wechat)."""
    with httpx.Client(base_url=base, timeout=20) as http:
        response = http.post("/simulator/api/send", json={"openid": openid, "text": text})
    response.raise_for_status()
    body = response.json()
    assert body["ok"], body
    return str(body["reply"] or "")


def _wait_for(condition: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _logged_in(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(f"{base}/console/faq")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/console/faq")
    return page


def _publish_all(page: Any, base: str) -> None:
    page.goto(f"{base}/console/faq/drafts")
    page.wait_for_selector("#kb-check")
    if page.locator("#acknowledge").count():
        page.check("#acknowledge")
    page.click("#publish")
    page.wait_for_url("**/console/faq/drafts?done=published")
    assert page.locator("#no-drafts").count() == 1


def test_edit_publish_and_restore_reach_the_simulator(live_kb: str, browser: Any) -> None:
    base = live_kb
    old_reply = _simulator(base, "o_kb_user_1", QUESTION)
    assert old_reply.startswith(f"【{QUESTION}】") and NEW_ANSWER not in old_reply

    alice = _logged_in(browser, base, "alice")
    alice.fill("#faq-search", "护照丢")
    alice.click("button:text('筛选')")
    alice.click("a:text('passport-lost-abroad')")
    alice.wait_for_url("**/console/faq/passport-lost-abroad")
    alice.fill("#entry-answer", NEW_ANSWER)
    alice.fill("#source-authority", "外交部")
    alice.fill("#source-title", "中国领事APP使用指南")
    alice.fill("#entry-note", "旅行证可在线申请")
    alice.click("#save-draft")
    alice.wait_for_url("**done=draft")
    assert alice.locator("#draft-note").count() == 1
    # Staff cannot publish; users still get the published answer.
    alice.goto(f"{base}/console/faq/drafts")
    assert alice.locator("#publish").count() == 0
    assert NEW_ANSWER not in _simulator(base, "o_kb_user_2", QUESTION)

    sam = _logged_in(browser, base, "sam")
    sam.goto(f"{base}/console/faq/drafts")
    assert "旅行证可在线申请" in sam.inner_text("#draft-passport-lost-abroad")
    assert NEW_ANSWER in sam.inner_text("#draft-passport-lost-abroad .diff-added")
    _publish_all(sam, base)
    reply = _simulator(base, "o_kb_user_3", QUESTION)
    assert NEW_ANSWER in reply and "依据：外交部《中国领事APP使用指南》" in reply

    # History: version 1 (loaded from the file) and 2 (alice's, published by sam); bring 1 back.
    alice.goto(f"{base}/console/faq/passport-lost-abroad/history")
    assert "撰写 alice · 发布 sam" in alice.inner_text("#revision-2")
    alice.click("#restore-1")
    alice.wait_for_url("**done=restore")
    _publish_all(sam, base)
    restored = _simulator(base, "o_kb_user_4", QUESTION)
    assert restored == old_reply
    sam.goto(f"{base}/console/faq/passport-lost-abroad/history")
    assert "恢复" in sam.inner_text("#revision-3")


def test_expired_entry_is_flagged(live_kb: str, browser: Any) -> None:
    base = live_kb
    alice = _logged_in(browser, base, "alice")
    alice.goto(f"{base}/console/faq/consular-protection")
    alice.fill("#source-authority", "外交部")
    alice.fill("#source-expires", "2020-01-01")
    alice.click("#save-draft")
    alice.wait_for_url("**done=draft")
    sam = _logged_in(browser, base, "sam")
    _publish_all(sam, base)

    sam.goto(f"{base}/console/faq?review=expired")
    rows = sam.locator("#faq-entries tbody tr[id^=entry-]")
    assert rows.count() == 1 and "政策已失效" in sam.inner_text("#entry-consular-protection")
    sam.goto(f"{base}/console/faq/consular-protection")
    assert "政策已失效" in sam.inner_text("#review-due") and "2020-01-01" in sam.inner_text("#review-due")
    sam.goto(f"{base}/console/stats")
    assert sam.inner_text("#kb-expired") == "1" and int(sam.inner_text("#kb-review-due")) >= 1


def test_missed_messages_become_similar_questions_and_the_next_is_answered(live_kb: str, browser: Any) -> None:
    base = live_kb
    missed = ["护照被小偷偷走了我该怎么办", "我的护照被小偷偷走了该怎么办"]
    for number, text in enumerate(missed):
        assert not _simulator(base, f"o_kb_missed_{number}", text).startswith("【")

    sam = _logged_in(browser, base, "sam")

    def group_shown() -> bool:
        sam.goto(f"{base}/console/missed")
        return any("2 次" in sam.inner_text(f"#{g.get_attribute('id')} h3") for g in sam.locator(".missed-group").all())

    _wait_for(group_shown, "the write-behind log to reach the missed page")
    group = next(g for g in sam.locator(".missed-group").all() if "2 次" in g.inner_text())
    assert all(text in group.inner_text() for text in missed)
    group.locator("select.target").select_option("passport-lost-abroad")
    group.locator("button.add-similar").click()
    sam.wait_for_url("**/console/faq/passport-lost-abroad?done=similar")
    assert all(text in sam.input_value("#entry-similar") for text in missed)
    _publish_all(sam, base)

    reply = _simulator(base, "o_kb_missed_next", "护照被小偷偷走了我该怎么办")
    assert reply.startswith(f"【{QUESTION}】")
    sam.goto(f"{base}/console/missed")
    assert "护照被小偷偷走了我该怎么办" not in sam.inner_text("main")


def test_two_staff_saving_one_entry_the_second_is_told_and_keeps_the_text(live_kb: str, browser: Any) -> None:
    base = live_kb
    alice, bob = _logged_in(browser, base, "alice"), _logged_in(browser, base, "bob")
    for page in (alice, bob):
        page.goto(f"{base}/console/faq/passport-lost-abroad")
    alice.fill("#entry-answer", "李工：先报警，再在线申请旅行证。")
    alice.click("#save-draft")
    alice.wait_for_url("**done=draft")

    bob.fill("#entry-answer", "老王：先联系驻当地使领馆。")
    bob.click("#save-draft")  # his page was opened before her save
    bob.wait_for_selector("#draft-conflict")
    assert "alice 在您打开此页之后保存了 passport-lost-abroad 的草稿" in bob.inner_text("p.error")
    assert "李工：先报警" in bob.inner_text("#draft-conflict .diff-removed")
    assert "老王：先联系驻当地使领馆。" in bob.inner_text("#draft-conflict .diff-added")
    assert bob.input_value("#entry-answer") == "老王：先联系驻当地使领馆。"  # nothing he typed is lost
    alice.goto(f"{base}/console/faq/passport-lost-abroad")
    assert alice.input_value("#entry-answer") == "李工：先报警，再在线申请旅行证。"  # nor anything she saved

    bob.click("#save-draft")  # having seen hers, he saves his over it
    bob.wait_for_url("**done=draft")
    assert bob.input_value("#entry-answer") == "老王：先联系驻当地使领馆。"
    assert "bob 的草稿" in bob.inner_text("#draft-note")


def _answered_ticket(database_url: str, question: str, answer: str) -> str:
    from datetime import UTC, datetime, timedelta

    from storage.models import Follower
    from tickets.models import Ticket, TicketMessage

    now = datetime.now(UTC)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        session.add(Follower(openid="o_kb_ticket", subscribed=True, last_interaction_at=now, script="hans"))
        ticket = Ticket(
            number=f"Q{now:%Y%m%d}-0901",
            openid="o_kb_ticket",
            source_key="kb-browser:1",
            state="answered",
            category="其他",
            question=question,
            script="hans",
            created_at=now - timedelta(hours=2),
            due_at=now + timedelta(days=2),
            due_provisional=False,
            answer=answer,
            answered_by="alice",
            answered_at=now,
            first_answered_at=now,
            answer_delivery="none",
            reopen_count=0,
        )
        session.add(ticket)
        session.flush()
        session.add(TicketMessage(ticket_id=ticket.id, kind="user", author="o_kb_ticket", body=question))
        session.commit()
        number = ticket.number
    engine.dispose()
    return number


def test_a_ticket_answer_becomes_a_draft_and_reaches_users_once_published(
    live_kb: str, browser: Any, database_url: str
) -> None:
    base = live_kb
    question = "在海外想给家乡小学捐赠图书应该联系谁？"
    answer = "请联系家乡所在县（市、区）侨联，由侨联对接当地教育部门和受赠学校。"
    number = _answered_ticket(database_url, question, answer)
    alice = _logged_in(browser, base, "alice")  # staff may propose; only a supervisor publishes
    alice.goto(f"{base}/console/tickets/{number}")
    alice.click("button:text('生成知识库草稿')")
    alice.wait_for_url(f"**/console/tickets/{number}?done=faq")
    assert "已生成知识库草稿" in alice.inner_text("p.flash")
    assert not _simulator(base, "o_kb_ticket_user_1", question).startswith(f"【{question}】")  # a draft only

    sam = _logged_in(browser, base, "sam")
    sam.goto(f"{base}/console/faq/drafts")
    entry_id = f"ticket-{number.lower()}"
    draft = sam.inner_text(f"#draft-{entry_id}")
    assert f"来自工单 {number}" in draft and answer in draft
    _publish_all(sam, base)
    reply = _simulator(base, "o_kb_ticket_user_2", question)
    assert reply.startswith(f"【{question}】") and answer in reply
    sam.goto(f"{base}/console/faq/{entry_id}/history")
    assert "撰写 alice · 发布 sam" in sam.inner_text("#revision-1")


def test_the_missed_page_pages_through_its_groups(live_kb: str, browser: Any, monkeypatch: Any) -> None:
    import console.pages.missed as missed_page

    monkeypatch.setattr(missed_page, "PAGE_SIZE", 1)
    base = live_kb
    asked = ["想给家乡小学捐一批图书，找谁联系", "老家祖屋翻修要办什么手续"]
    for number, text in enumerate(asked):
        _simulator(base, f"o_kb_pages_{number}", text)
    sam = _logged_in(browser, base, "sam")

    def paged() -> bool:
        sam.goto(f"{base}/console/missed")
        return sam.locator("#pager-top").count() == 1

    _wait_for(paged, "the write-behind log to reach the missed page")
    pages = int(sam.inner_text("#pager-top").split("/")[1].split("页")[0])
    assert pages >= 2 and sam.locator(".missed-group").count() == 1
    seen = [sam.inner_text(".missed-group h3")]
    for number in range(2, pages + 1):
        sam.click("#pager-bottom .next-page")
        sam.wait_for_url(f"**page={number}")
        assert f"第 {number} / {pages} 页" in sam.inner_text("#pager-top")
        seen.append(sam.inner_text(".missed-group h3"))
    assert all(any(text in group for group in seen) for text in asked)
    assert sam.locator("#pager-top .next-page").count() == 0
    sam.click("#pager-top .prev-page")
    sam.wait_for_url(f"**page={pages - 1}")
