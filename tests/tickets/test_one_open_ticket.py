"""One open ticket per user: messages racing in after “人工” join one ticket instead of opening one each.

The requests go through the webhook at the same time (one event loop, concurrent handlers, real database
and Redis), as WeChat delivers a user's burst of messages; the database's partial unique index is what
makes the outcome certain, and the per-user lock row is what makes the losers join instead of failing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.conftest import TEST_TOKEN
from tickets.models import Ticket, TicketMessage
from wechat import inbound
from wechat.fake_clock import ManualClock


@pytest.fixture
async def desk(make_services):  # type: ignore[no-untyped-def]
    from bot.app import create_app
    from faq.kb import load_kb

    services = await make_services(clock=ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    services.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    app = create_app(services=services, run_jobs=False)
    limits = httpx.Limits(max_connections=100)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", limits=limits) as http:
        yield services, http


async def _drain(services) -> None:  # type: ignore[no-untyped-def]
    from bot.backlog_drain import drain_backlog

    while await services.backlog.head() is not None or services.admission.active:
        await drain_backlog(services)  # and late replies still being handled hold their slots until done
        await asyncio.sleep(0.05)


async def _post(http: httpx.AsyncClient, openid: str, text: str) -> httpx.Response:
    query, body = inbound.sign_post(inbound.text_message(openid, text), "plain", TEST_TOKEN)
    return await http.post("/wechat", params=query, content=body)


@pytest.mark.asyncio
@pytest.mark.parametrize("burst", [2, 20])
async def test_messages_racing_after_human_join_one_ticket(desk, burst) -> None:  # type: ignore[no-untyped-def]
    services, http = desk
    openid = f"o_burst_{burst}"
    first = await _post(http, openid, "人工")
    assert "请直接描述" in first.text
    texts = [f"第{index}条：我父亲的侨房在老家被占用了，想咨询怎么处理（{index}）" for index in range(burst)]
    responses = await asyncio.gather(*(_post(http, openid, text) for text in texts))
    assert [r.status_code for r in responses] == [200] * burst
    # One message of a user at a time: on a busy machine the last of 20 may wait past the budget, be
    # answered "success" and queued; they join the ticket when the backlog is handled.
    await _drain(services)
    async with services.sessions() as session:
        tickets = (await session.scalars(select(Ticket).where(Ticket.openid == openid))).all()
        assert len(tickets) == 1, [t.number for t in tickets]
        [ticket] = tickets
        bodies = (await session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id))).all()
    held = [ticket.question, *bodies]
    assert sorted(held) == sorted(texts)  # every message is in the one ticket, none twice
    replies = [r.text for r in responses]
    # every passive reply names the same ticket (the queued ones are answered by customer-service message)
    assert sum(ticket.number in reply or reply == "success" for reply in replies) == burst


@pytest.mark.asyncio
async def test_database_refuses_a_second_open_ticket(desk) -> None:  # type: ignore[no-untyped-def]
    """The rule holds whatever code writes the rows (a second process, a staff action, a future bug)."""
    services, _ = desk
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def ticket(number: str) -> Ticket:
        return Ticket(number=number, openid="o_twice", source_key=f"src:{number}", state="open", question="q",
                      created_at=now, due_at=now, answer_delivery="none", reopen_count=0)

    async with services.sessions() as session:
        session.add(ticket("Q1"))
        await session.commit()
        session.add(ticket("Q2"))
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        answered = ticket("Q3")
        answered.state = "answered"
        session.add(answered)  # other states are not limited
        await session.commit()


def test_upgrade_merges_open_tickets_a_user_already_has(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Databases from before the rule hold duplicates (the race was real); the upgrade keeps every message."""
    from sqlalchemy import create_engine, text

    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0004_greetings")
    engine = create_engine(url)
    with engine.begin() as conn:
        for index, question in enumerate(["第一条", "第二条", "第三条"], start=1):
            conn.execute(
                text(
                    "INSERT INTO tickets (id, number, openid, source_key, state, question, script, created_at, "
                    "due_at, due_provisional, answer_delivery, reopen_count, version) VALUES (:id, :number, 'o_dup', "
                    ":src, 'open', :q, 'hans', :at, :at, 0, 'none', 0, 1)"
                ),
                {"id": index, "number": f"Q-{index}", "src": f"s{index}", "q": question, "at": f"2026-11-2{index}"},
            )
        conn.execute(
            text("INSERT INTO ticket_messages (ticket_id, kind, author, body, created_at) "
                 "VALUES (3, 'user', 'o_dup', '补充', '2026-11-23 03:00:00')")
        )
    upgrade(url)
    with engine.connect() as conn:
        states: dict[str, str] = dict(conn.execute(text("SELECT number, state FROM tickets")).tuples().all())
        bodies = sorted(conn.execute(text("SELECT body FROM ticket_messages WHERE ticket_id = 1")).scalars())
        merged = conn.execute(text("SELECT count(*) FROM ticket_events WHERE action = 'merged_into'")).scalar()
    engine.dispose()
    assert states == {"Q-1": "open", "Q-2": "closed", "Q-3": "closed"}
    assert bodies == ["第三条", "第二条", "补充"]
    assert merged == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("question", ["在国外护照丢了怎么办", "我父亲的侨房在老家被占用了，想咨询怎么处理"])
async def test_a_question_sent_right_after_human_joins_the_hand_over(desk, question) -> None:  # type: ignore[no-untyped-def]
    """“人工” and the question a few milliseconds later, both in flight at once: whichever is handled first,
    the question ends up as the one ticket's question (the user's messages are handled one at a time)."""
    services, http = desk
    users = [f"o_fast_{index}_{len(question)}" for index in range(8)]

    async def pair(openid: str, gap: float) -> None:
        human = asyncio.create_task(_post(http, openid, "人工"))
        await asyncio.sleep(gap)
        follow = asyncio.create_task(_post(http, openid, question))
        for response in await asyncio.gather(human, follow):
            assert response.status_code == 200

    await asyncio.gather(*(pair(openid, 0.001 * (index % 4)) for index, openid in enumerate(users)))
    await _drain(services)  # on a busy machine some wait their turn there
    async with services.sessions() as session:
        for openid in users:
            tickets = (await session.scalars(select(Ticket).where(Ticket.openid == openid))).all()
            assert [t.question for t in tickets] == [question], openid
