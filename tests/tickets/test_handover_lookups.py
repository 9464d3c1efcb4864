"""The hand-over's lookups (tickets.user_tickets.read_both) read the message's earlier ticket and the user's
current one in one statement, after the user's lock (tickets.user_lock), which runs as a Core statement on the
session's own connection: it must still hold the session's transaction, and the reads after it see the winner."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_TOKEN
from tickets.models import Ticket, TicketMessage
from tickets.new_rows import insert_ticket
from tickets.user_lock import lock_user
from tickets.user_tickets import SOURCE, read_both
from wechat import inbound
from wechat.fake_clock import ManualClock

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


def _ctx(session, openid: str, key: str) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """What ``read_both`` reads of a HandlerContext."""
    return SimpleNamespace(session=session, openid=openid, dedupe_key=key, scratch={})


@pytest.mark.asyncio
async def test_a_racing_hand_over_waits_for_the_lock_and_then_reads_the_winners_ticket(services) -> None:  # type: ignore[no-untyped-def]
    """Two processes' hand-overs of one user (the webhook's per-sender lock in Redis aside): the second takes
    the lock only once the first committed its ticket, and then finds that ticket as the current one."""
    openid = "o_two_processes"
    async with services.sessions() as first, services.sessions() as second:
        await lock_user(first, openid, NOW)
        opened = await insert_ticket(
            first,
            {
                "number": "Q20261123-0001",
                "openid": openid,
                "source_key": "m1",
                "question": UNANSWERABLE,
                "created_at": NOW,
                "due_at": NOW,
            },
        )

        async def second_hand_over() -> Ticket | None:
            await lock_user(second, openid, NOW)
            return await read_both(_ctx(second, openid, "m2"))  # type: ignore[arg-type]

        racing = asyncio.create_task(second_hand_over())
        await asyncio.sleep(0.3)
        assert not racing.done()  # waiting for the first one's lock
        await first.commit()
        current = await asyncio.wait_for(racing, 15)
        assert current is not None and current.number == opened.number and current.state == "open"
        await second.commit()


@pytest.mark.asyncio
async def test_read_both_tells_the_current_ticket_from_the_one_the_message_handled(services) -> None:  # type: ignore[no-untyped-def]
    openid = "o_both"
    async with services.sessions() as session:
        old = await insert_ticket(
            session,
            {
                "number": "Q20261123-0001",
                "openid": openid,
                "source_key": "m-old",
                "question": "旧的",
                "created_at": NOW,
                "due_at": NOW,
                "state": "closed",
            },
        )
        new = await insert_ticket(
            session,
            {
                "number": "Q20261123-0002",
                "openid": openid,
                "source_key": "m-new",
                "question": "新的",
                "created_at": NOW,
                "due_at": NOW,
            },
        )
        session.add(TicketMessage(ticket_id=old.id, kind="user", author=openid, body="补充", source_key="m-joined"))
        await session.commit()
    async with services.sessions() as session:
        for key, handled in (
            ("m-old", "Q20261123-0001"),
            ("m-joined", "Q20261123-0001"),
            ("m-new", "Q20261123-0002"),
            ("m-unseen", None),
        ):
            ctx = _ctx(session, openid, key)
            current = await read_both(ctx)  # type: ignore[arg-type]
            assert current is not None and current.number == new.number, key
            assert (ctx.scratch[SOURCE].number if ctx.scratch[SOURCE] else None) == handled, key
        nobody = _ctx(session, "o_nobody", "m-old")
        assert await read_both(nobody) is None  # type: ignore[arg-type]
        assert nobody.scratch[SOURCE].number == "Q20261123-0001"


@pytest.mark.asyncio
async def test_a_follow_up_rehandled_after_a_lost_dedupe_record_joins_once(make_services) -> None:  # type: ignore[no-untyped-def]
    from bot.app import create_app
    from faq.kb import load_kb

    services = await make_services(clock=ManualClock(NOW))
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=services, run_jobs=False)
    openid = "o_follow_again"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def post(text: str, msg_id: int) -> str:
            query, body = inbound.sign_post(inbound.text_message(openid, text, msg_id=msg_id), "plain", TEST_TOKEN)
            return (await http.post("/wechat", params=query, content=body)).text

        assert "Q20261123-0001" in await post(UNANSWERABLE, 1)
        assert "已补充" in await post("补充一下，大概两百本儿童读物", 2)
        await services.redis.flushdb()  # the dedupe record is gone, as if the process died after its commit
        again = await post("补充一下，大概两百本儿童读物", 2)
    assert "已补充到您的留言" in again and "Q20261123-0001" in again
    async with services.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(TicketMessage))
    assert count == 1


@pytest.mark.asyncio
async def test_asking_for_a_person_reads_nothing_for_a_user_without_tickets(make_services) -> None:  # type: ignore[no-untyped-def]
    """“人工” from a user the desk's flag says has no ticket runs no statement (it is asked for its question);
    once they have one, “人工” finds it open; an addition is written as rows (the message and its event)."""
    from sqlalchemy import event

    from bot.app import create_app
    from faq.kb import load_kb
    from handlers import texts
    from tickets.models import TicketEvent

    services = await make_services(clock=ManualClock(NOW))
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=services, run_jobs=False)
    openid = "o_person_please"
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def post(text: str, msg_id: int) -> str:
            query, body = inbound.sign_post(inbound.text_message(openid, text, msg_id=msg_id), "plain", TEST_TOKEN)
            return (await http.post("/wechat", params=query, content=body)).text

        await post("你好", 1)  # the desk's flags are in place (rebuilt once from the tickets table)
        event.listen(services.engine.sync_engine, "before_cursor_execute", listen)
        try:
            asked = await post("人工", 2)
        finally:
            event.remove(services.engine.sync_engine, "before_cursor_execute", listen)
        assert statements == []
        assert texts.HANDOVER_ASK_QUESTION in asked
        assert "Q20261123-0001" in await post(UNANSWERABLE, 3)  # the question after “人工” opens the ticket
        assert "Q20261123-0001" in await post("人工", 4)  # already open
        assert "Q20261123-0001" in await post("补充一下，大概两百本儿童读物", 5)
    async with services.sessions() as session:
        lines = (await session.scalars(select(TicketMessage.body).where(TicketMessage.kind == "user"))).all()
        actions = (await session.scalars(select(TicketEvent.action).order_by(TicketEvent.id))).all()
    assert lines == ["补充一下，大概两百本儿童读物"]
    assert actions[0] == "created" and actions[-1] == "appended"


@pytest.mark.asyncio
async def test_an_faq_answer_reads_owed_answers_and_the_current_ticket_in_one_statement_fresh_each_message(
    make_services,
) -> None:  # type: ignore[no-untyped-def]
    """A user with a ticket: each text message asks which answers are owed to them and, once the FAQ answered,
    for their current ticket (to note the answer on an open one). Both are one statement, read anew for every
    message: once staff answered the ticket, the next FAQ answer hands the owed answer over and is not noted on
    the ticket, as it would be if the open ticket read by an earlier message were kept."""
    from sqlalchemy import event, update

    from bot.app import create_app
    from faq.kb import load_kb

    services = await make_services(clock=ManualClock(NOW))
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=services, run_jobs=False)
    openid = "o_faq_with_a_ticket"
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(" ".join(statement.split()))  # noqa: E731
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def post(text: str, msg_id: int) -> str:
            query, body = inbound.sign_post(inbound.text_message(openid, text, msg_id=msg_id), "plain", TEST_TOKEN)
            statements.clear()
            event.listen(services.engine.sync_engine, "before_cursor_execute", listen)
            try:
                return (await http.post("/wechat", params=query, content=body)).text
            finally:
                event.remove(services.engine.sync_engine, "before_cursor_execute", listen)

        assert "Q20261123-0001" in await post(UNANSWERABLE, 1)
        assert "报案证明" in await post("在国外护照丢了怎么办", 2)
        reads = [s for s in statements if s.startswith("SELECT") and "FROM tickets" in s]
        assert len(reads) == 1, statements  # the owed answers and the current ticket together
        # ... and whether the message is noted already: noting it on the open ticket reads nothing more
        assert [s.split()[0] for s in statements] == ["SELECT", "INSERT"], statements
        async with services.sessions() as session:
            await session.execute(
                update(Ticket).values(
                    state="answered", answer="请带上户口本到侨联办理。", answered_at=NOW, answer_delivery="notified"
                )
            )
            await session.commit()
        assert "报案证明" in await post("护照在国外被偷了", 3)  # the owed answer goes out with it
        assert "报案证明" in await post("海外护照遗失补办", 4)
    from tickets.models import TicketEvent

    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket))
        context = (await session.scalars(select(TicketMessage.body).where(TicketMessage.kind == "context"))).all()
        handed = (
            await session.scalars(select(TicketEvent.id).where(TicketEvent.action == "answer_delivered_on_return"))
        ).all()
    assert ticket is not None and ticket.answer_delivery == "sent" and len(handed) == 1  # handed over once
    assert context == ["在国外护照丢了怎么办"]  # noted while open; not after staff answered

    from tickets.user_tickets import owed_and_current

    async with services.sessions() as session:  # a message re-handled after it was noted is not noted twice
        key = await session.scalar(select(TicketMessage.source_key).where(TicketMessage.kind == "context"))
        assert key is not None
        assert (await owed_and_current(session, openid, key))[2] is True
        assert (await owed_and_current(session, openid, key + "-other"))[2] is False
        assert await owed_and_current(session, "o_no_ticket", key) == ([], None, None)
