"""The ticket's clock through the console and the webhook: 延期 asked before the due time and decided by a
supervisor (the user told the new due time in plain words), and 待补充, which stops the clock until the
user's reply and closes a ticket whose user stays silent too long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from calendars.working_days import WorkingCalendar
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.clock_stops import add_working_time, working_time_between
from tickets.models import Ticket, TicketEvent
from tickets.routing_models import DepartmentMember, TicketExtension

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


async def _ticket(services, number: str) -> Ticket:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        return ticket


async def _actions(services, ticket_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return list(rows.all())


async def test_extension_requested_before_the_due_time_and_approved(
    client, staff, make_ticket, services, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    # Monday 2026-11-23 10:00 Beijing; due Wednesday 17:30.
    ticket = await make_ticket("捐赠图书的手续", openid="o_extend", due=datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    fake_wechat.interact("o_extend")
    async with services.sessions() as session:
        session.add(DepartmentMember(department="culture", username="alice", added_at=services.clock.now()))
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "culture"
        await session.commit()
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    token = csrf_of(page.text)
    assert 'id="extension-form"' in page.text
    too_long = await client.post(
        f"/console/tickets/{ticket.number}/extension", data={"days": "30", "reason": "x", "csrf_token": token}
    )
    assert too_long.status_code == 400 and "1 到 10 个工作日" in too_long.text
    asked = await client.post(
        f"/console/tickets/{ticket.number}/extension",
        data={"days": "2", "reason": "需向教育部门核实捐赠流程", "csrf_token": token},
    )
    assert asked.status_code == 303
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert "等待主管审批" in page.text and 'id="approve-extension"' not in page.text
    twice = await client.post(
        f"/console/tickets/{ticket.number}/extension", data={"days": "1", "reason": "再延", "csrf_token": token}
    )
    assert twice.status_code == 400 and "已有一个待审批的延期申请" in twice.text
    not_mine = await client.post(
        f"/console/tickets/{ticket.number}/extension/decide", data={"decision": "approve", "csrf_token": token}
    )
    assert not_mine.status_code == 403
    await client.post("/console/logout", data={"csrf_token": token})

    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert 'id="approve-extension"' in page.text and "需向教育部门核实捐赠流程" in page.text
    approved = await client.post(
        f"/console/tickets/{ticket.number}/extension/decide",
        data={"decision": "approve", "note": "同意", "csrf_token": csrf_of(page.text)},
    )
    assert approved.status_code == 303
    extended = await _ticket(services, ticket.number)
    # Two working days after Wednesday: Friday 17:30.
    assert extended.due_at == datetime(2026, 11, 27, 9, 30, tzinfo=UTC) and extended.extension_count == 1
    assert await services.worker().run_once() == 1
    [told] = fake_wechat.custom_messages("o_extend")
    assert "需要更多时间办理" in told.text and "11月27日（周五）17:30前答复" in told.text and ticket.number in told.text
    assert (await _actions(services, ticket.id))[-2:] == ["extension_requested", "extension_approved"]
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert 'id="extension-count">1<' in page.text and "已批准（sam：同意）" in page.text


async def test_extension_refused_keeps_the_due_time_and_none_after_it(
    client, staff, make_ticket, services, fake_clock
) -> None:  # type: ignore[no-untyped-def]
    ticket = await make_ticket("问题", due=services.clock.now() + timedelta(hours=5))
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    token = csrf_of(page.text)
    await client.post(
        f"/console/tickets/{ticket.number}/extension", data={"days": "1", "reason": "核实中", "csrf_token": token}
    )
    refused = await client.post(
        f"/console/tickets/{ticket.number}/extension/decide", data={"decision": "refuse", "csrf_token": token}
    )
    assert refused.status_code == 303
    assert (await _ticket(services, ticket.number)).due_at == ticket.due_at
    async with services.sessions() as session:
        [row] = (await session.scalars(select(TicketExtension))).all()
        assert row.state == "refused" and row.decided_by == "sam"
    fake_clock.advance(hours=6)
    late = await client.post(
        f"/console/tickets/{ticket.number}/extension", data={"days": "1", "reason": "晚了", "csrf_token": token}
    )
    assert late.status_code == 400 and "已过答复期限" in late.text


async def test_waiting_on_the_user_stops_the_clock_until_they_reply(
    client, staff, services, wechat_user, fake_clock, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user(openid="o_wait")
    await user.say(UNANSWERABLE)
    await services.activity.flush()  # the follower's last message time, which opens the 48-hour window
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_wait"))
        assert ticket is not None
    calendar = WorkingCalendar()
    left = working_time_between(services.clock.now(), ticket.due_at, calendar)
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    asked = await client.post(
        f"/console/tickets/{ticket.number}/ask",
        data={"request": "请提供学校名称和联系人电话", "csrf_token": csrf_of(page.text)},
    )
    assert asked.status_code == 303
    waiting = await _ticket(services, ticket.number)
    assert waiting.state == "waiting" and waiting.waiting_left_seconds == int(left.total_seconds())
    assert await services.worker().run_once() == 1
    [request] = fake_wechat.custom_messages("o_wait")
    assert "请提供学校名称和联系人电话" in request.text and "5个工作日内未收到回复" in request.text

    # Three days later (Thursday), past the first due time, the user answers: the promise restarts with what was left.
    fake_clock.advance(days=3)
    reply = await user.say("学校是侨乡第一小学，联系人李老师 13800000000")
    await services.activity.flush()
    assert reply is not None and ticket.number in reply
    resumed = await _ticket(services, ticket.number)
    assert resumed.state == "open" and resumed.waiting_since is None
    assert resumed.due_at == add_working_time(services.clock.now(), left, calendar)
    assert (await _actions(services, ticket.id))[-3:] == ["waiting_on_user", "user_supplied", "appended"]
    await page_login(client, "sam", PASSWORD)  # the console session lapsed over the three days
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert "请用户补充 · Sam" in page.text  # the asker by display name and "用户已补充（恢复计时）" in page.text


async def test_a_silent_user_closes_the_wait_after_the_configured_working_days(
    client, staff, services, wechat_user, fake_clock, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user(openid="o_silent")
    await user.say(UNANSWERABLE)
    await services.activity.flush()  # the follower's last message time, which opens the 48-hour window
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_silent"))
        assert ticket is not None
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    await client.post(
        f"/console/tickets/{ticket.number}/ask", data={"request": "请提供护照号码", "csrf_token": csrf_of(page.text)}
    )
    assert await services.worker().run_once() == 1
    # Monday's request: Tue-Fri and the next Monday are five working days; by the next Tuesday they have ended.
    fake_clock.advance(days=7)
    assert await services.time_limits.close_silent_waits() == 0
    fake_clock.advance(days=1)
    assert await services.time_limits.close_silent_waits() == 1
    closed = await _ticket(services, ticket.number)
    assert closed.state == "closed" and closed.closed_at is not None
    assert await services.time_limits.close_silent_waits() == 0
    # The 48-hour window closed long ago: the closing message reaches the user when they next write.
    assert closed.answer_delivery == "waiting"
    await user.say("你好")
    assert await services.worker().run_once() == 1
    assert "因5个工作日未收到您的补充，已办结" in fake_wechat.custom_messages("o_silent")[-1].text
