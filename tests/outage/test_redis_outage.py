"""Redis stopped under a running service: every message still gets a 200 and a sensible reply; what must be
written is spooled to disk and replayed once, exactly, when Redis is back.

The Redis server is the test's own (started and stopped here); the database is the test backend's.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from bot.closing import DEFERRED_KEY
from bot.deferred import drain_deferred
from storage.activity import QUEUE_KEY
from storage.models import Delivery, MessageLog
from tests.conftest import TEST_TOKEN
from tests.outage.faults import RedisServer
from tickets.models import Ticket, TicketMessage
from wechat import inbound

pytestmark = pytest.mark.asyncio

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


@pytest.fixture
def redis_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def service(make_services, redis_server):  # type: ignore[no-untyped-def]
    from bot.app import create_app
    from faq.kb import load_kb
    from staff.accounts import create_staff

    services = await make_services(redis_url=redis_server.url)
    await services.start(run_jobs=False)
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    async with services.sessions() as session:
        create_staff(session, "olga", "outage password 1", "staff", display_name="Olga")
        await session.commit()
    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield services, http


async def _post(http: httpx.AsyncClient, xml: str) -> httpx.Response:
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    return await http.post("/wechat", params=query, content=body)


def _content(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    reply = inbound.decode_reply(response.content, "plain", TEST_TOKEN)
    assert reply is not None, response.text
    return str(reply["Content"])


async def test_redis_outage_answers_spools_and_replays_once(service, redis_server, caplog) -> None:  # type: ignore[no-untyped-def]
    services, http = service
    caplog.set_level(logging.INFO)
    assert "报案" in _content(await _post(http, inbound.text_message("o_known", "在国外护照丢了怎么办")))
    await services.activity.flush()  # this server keeps nothing across a restart (production Redis persists)
    login = await http.post("/api/session", json={"username": "olga", "password": "outage password 1"})
    assert login.status_code == 200, login.text
    assert "系统降级运行" not in (await http.get("/console/health")).text

    redis_server.stop()
    faq = [inbound.text_message(f"o_faq_{i}", "在国外护照丢了怎么办", msg_id=7000 + i) for i in range(10)]
    replies = await asyncio.gather(*(_post(http, xml) for xml in faq))
    assert all("报案" in _content(r) for r in replies)  # answered from the in-process matcher
    again = await _post(http, faq[0])  # WeChat's redelivery: the same reply, handled once
    assert _content(again) == _content(replies[0])
    assert "请直接描述" in _content(await _post(http, inbound.text_message("o_human", "人工")))
    recorded = _content(await _post(http, inbound.text_message("o_human", "我父亲的侨房在老家被占用了，怎么办")))
    assert "已记录" in recorded and "留言编号" in recorded
    assert "已记录" in _content(await _post(http, inbound.text_message("o_other", UNANSWERABLE)))
    image = await _post(http, inbound.image_message("o_other"))
    assert "图片" in _content(image)
    spooled = 10 + 2 + 1 + 1  # the redelivery is not a new message
    assert services.spool.pending() == spooled  # durable on disk before each 200
    page = await http.get("/console/health")  # staff see it: a banner on every page, and the details
    assert page.status_code == 200 and "系统降级运行：Redis暂时不可用" in page.text
    assert "不可用" in page.text and f"本机暂存（Redis 不可用期间的消息，恢复后写入）：{spooled} 条" in page.text
    health = (await http.get("/healthz")).json()
    assert health["degraded"] and health["redis"] == "down" and health["spooled"] == spooled
    downs = [r for r in caplog.records if "redis unavailable" in r.getMessage()]
    assert len(downs) == 1, [r.getMessage() for r in downs]  # once per state change, not per message

    backup = services.spool.path.with_suffix(".copy")
    shutil.copy(services.spool.path, backup)
    redis_server.start()
    await services.health.probe()  # what the background monitor does every second
    assert not services.health.redis_down
    assert services.spool.pending() == 0
    ups = [r for r in caplog.records if "redis available again" in r.getMessage()]
    assert len(ups) == 1

    # A replay interrupted and run again (the same entries a second time) applies nothing twice.
    client = aioredis.Redis.from_url(redis_server.url)
    queued = await client.llen(QUEUE_KEY)
    backup.rename(services.spool.path)
    assert await services.replay_spool() == 0
    try:
        assert await client.llen(QUEUE_KEY) == queued
        assert await client.llen(DEFERRED_KEY) == 2
        done = await client.get(services.dedupe.full_key(inbound_key := f"m:o_faq_0:{7000}"))
        assert isinstance(done, bytes) and "报案" in done.decode(), inbound_key
    finally:
        await client.aclose()

    await services.activity.flush()
    assert await drain_deferred(services) == 2
    async with services.sessions() as session:
        inbound_rows = await session.scalar(
            select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in")
        )
        tickets = {t.openid: t for t in (await session.scalars(select(Ticket))).all()}
        deliveries = (await session.scalars(select(Delivery).where(Delivery.purpose == "deferred_handover"))).all()
        extra = await session.scalar(select(func.count()).select_from(TicketMessage))
    assert inbound_rows == 1 + spooled  # every message logged once, the redelivery not at all
    assert set(tickets) == {"o_human", "o_other"}
    assert tickets["o_human"].question == "我父亲的侨房在老家被占用了，怎么办"
    assert tickets["o_other"].question == UNANSWERABLE
    assert extra == 0
    assert sorted(d.openid for d in deliveries) == ["o_human", "o_other"]
    assert all(tickets[d.openid].number in d.payload["text"]["content"] for d in deliveries)
    assert await drain_deferred(services) == 0


class _SlowHeavyMatcher:
    """A matcher of the heavy kind (run off the event loop) that takes far longer than WeChat waits."""

    def __init__(self, real, seconds: float) -> None:  # type: ignore[no-untyped-def]
        from faq.calibration import EMBEDDING

        self.mode, self.real, self.seconds = EMBEDDING, real, seconds

    def decide(self, text: str):  # type: ignore[no-untyped-def]
        import time

        time.sleep(self.seconds)
        return self.real.decide(text)

    def entry(self, faq_id: str):  # type: ignore[no-untyped-def]
        return self.real.entry(faq_id)


async def test_a_slow_matcher_during_a_redis_outage_neither_stalls_the_loop_nor_the_reply(
    service, redis_server
) -> None:  # type: ignore[no-untyped-def]
    """With Redis out the matcher is asked directly; a heavy one runs off the loop, and one that has not
    decided within the budget turns the message into a recorded hand-over instead of a late answer."""
    services, http = service
    services.settings = services.settings.model_copy(update={"passive_reply_budget_seconds": 1.0})
    services.knowledge._matcher = _SlowHeavyMatcher(services.knowledge.matcher, 3.0)  # type: ignore[assignment]
    redis_server.stop()
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.02)

    loop = asyncio.get_running_loop()
    tick_task = asyncio.create_task(ticker())
    started = loop.time()
    response = await _post(http, inbound.text_message("o_slow_outage", "在国外护照丢了怎么办", msg_id=99001))
    elapsed = loop.time() - started
    stop.set()
    await tick_task
    assert elapsed < 2.0, f"answered after {elapsed:.1f}s"
    assert "已记录" in _content(response)  # a person answers: the hand-over waits in the spool
    assert ticks >= 10  # the loop went on while the matcher worked
    assert services.spool.pending() == 1
    redis_server.start()  # back, as after any outage: the spooled hand-over is replayed and the test ends clean
    for _ in range(200):
        if not services.health.redis_down and services.spool.pending() == 0:
            break
        await asyncio.sleep(0.05)
    assert services.spool.pending() == 0
