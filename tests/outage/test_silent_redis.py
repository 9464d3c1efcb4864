"""Redis that accepts connections and never answers, under a running service: the first message waits one
``redis_timeout_seconds``, not redis-py's 5 s, and is answered passively within the budget; later ones take the
outage path at once; what they must write is spooled and replayed once, exactly, when Redis answers again.

Two real faults, both a port that accepts and never answers: the test's own redis-server hung (SIGSTOP; it
runs what was sent meanwhile once resumed), and a TCP proxy in front of it that drops every byte either way.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import func, select

from bot.closing import DEFERRED_KEY
from bot.deferred import drain_deferred
from storage.models import MessageLog
from tests.conftest import TEST_TOKEN
from tests.outage.faults import SilentRedis
from tickets.models import Ticket
from wechat import inbound

pytestmark = pytest.mark.asyncio

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"
FAQ = "在国外护照丢了怎么办"
TIMEOUT_S = 1.5  # the budget is 4 s: the first message's wait and its answer fit, and the separation is clear


async def _post(http: httpx.AsyncClient, xml: str) -> tuple[str, float]:
    """The reply's text and how long it took; a regression (a hang) fails instead of stalling the run."""
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    started = time.monotonic()
    async with asyncio.timeout(20):
        response = await http.post("/wechat", params=query, content=body)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    reply = inbound.decode_reply(response.content, "plain", TEST_TOKEN)
    assert reply is not None, response.text
    return str(reply["Content"]), elapsed


async def test_a_redis_that_never_answers_costs_one_timeout_and_loses_nothing(  # type: ignore[no-untyped-def]
    make_services, silent_redis: SilentRedis
) -> None:
    from bot.app import create_app
    from faq.kb import load_kb

    services = await make_services(redis_url=silent_redis.url, redis_timeout_seconds=TIMEOUT_S)
    await services.start(run_jobs=False)  # with the health monitor, which probes every second while Redis is out
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    budget = services.settings.passive_reply_budget_seconds
    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        reply, _ = await _post(http, inbound.text_message("o_before", FAQ))  # pooled connections, as in service
        assert "报案" in reply
        await services.activity.flush()

        silent_redis.silence()
        first = inbound.text_message("o_silent_0", UNANSWERABLE, msg_id=8000)
        recorded, elapsed = await _post(http, first)
        assert "已记录" in recorded and "留言编号" in recorded  # a hand-over, kept in the spool
        assert TIMEOUT_S * 0.9 <= elapsed < budget, f"answered after {elapsed:.2f} s"  # it did wait on Redis
        assert services.health.redis_down

        # Marked down: the next messages do not wait for Redis again, each answered from the outage path.
        later = [inbound.text_message(f"o_silent_{i}", FAQ, msg_id=8000 + i) for i in range(1, 6)]
        for xml in later:
            reply, elapsed = await _post(http, xml)
            assert "报案" in reply
            assert elapsed < TIMEOUT_S / 2, f"a message after the first waited {elapsed:.2f} s"
        again, _ = await _post(http, first)  # WeChat's redelivery: the same reply, not a second hand-over
        assert again == recorded
        spooled = 1 + len(later)
        assert services.spool.pending() == spooled

        silent_redis.restore()
        async with asyncio.timeout(20):  # the monitor finds Redis back and replays the spool
            while services.health.redis_down or services.spool.pending():
                await asyncio.sleep(0.05)
        redelivered, _ = await _post(http, first)  # after the replay: the reply the first delivery got
        assert redelivered == recorded

    await services.activity.flush()
    assert await services.redis.llen(DEFERRED_KEY) == 1
    assert await drain_deferred(services) == 1
    assert await drain_deferred(services) == 0
    async with services.sessions() as session:
        logged = await session.scalar(select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in"))
        tickets = (await session.scalars(select(Ticket))).all()
    assert logged == 1 + spooled  # every message once, the redeliveries not at all
    assert [(t.openid, t.question) for t in tickets] == [("o_silent_0", UNANSWERABLE)]
