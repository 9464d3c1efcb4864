"""The console as a newcomer meets it, in a real chromium at desktop and phone widths.

A ticket with a long thread must keep the question, the answer form and the ticket's facts on the first
screen; the queue on a 390 px phone stacks each ticket instead of squeezing columns to one character; a
draft from an FAQ answer leaves out what only the bot says; approving or cancelling a greeting asks first;
a preview goes to the supervisor's own WeChat, which the simulator shows.

Screenshots are written to ``QIAOBOT_TEST_SCREENSHOTS`` (a directory) when it is set, else to the test's
temporary directory; the assertions check the geometry the screenshots show.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from faq.kb import load_kb
from faq.store import replace_entries
from staff.accounts import create_staff
from staff.models import StaffUser
from storage.db import create_sync_engine
from storage.models import MessageLog
from tests.console.conftest import KB_SMALL, PASSWORD
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS, live_server
from tickets.models import Ticket, TicketMessage

__all__ = ["live_server"]  # the fixture, shared with the other browser test

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]

FOOTER = "如需进一步帮助，可回复“人工”留言，我们将在2个工作日内答复。"
QUESTION = "在国外护照丢了怎么办？我在西班牙，护照和居留卡一起被偷了，下周还要回国参加家里的婚礼。"
SUPERVISOR_OPENID = "o_supervisor_preview"
if TYPE_CHECKING:
    from playwright.sync_api import Dialog, ViewportSize

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("QIAOBOT_TEST_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _seed(database_url: str) -> str:
    """A supervisor with a bound openid, an FAQ answer with the bot's footer, and a ticket with a long past."""
    entries = load_kb(KB_SMALL)
    entries = [replace(e, answer=e.answer + "\n\n" + FOOTER) if e.id == "passport-lost-abroad" else e for e in entries]
    replace_entries(entries, url=database_url)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        sam = create_staff(session, "sam", PASSWORD, "supervisor", display_name="王主任")
        sam.wechat_openid = SUPERVISOR_OPENID
        session.flush()
        alice = session.scalar(select(StaffUser).where(StaffUser.username == "alice"))
        assert alice is not None
        now = _utcnow()
        created = now - timedelta(hours=3)
        ticket = Ticket(
            number=f"Q{created:%Y%m%d}-0901",
            openid="o_long_thread",
            source_key="layout:1",
            state="open",
            category="出入境",
            question=QUESTION,
            script="hans",
            assignee="alice",
            created_at=created,
            due_at=created + timedelta(days=2),
            due_provisional=False,
            answer_delivery="none",
            reopen_count=0,
        )
        session.add(ticket)
        session.flush()
        session.add(
            TicketMessage(ticket_id=ticket.id, kind="user", author="o_long_thread", body=QUESTION, created_at=created)
        )
        for n in range(18):
            at = created + timedelta(minutes=5 * (n + 1))
            body = f"补充第{n + 1}条：" + "我的护照号码和居留卡信息都记在手机里，请问还需要哪些材料？" * 3
            session.add(
                TicketMessage(ticket_id=ticket.id, kind="user", author="o_long_thread", body=body, created_at=at)
            )
            session.add(
                TicketMessage(ticket_id=ticket.id, kind="note", author="alice", body=f"备注 {n + 1}", created_at=at)
            )
        for n in range(6):
            at = created - timedelta(minutes=30 - n)
            kind = "context" if n % 2 == 0 else "bot"
            session.add(
                TicketMessage(
                    ticket_id=ticket.id,
                    kind=kind,
                    author="o_long_thread",
                    body=f"早先的对话 {n}：" + "护照的问题" * 20,
                    created_at=at,
                )
            )
        for n in range(40):
            session.add(
                MessageLog(
                    openid="o_long_thread",
                    direction="in" if n % 2 == 0 else "out",
                    channel="passive",
                    msg_type="text",
                    content=f"对话 {n}：" + "内容" * 30,
                    created_at=created - timedelta(minutes=60 - n),
                )
            )
        session.commit()
        number = ticket.number
    engine.dispose()
    return number


