"""End to end in a real browser: a WeChat message through the webhook becomes a ticket, a staff member logs
in to the console in chromium and answers it, and the fake WeChat API receives the customer-service message.

The app runs under uvicorn in a thread (its own event loop, services built by its lifespan, the job worker
in-process) with the fake WeChat mounted beside it, as ``make run`` serves it.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.accounts import create_staff
from storage.db import create_sync_engine
from tests.conftest import TEST_TOKEN, _truncate
from tests.console.conftest import PASSWORD, with_console
from tickets.models import Ticket
from wechat import inbound

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "我在西班牙，想问孩子回国参加高考需要准备哪些材料？"
ANSWER = "您好：华侨子女回国参加高考，需要提供护照、华侨身份证明和学籍材料，具体以当地招生考试院通知为准。"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(settings, database_url: str, redis_url: str) -> Iterator[tuple[str, object]]:
    from bot.app import create_app

    _truncate(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cfg = settings.model_copy(
        update={
            "public_base_url": base,
            "wechat_api_base": base + "/fake-wechat",
            "run_jobs_in_process": True,
        }
    )
    app = with_console(create_app(cfg))
    fake = app.state.fake_wechat
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        create_staff(session, "alice", PASSWORD, "staff", display_name="李工")
        session.commit()
    engine.dispose()
    try:
        yield base, fake
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _say(base: str, openid: str, text: str) -> str:
    """Post a signed text message exactly as WeChat does; returns the passive reply's text."""
    with httpx.Client(base_url=base, timeout=15) as http:
        http.post("/fake-wechat/_fake/interactions", json={"openid": openid}).raise_for_status()
        xml = inbound.text_message(openid, text)
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN, None, "", nonce=str(secrets.randbelow(10**9)))
        response = http.post("/wechat", params=query, content=body, headers={"Content-Type": "text/xml"})
    response.raise_for_status()
    reply = inbound.decode_reply(response.content, "plain", TEST_TOKEN, None, "")
    return str((reply or {}).get("Content", ""))


def test_message_ticket_browser_answer_reaches_wechat(live_server, database_url: str) -> None:
    from playwright.sync_api import sync_playwright

    base, fake = live_server
    openid = "o_browser_" + secrets.token_hex(6)
    reply = _say(base, openid, QUESTION)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.openid == openid))
    engine.dispose()
    assert ticket is not None and ticket.number in reply

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{base}/console/tickets")
            assert "/console/login" in page.url
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            page.wait_for_url("**/console/tickets")
            page.click(f"a:text('{ticket.number}')")
            page.wait_for_url(f"**/console/tickets/{ticket.number}")
            assert page.inner_text("#question") == QUESTION
            page.fill("#answer-text", ANSWER)
            page.click("#send-answer")
            page.wait_for_url("**done=answered")
            assert "答复已保存" in page.content()

            deadline = time.monotonic() + 15
            while not fake.custom_messages(openid) and time.monotonic() < deadline:
                time.sleep(0.1)
            sent = fake.custom_messages(openid)
            assert ANSWER in (sent[0].text or "") and ticket.number in (sent[0].text or "")
            # 回访: the rating question follows as its own message, after the answer and only once
            deadline = time.monotonic() + 15
            while len(fake.custom_messages(openid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            sent = fake.custom_messages(openid)
            assert len(sent) == 2 and "请您对本次答复作出评价" in (sent[1].text or "")
            assert "请您对本次答复作出评价" not in (sent[0].text or "")

            # The worker records "sent" just after WeChat accepts the message: reload until it shows.
            deadline = time.monotonic() + 15
            page.reload()
            while page.inner_text("#answer-delivery") != "已送达" and time.monotonic() < deadline:
                time.sleep(0.2)
                page.reload()
            assert page.inner_text("#answer-delivery") == "已送达"
            assert "已送达" in page.inner_text("#deliveries")
        finally:
            browser.close()
