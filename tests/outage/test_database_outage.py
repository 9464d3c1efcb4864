"""The database unreachable (a PostgreSQL URL on a port nothing listens on): the webhook still answers every
message with a 200, FAQ questions from the matcher, and keeps hand-overs in Redis; a worker connected to the
database writes them as tickets, and the message log, once it can.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from sqlalchemy import func, select

from bot.closing import DEFERRED_KEY
from bot.deferred import drain_deferred
from storage.models import Delivery, MessageLog
from tests.conftest import TEST_TOKEN
from tests.outage.faults import closed_port, silent_port
from tickets.models import Ticket, TicketMessage
from wechat import inbound

pytestmark = pytest.mark.asyncio

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


async def _post(http: httpx.AsyncClient, xml: str) -> httpx.Response:
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    return await http.post("/wechat", params=query, content=body)


def _content(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    reply = inbound.decode_reply(response.content, "plain", TEST_TOKEN)
    assert reply is not None, response.text
    return str(reply["Content"])


async def test_database_outage_answers_and_queues_handovers_for_the_worker(make_services, caplog) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app
    from faq.kb import load_kb

    caplog.set_level(logging.INFO)
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/qiaobot"
    web = await make_services(database_url=unreachable)
    web.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=web, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        questions = [inbound.text_message(f"o_db_{i}", "在国外护照丢了怎么办") for i in range(10)]
        answers = await asyncio.gather(*(_post(http, xml) for xml in questions))
        assert all("报案" in _content(r) for r in answers)
        assert "已记录" in _content(await _post(http, inbound.text_message("o_db_other", UNANSWERABLE)))
        assert "请直接描述" in _content(await _post(http, inbound.text_message("o_db_human", "人工")))
        question = "我父亲的侨房在老家被占用了，怎么办"
        assert "已记录" in _content(await _post(http, inbound.text_message("o_db_human", question)))
        assert "请直接描述" in _content(await _post(http, inbound.click_event("o_db_click", "HUMAN")))
        redelivered = inbound.text_message("o_db_other", UNANSWERABLE, msg_id=88001)
        first = _content(await _post(http, redelivered))
        assert _content(await _post(http, redelivered)) == first  # handled once: one hand-over for it
    downs = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(downs) == 1, [r.getMessage() for r in downs]
    assert await web.redis.llen(DEFERRED_KEY) == 3

    # The worker, connected to the database (back, or never lost from its side), writes what was kept.
    worker = await make_services()
    assert await drain_deferred(worker) == 3
    assert await drain_deferred(worker) == 0
    await worker.activity.flush()
    async with worker.sessions() as session:
        tickets = {t.openid: t for t in (await session.scalars(select(Ticket))).all()}
        logged = await session.scalar(select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in"))
        pushes = (await session.scalars(select(Delivery).where(Delivery.purpose == "deferred_handover"))).all()
    assert set(tickets) == {"o_db_other", "o_db_human"}
    assert tickets["o_db_human"].question == question
    other = tickets["o_db_other"]
    assert other.question == UNANSWERABLE
    async with worker.sessions() as session:  # the user's second message joined the ticket the first opened
        joined = await session.scalar(
            select(func.count()).select_from(TicketMessage).where(TicketMessage.ticket_id == other.id)
        )
    assert joined == 1
    assert len(pushes) == 3 and all(p.payload["text"]["content"] for p in pushes)
    assert logged == 10 + 1 + 2 + 1 + 1  # every message once (the redelivery not again)


@pytest.mark.parametrize("addresses", [1, 2])
async def test_a_database_host_that_never_answers_costs_a_message_the_connect_timeout_not_the_reply(  # type: ignore[no-untyped-def]
    make_services, addresses: int
) -> None:
    """A host that drops packets (a port that accepts and never answers): the connect gives up after
    ``database_connect_timeout_seconds`` and the message is answered as in an outage, passively, within
    WeChat's wait, its hand-over kept in Redis; without the timeout it waited past the budget for a connect.
    With two addresses to try (a name with IPv4 and IPv6 addresses, here two hosts of a multi-host URL) the
    timeout is still one in all, not one per address (2 + 2 s, at the budget)."""
    from bot.app import create_app
    from faq.kb import load_kb

    hosts = "&".join(f"host=127.0.0.1:{silent_port()}" for _ in range(addresses))
    silent = f"postgresql+psycopg://postgres@/qiaobot?{hosts}"
    web = await make_services(database_url=silent, database_connect_timeout_seconds=2)
    web.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=web, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        started = time.monotonic()
        async with asyncio.timeout(20):  # a regression fails instead of hanging the run
            reply = _content(await _post(http, inbound.text_message("o_db_silent", UNANSWERABLE)))
        elapsed = time.monotonic() - started
    assert "已记录" in reply
    assert elapsed < web.settings.passive_reply_budget_seconds
    assert await web.redis.llen(DEFERRED_KEY) == 1


async def test_a_photo_before_a_hand_over_the_database_missed_joins_the_ticket_written_later(  # type: ignore[no-untyped-def]
    make_services, fake_wechat
) -> None:
    """The photo came while the database answered, the request that opens a ticket while it was out: the worker's
    ticket still takes the photo (kept in Redis, not in the rolled-back transaction) and queues its download."""
    from bot.app import create_app
    from faq.kb import load_kb
    from tickets.attachment_models import Attachment

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    up = await make_services()
    down = await make_services(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/qiaobot")
    for services in (up, down):
        services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    media_id = fake_wechat.add_user_media("image", png, content_type="image/png")
    def client(services) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
        app = create_app(services=services, run_jobs=False)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async with client(up) as http:
        kept = _content(await _post(http, inbound.image_message("o_db_photo", media_id=media_id)))
    assert "图片会一并转交" in kept
    async with client(down) as http:  # a request that becomes a ticket, while the database is out
        assert "已记录" in _content(await _post(http, inbound.text_message("o_db_photo", UNANSWERABLE)))
    assert await drain_deferred(up) == 1
    async with up.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_db_photo"))
        [photo] = (await session.scalars(select(Attachment))).all()
    assert ticket is not None and photo.ticket_id == ticket.id and photo.state == "pending"
    assert await up.queue.get(f"attachment:{photo.id}") is not None  # queued by the worker after its commit
    await up.worker().run_once()
    async with up.sessions() as session:
        stored = await session.get(Attachment, photo.id)
    assert stored is not None and stored.state == "stored"


async def test_a_hand_over_the_database_missed_keeps_what_the_user_wrote_while_it_answered(make_services) -> None:  # type: ignore[no-untyped-def]
    """Users who wrote while the database answered have their state cached, so during an outage the normal path
    runs until it needs the database: “人工” then still takes their earlier question, and the question after a
    “人工” that asked for one is kept, whichever process handles it."""
    from bot.app import create_app
    from faq.kb import load_kb

    up = await make_services()
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/qiaobot"
    down, other_process = await make_services(database_url=unreachable), await make_services(database_url=unreachable)
    for services in (up, down, other_process):
        services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))

    def client(services) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services=services, run_jobs=False)), base_url="http://t")

    question = "我父亲的侨房在老家被占用了，怎么办"
    async with client(up) as http:  # both users write while the database answers
        assert "报案" in _content(await _post(http, inbound.text_message("o_db_earlier", "在国外护照丢了怎么办")))
        assert _content(await _post(http, inbound.text_message("o_db_asked", "你好")))
    async with client(down) as http:
        assert "已记录" in _content(await _post(http, inbound.text_message("o_db_earlier", "人工")))
        assert "请直接描述" in _content(await _post(http, inbound.text_message("o_db_asked", "人工")))
    async with client(other_process) as http:  # another process, with outage memory of its own
        assert "已记录" in _content(await _post(http, inbound.text_message("o_db_asked", question)))
    assert await drain_deferred(up) == 2
    async with up.sessions() as session:
        tickets = {t.openid: t.question for t in (await session.scalars(select(Ticket))).all()}
    assert tickets == {"o_db_earlier": "在国外护照丢了怎么办", "o_db_asked": question}
