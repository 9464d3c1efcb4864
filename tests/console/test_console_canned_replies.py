"""Canned replies (常用回复): kept by a department's staff (supervisors any department's), validated, and
offered on the ticket page of that department's tickets."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets.canned_replies import CannedReply
from tickets.models import Ticket
from tickets.routing_models import DepartmentMember

BODY = "您好，换发护照需携带：\n1. 旧护照原件；\n2. 近期白底证件照。"


async def _client(app, username: str) -> tuple[httpx.AsyncClient, str]:  # type: ignore[no-untyped-def]
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    await page_login(http, username, PASSWORD)
    page = await http.get("/console/replies")
    assert page.status_code == 200, page.text
    return http, csrf_of(page.text)


async def _join(services, department: str, username: str) -> None:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        session.add(DepartmentMember(department=department, username=username, added_at=services.clock.now()))
        await session.commit()


async def _replies(services) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        rows = await session.scalars(select(CannedReply).order_by(CannedReply.id))
        return [(r.department, r.title, r.body) for r in rows]


async def test_department_staff_keep_their_replies_and_the_ticket_page_offers_them(
    app, services, staff, make_ticket
) -> None:  # type: ignore[no-untyped-def]
    await _join(services, "rights", "alice")
    http, csrf = await _client(app, "alice")
    added = await http.post(
        "/console/replies",
        data={
            "csrf_token": csrf,
            "department": "rights",
            "title": " 护照换发 材料 ",
            "body": BODY.replace("\n", "\r\n"),
        },
    )
    assert added.status_code == 303
    assert await _replies(services) == [("rights", "护照换发 材料", BODY)]  # one-line title, \n line ends
    page = await http.get("/console/replies")
    assert "护照换发 材料" in page.text

    # another department's replies are not alice's to keep
    other = await http.post(
        "/console/replies", data={"csrf_token": csrf, "department": "liaison", "title": "x", "body": "y"}
    )
    assert other.status_code == 403 and "本部门" in other.text
    duplicate = await http.post(
        "/console/replies", data={"csrf_token": csrf, "department": "rights", "title": "护照换发 材料", "body": "别的"}
    )
    assert duplicate.status_code == 400 and "已有标题" in duplicate.text
    assert "别的" in duplicate.text  # the draft is kept
    empty = await http.post(
        "/console/replies", data={"csrf_token": csrf, "department": "rights", "title": "空", "body": " "}
    )
    assert empty.status_code == 400 and "请填写常用回复的内容" in empty.text
    long = await http.post(
        "/console/replies", data={"csrf_token": csrf, "department": "rights", "title": "长", "body": "字" * 1501}
    )
    assert long.status_code == 400 and "最多 1500 个字" in long.text
    assert len(await _replies(services)) == 1

    # offered on a ticket of the department, with the text to insert
    ticket = await make_ticket("护照过期了怎么换", category="出入境")
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "rights"
        await session.commit()
    page = await http.get(f"/console/tickets/{ticket.number}")
    assert 'id="canned-replies"' in page.text and "护照换发 材料" in page.text
    assert re.search(r'<pre hidden id="canned-\d+">您好，换发护照需携带：\n1\. 旧护照原件；', page.text)

    # the dispatcher's tickets (no department) offer a member her own departments' replies, nobody else any
    unrouted = await make_ticket("想捐书给家乡小学", category=None)
    assert "护照换发 材料" in (await http.get(f"/console/tickets/{unrouted.number}")).text
    bob, bob_csrf = await _client(app, "bob")
    assert 'id="canned-replies"' not in (await bob.get(f"/console/tickets/{unrouted.number}")).text
    # bob is in no department: alice's reply is not his to change
    async with services.sessions() as session:
        reply_id = await session.scalar(select(CannedReply.id))
    refused = await bob.post(f"/console/replies/{reply_id}", data={"csrf_token": bob_csrf, "title": "改", "body": "改"})
    assert refused.status_code == 403
    refused = await bob.post(f"/console/replies/{reply_id}/delete", data={"csrf_token": bob_csrf})
    assert refused.status_code == 403
    assert len(await _replies(services)) == 1

    # a supervisor keeps any department's
    sam, sam_csrf = await _client(app, "sam")
    changed = await sam.post(
        f"/console/replies/{reply_id}", data={"csrf_token": sam_csrf, "title": "护照换发", "body": "新内容"}
    )
    assert changed.status_code == 303
    assert await _replies(services) == [("rights", "护照换发", "新内容")]
    deleted = await http.post(f"/console/replies/{reply_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and await _replies(services) == []
    gone = await http.post(f"/console/replies/{reply_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 400 and "已被删除" in gone.text
    for client in (http, bob, sam):
        await client.aclose()


async def test_someone_in_no_department_is_told_how_to_get_one(app, services, staff) -> None:  # type: ignore[no-untyped-def]
    http, _csrf = await _client(app, "bob")
    page = await http.get("/console/replies")
    assert "您还不属于任何部门" in page.text and 'id="add-reply"' not in page.text
    await http.aclose()
