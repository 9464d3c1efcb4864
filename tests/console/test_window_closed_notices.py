"""What reaches a user whose 48-hour window has closed when an extension (延期) is approved: the progress
template message under the 2023 rules (编号, 状态 "延期至…前答复", 时间; no first/remark) when one is
configured, and otherwise the audit log says the user could not be told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.models import Ticket, TicketEvent
from wechat.template_fields import data_problems


async def _extend(client, services, make_ticket, fake_wechat, openid: str) -> Ticket:  # type: ignore[no-untyped-def]
    # Monday 2026-11-23 10:00 Beijing; due Wednesday 17:30; the user wrote last three days ago.
    ticket = await make_ticket(
        "捐赠图书的手续",
        openid=openid,
        due=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        interacted=services.clock.now() - timedelta(days=3),
    )
    fake_wechat.add_follower(openid)
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    token = csrf_of(page.text)
    asked = await client.post(
        f"/console/tickets/{ticket.number}/extension", data={"days": "2", "reason": "需核实", "csrf_token": token}
    )
    assert asked.status_code == 303
    decided = await client.post(
        f"/console/tickets/{ticket.number}/extension/decide", data={"decision": "approve", "csrf_token": token}
    )
    assert decided.status_code == 303
    return ticket


async def _events(services, ticket_id: int) -> list[tuple[str, dict | None]]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id))
        return [(e.action, e.detail) for e in rows]


async def test_an_extension_outside_the_window_is_told_by_template(
    client, staff, make_ticket, services, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    services.settings.wechat_answer_template_id = "TPL_FAKE_NOTICE"
    ticket = await _extend(client, services, make_ticket, fake_wechat, "o_extend_closed")
    assert await services.worker().run_once() == 1
    assert fake_wechat.custom_messages("o_extend_closed") == []  # the window is closed: no customer-service send
    [notice] = fake_wechat.templates_sent
    assert notice.openid == "o_extend_closed" and notice.template_id == "TPL_FAKE_NOTICE"
    # Wednesday 17:30 plus two working days: Friday 17:30 Beijing
    assert notice.data == {
        "character_string1": {"value": ticket.number},
        "thing2": {"value": "延期至11月27日17:30前答复"},
        "time3": {"value": "2026年11月23日 10:00"},
    }
    assert data_problems(notice.data) == []
    assert ("user_told_by_template", {"status": "延期至11月27日17:30前答复"}) in await _events(services, ticket.id)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert "窗口已关闭，已用模板消息通知用户" in page.text


async def test_without_a_template_the_audit_log_says_the_user_was_not_told(
    client, staff, make_ticket, services, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    services.settings.wechat_answer_template_id = ""
    ticket = await _extend(client, services, make_ticket, fake_wechat, "o_extend_untold")
    assert await services.worker().run_once() == 0
    assert fake_wechat.templates_sent == []
    actions = [action for action, _ in await _events(services, ticket.id)]
    assert "user_not_told" in actions and "user_told_by_template" not in actions
