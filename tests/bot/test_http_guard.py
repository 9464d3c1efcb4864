"""Slow and stalled uploads are closed, their number is bounded, and failures are logged once, on a real
socket under uvicorn (the in-process transport hands the body over at once and cannot stall)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

import bot.webhook
from bot.app import create_app
from tests.conftest import TEST_TOKEN
from tests.net_faults import serve_asgi
from wechat import inbound

BODY_TIMEOUT = 1.0
MAX_PENDING = 3


@pytest_asyncio.fixture
async def served(make_services) -> AsyncIterator[int]:  # type: ignore[no-untyped-def]
    services = await make_services(body_read_timeout_seconds=BODY_TIMEOUT, max_pending_uploads=MAX_PENDING)
    async with serve_asgi(create_app(services=services, run_jobs=False)) as port:
        yield port


async def _stalled_upload(port: int, sent: bytes = b"") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    query, _ = inbound.sign_post(inbound.text_message("o_slow", "护照"), "plain", TEST_TOKEN)
    target = "/wechat?" + "&".join(f"{k}={v}" for k, v in query.items())
    writer.write(f"POST {target} HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n".encode() + sent)
    await writer.drain()
    return reader, writer


async def test_a_trickling_upload_is_closed_with_408(served: int) -> None:
    reader, writer = await _stalled_upload(served)
    started = time.monotonic()
    answer = b""
    async with asyncio.timeout(BODY_TIMEOUT + 10):
        while not answer:
            writer.write(b"x")  # one byte at a time, never the whole body
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(1000), 0.3)
            except TimeoutError:
                continue
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < BODY_TIMEOUT + 5
    writer.close()


async def test_stalled_uploads_are_bounded_and_the_service_keeps_answering(served: int) -> None:
    stalled = [await _stalled_upload(served) for _ in range(MAX_PENDING)]
    await asyncio.sleep(0.2)
    reader, writer = await _stalled_upload(served)
    async with asyncio.timeout(5):
        refused = await reader.read(1000)
    assert refused.startswith(b"HTTP/1.1 503")  # at once, not after the timeout
    writer.close()
    async with asyncio.timeout(BODY_TIMEOUT + 10):
        answers = [await r.read(1000) for r, _ in stalled]
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers)
    for _, w in stalled:
        w.close()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served}") as http:
        query, body = inbound.sign_post(inbound.text_message("o_after", "护照丢了"), "plain", TEST_TOKEN)
        assert (await http.post("/wechat", params=query, content=body)).status_code == 200


async def test_a_client_going_away_is_one_line_without_a_traceback(
    served: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _, writer = await _stalled_upload(served, sent=b"<xml>")
    writer.close()
    async with asyncio.timeout(10):
        while not any("went away" in r.getMessage() for r in caplog.records):
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    lines = [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "httpx"]
    assert [r.getMessage() for r in lines if "went away" in r.getMessage()] and len(lines) == 1, [
        r.getMessage() for r in lines
    ]
    assert all(r.exc_info is None for r in caplog.records)


async def test_a_500_is_logged_once(
    served: int, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("handler bug")

    monkeypatch.setattr(bot.webhook, "respond", broken)
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served}") as http:
        query, body = inbound.sign_post(inbound.text_message("o_bug", "护照"), "plain", TEST_TOKEN)
        response = await http.post("/wechat", params=query, content=body)
    assert response.status_code == 500 and response.text == "internal error"
    await asyncio.sleep(0.3)
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1, [r.getMessage() for r in with_traceback]
    assert "handler bug" in str(with_traceback[0].exc_info[1])  # type: ignore[index]
