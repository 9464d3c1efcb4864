"""回访 end to end without a browser: the answer asks for a rating, the user's 1/2/3 is recorded in their
script, 不满意 reopens the ticket for supervisors with the comment, and the statistics show 满意率."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from staff.models import Notification
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.models import Ticket

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


async def _answered_ticket(services, client, wechat_user, openid: str, question: str = UNANSWERABLE):  # type: ignore[no-untyped-def]
    user = wechat_user(openid=openid)
    await user.say(question)
    await services.activity.flush()
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == openid))
        assert ticket is not None
    page = await client.get(f"/console/tickets/{ticket.number}")
    answered = await client.post(
        f"/console/tickets/{ticket.number}/answer",
        data={
            "answer": "请联系县侨联办公室，电话 0750-1234567。",
            "version": str(ticket.version),
            "csrf_token": csrf_of(page.text),
        },
    )
    assert answered.status_code == 303
    assert await services.worker().run_once() == 1
    return user, ticket


async def _reload(services, number: str) -> Ticket:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        return ticket


async def test_unsatisfied_rating_reopens_for_supervisors_with_the_comment(
    client, staff, services, wechat_user, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    await page_login(client, "sam", PASSWORD)
    user, ticket = await _answered_ticket(services, client, wechat_user, "o_rate_bad")
    [answer] = fake_wechat.custom_messages("o_rate_bad")
    assert "满意" not in (answer.text or "")
    # 回访 as its own message, enqueued once the answer was sent (a sweep finds nothing left to send)
    fake_wechat.clock.advance(seconds=1)
    await services.deliveries.sweep(older_than=timedelta(0))
    assert await services.worker().run_once() == 1
    [_answer, rating] = fake_wechat.custom_messages("o_rate_bad")
    assert "回复 1 满意，2 基本满意，3 不满意" in (rating.text or "")
    await services.deliveries.sweep(older_than=timedelta(0))  # asked once
    assert await services.worker().run_once() == 0
    reply = await user.say("3 电话打不通")
    assert reply is not None and "已转主管跟进" in reply
    rated = await _reload(services, ticket.number)
    assert rated.rating == 3 and rated.rating_comment == "电话打不通" and rated.state == "open"
    assert rated.assignee is None and rated.reopen_count == 1
    async with services.sessions() as session:
        [note] = (await session.scalars(select(Notification).where(Notification.kind == "unsatisfied"))).all()
    assert note.recipient == "role:supervisor" and "电话打不通" in note.text and note.ticket_id == ticket.id
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert '用户评价 · <span class="event-detail">不满意：电话打不通</span>' in page.text
    assert "用户不满意，重新打开交主管" in page.text
    # Rated once: a later "1" is no longer a rating of this answer.
    again = await user.say("1")
    assert again is None or "感谢您的评价" not in again
    stats = await client.get("/console/stats")
    assert 'id="satisfaction-rate">0.0%<' in stats.text


async def test_satisfied_rating_in_traditional_keeps_the_ticket_answered(client, staff, services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    await page_login(client, "sam", PASSWORD)
    user, ticket = await _answered_ticket(
        services, client, wechat_user, "o_rate_good", "想給家鄉小學捐一批圖書，找誰聯繫"
    )
    reply = await user.say("1")
    assert reply is not None and "感謝您的評價" in reply
    rated = await _reload(services, ticket.number)
    assert rated.rating == 1 and rated.state == "answered"
    stats = await client.get("/console/stats")
    assert 'id="satisfaction-rate">100.0%<' in stats.text
    assert "<tr><td>sam</td><td>1</td><td>1</td><td>0</td><td>0</td>" in stats.text


async def test_a_digit_without_an_answer_awaiting_rating_is_not_a_rating(client, staff, services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user(openid="o_no_rating")
    await user.say(UNANSWERABLE)
    reply = await user.say("1")
    assert reply is None or "评价" not in reply
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_no_rating"))
        assert ticket is not None and ticket.rating is None
