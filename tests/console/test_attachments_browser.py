"""End to end in a real browser: a user with a ticket sends a picture from the simulator page (uploaded to the
fake WeChat as a phone does), the job worker fetches it with media/get, a supervisor sees the picture on the
ticket page, answers with an image of their own, and the fake WeChat records the text and then the image
message (after a media/upload); the simulator shows both arriving."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.simulator import sample_png
from staff.accounts import create_staff
from storage.db import create_sync_engine
from tests.console.conftest import PASSWORD
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS, _say, live_server  # noqa: F401
from tickets.attachment_models import Attachment
from tickets.models import Ticket

QUESTION = "我在意大利，护照快过期了，想问换发需要哪些材料？照片有什么要求？"
ANSWER = "您好：换发护照请备齐旧护照、近期白底证件照和居留证明，照片要求见附图。"

pytestmark = [pytest.mark.browser]


def _until(check: Callable[[], object], seconds: float = 20, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_picture_from_the_user_and_an_image_in_the_answer(live_server, database_url: str) -> None:  # noqa: F811
    from playwright.sync_api import FilePayload, sync_playwright

    base, fake = live_server
    openid = "o_pic_" + secrets.token_hex(6)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        create_staff(session, "wang", PASSWORD, "supervisor", display_name="王主任")
        session.commit()
    reply = _say(base, openid, QUESTION)
    with Session(engine) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.openid == openid))
    assert ticket is not None and ticket.number in reply

    users_picture = sample_png(120)
    staff_picture = sample_png(64)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            phone = browser.new_page()
            phone.goto(f"{base}/simulator")
            phone.fill("#openid", openid)
            phone.dispatch_event("#openid", "change")
            phone.set_input_files(
                "#image-file", files=[FilePayload(name="旧护照.png", mimeType="image/png", buffer=users_picture)]
            )
            phone.wait_for_selector(f".msg.bot >> text=已补充到您的留言（编号 {ticket.number}）", timeout=20000)

            def stored() -> bool:
                with Session(engine) as session:
                    row = session.scalar(select(Attachment).where(Attachment.ticket_id == ticket.id))
                    return row is not None and row.state == "stored"

            _until(stored, what="the picture to be fetched from WeChat")
            assert [c.query.get("media_id") for c in fake.calls_to("media/get")]

            desk = browser.new_page()
            desk.goto(f"{base}/console/login")
            desk.fill("#username", "wang")
            desk.fill("#password", PASSWORD)
            desk.click("#login-button")
            desk.wait_for_url("**/console/tickets")
            desk.goto(f"{base}/console/tickets/{ticket.number}")
            image = desk.locator(".attachment-image img")
            image.wait_for()
            # The browser really loaded and decoded it (a broken or refused file has no natural size).
            desk.wait_for_function("img => img.complete && img.naturalWidth === 120", arg=image.element_handle())
            desk.fill("#answer-text", ANSWER)
            desk.set_input_files(
                "#answer-image", files=[FilePayload(name="照片要求.png", mimeType="image/png", buffer=staff_picture)]
            )
            desk.click("#send-answer")
            desk.wait_for_url("**done=answered")

            _until(lambda: len(fake.custom_messages(openid)) >= 2, what="the text and the image on WeChat")
            sent = fake.custom_messages(openid)
            assert [m.msgtype for m in sent[:2]] == ["text", "image"]
            assert ANSWER in (sent[0].text or "")
            [uploaded] = fake.uploaded_media()
            assert uploaded.content == staff_picture and uploaded.kind == "image"
            assert sent[1].payload["image"]["media_id"] == uploaded.media_id

            phone.wait_for_selector(".msg.push >> text=【客服消息】[图片]", timeout=20000)
            desk.reload()
            answer_image = desk.locator(".msg-answer .attachment-image img")
            answer_image.wait_for()
            desk.wait_for_function("img => img.complete && img.naturalWidth === 64", arg=answer_image.element_handle())
        finally:
            browser.close()
            engine.dispose()
