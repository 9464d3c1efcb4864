"""Departments and routing through the console and the webhook: 派单 by category, the dispatcher's queue,
转办 and 退单 with reasons (and who may do them), 转介 that tells the user where to go and closes the ticket,
the audit log on the ticket page, and the admins' department page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from staff.accounts import create_staff
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.models import Ticket, TicketEvent
from tickets.routing_models import DepartmentMember

# The FAQ is unsure between its two passport entries (category 出入境): a hand-over with related entries.
PASSPORT_QUESTION = "护照的事情想问问，孩子的护照在德国能不能办理加急，大概多少钱"
UNRELATED_QUESTION = "想给家乡小学捐一批图书，找谁联系"


async def make_account(services, username: str, role: str) -> None:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        create_staff(session, username, PASSWORD, role, display_name=username.title())
        await session.commit()


async def _ticket(services, number: str) -> Ticket:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None
        return ticket


async def _events(services, ticket_id: int) -> list[tuple[str, str, dict | None]]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.action, e.actor, e.detail) for e in rows]


async def _join(services, department: str, username: str) -> None:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        session.add(DepartmentMember(department=department, username=username, added_at=services.clock.now()))
        await session.commit()


async def test_new_tickets_are_routed_by_category_or_left_to_the_dispatcher(wechat_user, services) -> None:  # type: ignore[no-untyped-def]
    routed_reply = await wechat_user(openid="o_passport").say(PASSPORT_QUESTION)
    plain_reply = await wechat_user(openid="o_books").say(UNRELATED_QUESTION)
    assert routed_reply is not None and "留言编号" in routed_reply
    assert plain_reply is not None and "留言编号" in plain_reply
    async with services.sessions() as session:
        tickets = {t.openid: t for t in (await session.scalars(select(Ticket))).all()}
    passport, books = tickets["o_passport"], tickets["o_books"]
    assert passport.category == "出入境" and passport.department == "rights"
    assert books.category is None and books.department is None
    assert [a for a, _, _ in await _events(services, passport.id)] == ["created", "routed"]
    assert (await _events(services, passport.id))[1] == ("routed", "system", {"to": "rights", "category": "出入境"})
    assert [a for a, _, _ in await _events(services, books.id)] == ["created"]


async def test_dispatch_transfer_and_return_with_reasons_and_permissions(client, staff, make_ticket, services) -> None:  # type: ignore[no-untyped-def]
    await make_account(services, "dora", "dispatcher")
    await _join(services, "rights", "alice")
    await _join(services, "economy", "bob")
    ticket = await make_ticket("回国投资办厂有什么优惠政策？", category=None)

    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert 'id="dispatch-form"' not in page.text  # alice is no dispatcher
    refused = await client.post(
        f"/console/tickets/{ticket.number}/dispatch", data={"department": "economy", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403 and "分派员" in refused.text
    await client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    # The dispatcher sees the ticket in the dispatcher's queue and sends it to 经济科技部.
    await page_login(client, "dora", PASSWORD)
    queue = await client.get("/console/tickets", params={"department": "-"})
    assert ticket.number in queue.text
    page = await client.get(f"/console/tickets/{ticket.number}")
    sent = await client.post(
        f"/console/tickets/{ticket.number}/dispatch", data={"department": "economy", "csrf_token": csrf_of(page.text)}
    )
    assert sent.status_code == 303
    assert (await _ticket(services, ticket.number)).department == "economy"
    await client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    # Bob (经济科技部) transfers it to 权益保障部; a reason is required.
    await page_login(client, "bob", PASSWORD)
    mine = await client.get("/console/tickets", params={"department": "mine"})
    assert ticket.number in mine.text
    page = await client.get(f"/console/tickets/{ticket.number}")
    token = csrf_of(page.text)
    no_reason = await client.post(
        f"/console/tickets/{ticket.number}/transfer", data={"department": "rights", "reason": " ", "csrf_token": token}
    )
    assert no_reason.status_code == 400 and "请填写转办理由" in no_reason.text
    moved = await client.post(
        f"/console/tickets/{ticket.number}/transfer",
        data={"department": "rights", "reason": "涉及侨商合法权益纠纷", "csrf_token": token},
    )
    assert moved.status_code == 303
    # Once it left his department, Bob can no longer move it.
    again = await client.post(f"/console/tickets/{ticket.number}/return", data={"reason": "再退", "csrf_token": token})
    assert again.status_code == 403
    await client.post("/console/logout", data={"csrf_token": token})

    # Alice (权益保障部) returns it to the dispatcher.
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    returned = await client.post(
        f"/console/tickets/{ticket.number}/return",
        data={"reason": "属招商引资咨询，非权益事项", "csrf_token": csrf_of(page.text)},
    )
    assert returned.status_code == 303
    final = await _ticket(services, ticket.number)
    assert final.department is None and final.assignee is None
    events = await _events(services, ticket.id)
    assert [(a, actor) for a, actor, _ in events] == [
        ("dispatched", "dora"),
        ("transferred", "bob"),
        ("returned", "alice"),
    ]
    assert events[1][2] == {"from": "economy", "to": "rights", "reason": "涉及侨商合法权益纠纷"}
    shown = await client.get(f"/console/tickets/{ticket.number}")
    assert "经济科技部 → 权益保障部；理由：涉及侨商合法权益纠纷" in shown.text
    assert "权益保障部 → 分派员；理由：属招商引资咨询，非权益事项" in shown.text
    assert "退单给分派员" in shown.text


async def test_referral_tells_the_user_where_to_go_and_closes_the_ticket(
    client, staff, make_ticket, services, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    await _join(services, "rights", "alice")
    ticket = await make_ticket("在国外的房子被人占了怎么办", category="法律", openid="o_refer")
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "rights"
        await session.commit()
    fake_wechat.interact("o_refer")
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert 'id="refer-form"' in page.text
    token = csrf_of(page.text)
    version = str((await _ticket(services, ticket.number)).version)
    assert f'name="version" value="{version}"' in page.text
    unknown = await client.post(
        f"/console/tickets/{ticket.number}/refer",
        data={"referral": "nowhere", "version": version, "note": "", "csrf_token": token},
    )
    assert unknown.status_code == 400 and "没有代码为 nowhere 的转介去向" in unknown.text
    referred = await client.post(
        f"/console/tickets/{ticket.number}/refer",
        data={"referral": "consulate", "version": version, "note": "可携带房产证明前往。", "csrf_token": token},
    )
    assert referred.status_code == 303
    closed = await _ticket(services, ticket.number)
    assert closed.state == "closed" and closed.referral == "consulate" and closed.closed_at is not None
    assert await services.worker().run_once() == 1
    [message] = fake_wechat.custom_messages("o_refer")
    assert "不属于侨联的办理范围" in message.text and "中国驻外使领馆" in message.text
    assert "可携带房产证明前往。" in message.text and ticket.number in message.text
    fake_wechat.clock.advance(seconds=1)  # no rating question follows a referral: nothing of ours to rate
    await services.deliveries.sweep(older_than=timedelta(0))
    assert await services.worker().run_once() == 0
    assert len(fake_wechat.custom_messages("o_refer")) == 1
    shown = await client.get(f"/console/tickets/{ticket.number}")
    assert "转介至外部机构并办结" in shown.text and 'id="refer-form"' not in shown.text
    stats = await client.get("/console/stats")
    row = re.search(r"<tr><td>权益保障部</td><td>(\d+)</td>.*?<td class=\"referred\">(\d+)</td>", stats.text)
    assert row is not None and row.groups() == ("1", "1")


async def test_admins_edit_the_department_document_and_members(client, staff, make_ticket, services) -> None:  # type: ignore[no-untyped-def]
    await make_account(services, "ada", "admin")
    await page_login(client, "sam", PASSWORD)
    assert (await client.get("/console/departments")).status_code == 403  # a supervisor is no admin
    await client.post("/console/logout", data={"csrf_token": csrf_of((await client.get("/console/tickets")).text)})

    await page_login(client, "ada", PASSWORD)
    page = await client.get("/console/departments")
    assert page.status_code == 200 and "权益保障部" in page.text and "12367" in page.text
    token = csrf_of(page.text)
    broken = "departments:\n  - code: rights\n    name: 权益保障部\n    categories: [法律, 法律]\n"
    refused = await client.post("/console/departments", data={"source": broken, "version": "1", "csrf_token": token})
    assert refused.status_code == 400 and "分类 法律 已分给 权益保障部" in refused.text
    assert "categories: [法律, 法律]" in refused.text  # the admin's draft is kept

    # A department that still holds open tickets cannot be removed.
    ticket = await make_ticket("关于投资的问题", category="投资")
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "economy"
        await session.commit()
    smaller = "departments:\n  - code: rights\n    name: 权益保障部\n    categories: [法律, 投资]\n"
    stranded = await client.post("/console/departments", data={"source": smaller, "version": "1", "csrf_token": token})
    assert stranded.status_code == 400 and "部门 economy 还有 1 件未办结的工单" in stranded.text

    kept = (
        "departments:\n  - code: economy\n    name: 经济科技部\n    categories: [投资]\n"
        "  - code: rights\n    name: 权益保障部\n    categories: [法律, 出入境]\n"
    )
    saved = await client.post("/console/departments", data={"source": kept, "version": "1", "csrf_token": token})
    assert saved.status_code == 303
    stale = await client.post("/console/departments", data={"source": kept, "version": "1", "csrf_token": token})
    assert stale.status_code == 400 and "已被他人修改" in stale.text

    added = await client.post(
        "/console/departments/members",
        data={"department": "rights", "username": "bob", "member": "add", "csrf_token": token},
    )
    assert added.status_code == 303
    page = await client.get("/console/departments", params={"done": "members"})
    assert "部门成员已更新" in page.text and '<span class="member">bob</span>' in page.text
    gone = await client.post(
        "/console/departments/members",
        data={"department": "culture", "username": "bob", "member": "add", "csrf_token": token},
    )
    assert gone.status_code == 400 and "没有代码为 culture 的部门" in gone.text
    removed = await client.post(
        "/console/departments/members",
        data={"department": "rights", "username": "bob", "member": "remove", "csrf_token": token},
    )
    assert removed.status_code == 303
    async with services.sessions() as session:
        assert (await session.scalars(select(DepartmentMember))).all() == []