def _utcnow() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _top(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return float(box["y"])


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/console/tickets")


def _wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_ticket_page_and_queue_at_desktop_and_phone_width(live_server, database_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, _fake = live_server
    number = _seed(database_url)
    shots = _shots(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport=DESKTOP)
            _login(page, base, "sam")

            def suggested() -> bool:  # the matcher reloads the KB within seconds
                page.goto(f"{base}/console/tickets/{number}")
                return page.locator("#faq-draft-1").count() == 1

            _wait_for(suggested, "the FAQ suggestion on the ticket page")
            page.screenshot(path=str(shots / "ticket-1280.png"))
            for selector in ("#question", "#answer-text", "#send-answer", "#ticket-facts dl.facts", "#assignee"):
                assert _top(page, selector) < DESKTOP["height"], f"{selector} is below the first screen"
            assert page.inner_text("#assignee") == "李工"  # the display name, as the filter lists it
            assert not page.locator("#older-messages").get_attribute("open")
            assert page.locator("#older-messages .msg").count() == 19 - 3  # the newest 3 of 19 stay in view
            assert not page.locator("#conversation").get_attribute("open")
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height < 4000, f"ticket page is {height} px tall"

            page.click("button[data-fill-source='faq-draft-1']")
            drafted = page.input_value("#answer-text")
            assert drafted.startswith(load_kb(KB_SMALL)[0].answer.strip()[:20])
            assert "人工" not in drafted and FOOTER not in drafted
            assert FOOTER in page.inner_text("#faq-answer-1")  # what the bot sends is still shown in full

            page.goto(f"{base}/console/tickets")
            assert page.locator("table.queue td.assignee").first.inner_text() == "李工"

            phone = browser.new_page(viewport=PHONE)
            _login(phone, base, "sam")
            phone.screenshot(path=str(shots / "queue-390.png"), full_page=True)
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            for label in ("分类", "负责人", "状态"):
                cell = phone.locator(f"table.queue td[data-label='{label}']").first.bounding_box()
                assert cell is not None and cell["width"] >= 120, f"{label} squeezed to {cell}"
                assert cell["height"] < 40, f"{label} wraps: {cell}"
            row = phone.locator("table.queue tbody tr").first.bounding_box()
            assert row is not None and row["width"] >= PHONE["width"] - 40  # one ticket per card, full width

            phone.goto(f"{base}/console/tickets/{number}")
            phone.screenshot(path=str(shots / "ticket-390.png"))
            phone.screenshot(path=str(shots / "ticket-390-full.png"), full_page=True)
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert _top(phone, "#ticket-facts dl.facts") < PHONE["height"]
            assert _top(phone, "#question") < PHONE["height"]
            assert _top(phone, "#answer-text") < 2 * PHONE["height"]
        finally:
            browser.close()


def _greeting_campaign(settings: Any, base: str) -> int:
    from bot.bootstrap import build_services

    cfg = settings.model_copy(update={"public_base_url": base, "wechat_api_base": base + "/fake-wechat"})

    async def draft() -> int:
        services = build_services(cfg, redis_url=cfg.redis_url)
        try:
            campaign_id, _ = await services.greetings.create_draft(
                "春节", date.today() + timedelta(days=60), text_hans="新春快乐！", text_hant="新春快樂！"
            )
            return int(campaign_id)
        finally:
            await services.close()

    return asyncio.run(draft())


def test_greetings_confirm_flag_script_and_preview_to_own_wechat(live_server, database_url, settings, tmp_path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    base, fake = live_server
    _seed(database_url)
    campaign_id = _greeting_campaign(settings, base)
    shots = _shots(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # The supervisor's own phone: the simulator, following the account.
            simulator = browser.new_page(viewport=PHONE)
            simulator.goto(f"{base}/simulator")
            simulator.fill("#openid", "abc")  # too short: a sentence in the conversation, not pydantic's JSON
            simulator.dispatch_event("#openid", "change")
            simulator.fill("#text", "你好")
            simulator.click("#send")
            shown = simulator.wait_for_selector(".msg.sys:has-text('错误')")
            assert shown is not None
            error = shown.inner_text()
            assert error == "错误：openid 须为 6–64 个字母、数字、下划线或连字符", error
            # one screen on a phone: the conversation scrolls between the header and the input
            assert simulator.evaluate("document.documentElement.scrollHeight") <= PHONE["height"]
            assert simulator.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            simulator.fill("#openid", SUPERVISOR_OPENID)
            simulator.dispatch_event("#openid", "change")
            simulator.click("button[data-kind='subscribe']")
            simulator.wait_for_selector(".msg.bot")

            page = browser.new_page(viewport=DESKTOP)
            _login(page, base, "sam")
            page.goto(f"{base}/console/greetings")
            assert page.input_value(f"#preview-openid-{campaign_id}") == SUPERVISOR_OPENID

            # Editing 简体 alone flags 繁體, live and after saving; the conversion button fixes it.
            page.fill(f"#campaign-{campaign_id} textarea[name=text_hans]", "新春快乐，万事如意！")
            assert page.is_visible(f"#hant-{campaign_id}-stale")
            page.click(f"#campaign-{campaign_id} .greeting-edit button:not([name])")
            page.wait_for_url("**done=edited_hant_stale")
            assert page.is_visible(f"#hant-differs-{campaign_id}")
            page.click(f"#derive-hant-{campaign_id}")
            page.wait_for_url("**done=derived")
            assert page.input_value(f"#hant-{campaign_id}") == "新春快樂，萬事如意！"
            assert page.locator(f"#hant-differs-{campaign_id}").count() == 0

            # Approve and cancel ask first; saying no changes nothing.
            questions: list[str] = []

            def say_no(dialog: Dialog) -> None:
                questions.append(dialog.message)
                dialog.dismiss()

            page.once("dialog", say_no)
            page.click(f"#approve-{campaign_id}")
            page.wait_for_timeout(300)
            assert questions and "审批通过" in questions[0]
            assert "done=approved" not in page.url and page.locator(f"#approve-{campaign_id}").count() == 1
            page.once("dialog", say_no)
            page.click(f"#cancel-{campaign_id}")
            page.wait_for_timeout(300)
            assert len(questions) == 2 and "不能恢复" in questions[1] and "done=cancelled" not in page.url

            page.click(f"#campaign-{campaign_id} form[action$='/preview'] button")
            page.wait_for_url("**done=previewed")
            page.screenshot(path=str(shots / "greetings-1280.png"), full_page=True)
            _wait_for(lambda: any(p.openid == SUPERVISOR_OPENID for p in fake.previews), "the preview at WeChat")
            simulator.wait_for_selector("text=【群发预览】", timeout=15000)
            assert "新春快乐，万事如意！" in simulator.inner_text("#log")
            simulator.screenshot(path=str(shots / "simulator-preview-390.png"))

            page.once("dialog", lambda dialog: dialog.accept())
            page.click(f"#approve-{campaign_id}")
            page.wait_for_url("**done=approved")
        finally:
            browser.close()
