"""WeChat waits 5 s: a slow answer is replaced by ``success`` and pushed as a customer-service message."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.dedupe import DONE_PREFIX
from handlers.context import HandlerContext, Reply
from handlers.dispatcher import Router
from storage.models import Delivery, MessageLog
from tests.conftest import TEST_TOKEN
from wechat import inbound

pytestmark = pytest.mark.asyncio


def slow_router(delay: float, fail: bool = False) -> Router:
    router = Router("slow")

    @router.message("text")
    async def slow(ctx: HandlerContext) -> Reply:
        await asyncio.sleep(delay)
        if fail:
            raise RuntimeError("handler bug")
        return Reply("这是一个很慢的答复")

    return router


async def _client(services):  # type: ignore[no-untyped-def]
    app = create_app(services=services, run_jobs=False)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_slow_answer_becomes_success_then_customer_service_message(make_services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    services = await make_services(passive_reply_budget_seconds=0.2)
    services.dispatcher = slow_router(0.6)
    fake_wechat.interact("o_slow")
    xml = inbound.text_message("o_slow", "慢一点的问题", msg_id=31337)
    async with await _client(services) as http:
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        first = await http.post("/wechat", params=query, content=body)
        assert first.text == "success"
        # WeChat's retry while the first is still working: not handled again, answered success
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        retry = await http.post("/wechat", params=query, content=body)
        assert retry.text == "success"
        # the first delivery finishes in the background: wait until it has recorded its outcome
        done_key = services.dedupe.full_key("m:o_slow:31337")
        for _ in range(200):
            value = await services.redis.get(done_key)
            if value is not None and value.startswith(DONE_PREFIX):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the late reply recorded no outcome within 10 s")
    await services.activity.flush()
    async with services.sessions() as session:
        deliveries = (await session.scalars(select(Delivery))).all()
        inbound_logs = (await session.scalars(select(MessageLog).where(MessageLog.direction == "in"))).all()
    assert [d.purpose for d in deliveries] == ["late_reply"]
    assert len(inbound_logs) == 1
    assert await services.worker().run_once() == 1
    assert [m.text for m in fake_wechat.custom_messages("o_slow")] == ["这是一个很慢的答复"]


async def test_handler_failure_releases_the_message_for_wechats_retry(make_services) -> None:  # type: ignore[no-untyped-def]
    services = await make_services()
    services.dispatcher = slow_router(0, fail=True)
    xml = inbound.text_message("o_fail", "问题", msg_id=999)
    async with await _client(services) as http:
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        failed = await http.post("/wechat", params=query, content=body)
        assert failed.status_code == 500 and failed.text == "internal error"
        # the fix is deployed; WeChat's redelivery is handled from scratch, nothing was half-stored
        from handlers import build_dispatcher

        services.dispatcher = build_dispatcher()
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        response = await http.post("/wechat", params=query, content=body)
    assert response.status_code == 200 and response.text != "success"
    await services.activity.flush()
    async with services.sessions() as session:
        assert len((await session.scalars(select(MessageLog).where(MessageLog.direction == "in"))).all()) == 1


async def test_owner_dies_redelivery_takes_over(make_services) -> None:  # type: ignore[no-untyped-def]
    """A lease left behind by a killed process lapses; WeChat's retry is then handled, not swallowed."""
    services = await make_services()
    services.knowledge.use_entries([])
    xml = inbound.text_message("o_dead", "你好", msg_id=4444)
    key = "m:o_dead:4444"
    assert (await services.dedupe.claim(key)).owner  # the dead owner's claim (lease 3 s, never renewed)
    async with await _client(services) as http:
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        response = await http.post("/wechat", params=query, content=body)
    assert response.text != "success" and "您好" in response.text
