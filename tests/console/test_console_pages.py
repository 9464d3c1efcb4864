"""The HTML console: escaping of user text, the queue's marks, the conflict page, stats, notifications and
the deliveries page, logged in through the form like a browser."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from staff.models import Notification
from storage.models import Delivery
from tests.console.conftest import PASSWORD, csrf_of, page_login

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


async def test_user_text_is_escaped_everywhere(client, staff, make_ticket, services) -> None:
    ticket = await make_ticket(XSS, category='<b onmouseover="x">教育</b>')
    async with services.sessions() as session:
        session.add(
            Notification(
                recipient="role:staff",
                kind="reminder",
                ticket_id=ticket.id,
                text=f"提醒 {XSS}",
                created_at=services.clock.now(),
            )
        )
        await session.commit()
    await page_login(client, "alice", PASSWORD)
    pages = [
        await client.get(url)
        for url in ("/console/tickets", f"/console/tickets/{ticket.number}", "/console/notifications")
    ]
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<b onmouseover" not in page.text
    note = await client.post(
        f"/console/tickets/{ticket.number}/note", data={"body": XSS, "csrf_token": csrf_of(pages[1].text)}
    )
    assert note.status_code == 303
    again = await client.get(f"/console/tickets/{ticket.number}")
    assert "<script>alert" not in again.text and again.text.count("&lt;script&gt;") >= 2


async def test_queue_page_marks_overdue_and_due_soon_and_filters(client, staff, make_ticket, services) -> None:
    now = services.clock.now()
    late = await make_ticket("迟了的问题", due=now - timedelta(hours=3), category="签证")
    soon = await make_ticket("快到期的问题", due=now + timedelta(hours=1), category="教育")
    await page_login(client, "alice", PASSWORD)
    page = await client.get("/console/tickets")
    assert page.text.index(late.number) < page.text.index(soon.number)
    assert 'class="row-overdue"' in page.text and 'class="row-soon"' in page.text
    assert "已超时3小时" in page.text and "还剩1小时" in page.text
    filtered = await client.get("/console/tickets", params={"category": "教育"})
    assert soon.number in filtered.text and late.number not in filtered.text
    overdue = await client.get("/console/tickets", params={"overdue": "1"})
    assert late.number in overdue.text and soon.number not in overdue.text


async def test_answer_form_and_the_conflict_page(client, staff, make_ticket, login, services) -> None:
    ticket = await make_ticket(interacted=services.clock.now() - timedelta(hours=44))
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert 'id="window-warning"' in page.text and "将于" in page.text  # window closes within 6 hours
    token = csrf_of(page.text)
    # Sam answers through the API while Alice still has the page open with the old version.
    sam = await login("sam")
    first = await sam.http.post(
        f"/api/tickets/{ticket.number}/answer",
        json={"answer": "Sam 的答复", "version": 1},
        headers=sam.headers(),
    )
    assert first.status_code == 200
    late = await client.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": "Alice 的草稿", "version": "1", "csrf_token": token},
    )
    assert late.status_code == 409
    assert 'id="conflict"' in late.text and "Sam 的答复" in late.text and "Alice 的草稿" in late.text
    current = first.json()["ticket"]["version"]
    assert f'name="version" value="{current}"' in late.text
    ok = await client.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": "Alice 的补充", "version": str(current), "csrf_token": token},
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("?done=answered")
    shown = await client.get(ok.headers["location"])
    assert "答复已保存" in shown.text and "Alice 的补充" in shown.text
    empty = await client.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": "  ", "version": str(current + 1), "csrf_token": token},
    )
    assert empty.status_code == 400 and "不能为空" in empty.text


async def test_unknown_ticket_is_404(client, staff) -> None:
    await page_login(client, "alice", PASSWORD)
    response = await client.get("/console/tickets/Q20260101-9999")
    assert response.status_code == 404 and "没有编号为" in response.text


async def test_stats_page_shows_numbers_and_an_svg_chart(client, staff, make_ticket, services) -> None:
    now = services.clock.now()
    await make_ticket(
        created=now - timedelta(hours=30),
        due=now + timedelta(hours=1),
        first_answered=now - timedelta(hours=28),
        state="answered",
        answer="a",
    )
    await make_ticket(created=now - timedelta(days=3), due=now - timedelta(days=1))
    await page_login(client, "alice", PASSWORD)
    page = await client.get("/console/stats", params={"weeks": 4})
    assert page.status_code == 200
    assert '<div class="big" id="on-time-rate">50.0%</div>' in page.text
    # Asked and answered on Sunday: two hours on the clock, none of them working time.
    assert '<div class="big" id="median-hours">0 分钟</div>' in page.text
    assert '<div class="big overdue" id="overdue-now">1</div>' in page.text
    assert page.text.count('<svg class="chart') == 2 and 'class="bar"' in page.text


async def test_notifications_page_and_mark_read(client, staff, make_ticket, services) -> None:
    ticket = await make_ticket()
    async with services.sessions() as session:
        session.add(
            Notification(
                recipient="alice",
                kind="reminder",
                ticket_id=ticket.id,
                text="提醒：快到期",
                created_at=services.clock.now(),
            )
        )
        await session.commit()
    await page_login(client, "alice", PASSWORD)
    page = await client.get("/console/notifications")
    assert "提醒：快到期" in page.text and f"/console/tickets/{ticket.number}" in page.text
    assert '<span class="badge" id="unread-badge">1</span>' in page.text
    note_id = int(page.text.split("/console/notifications/")[1].split("/read")[0])
    done = await client.post(f"/console/notifications/{note_id}/read", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    assert '<span class="badge" id="unread-badge" hidden>0</span>' in (await client.get("/console/notifications")).text


async def test_deliveries_page_and_retry(client, staff, make_ticket, services) -> None:
    ticket = await make_ticket()
    async with services.sessions() as session:
        delivery = await services.deliveries.add(
            session,
            key="x1",
            openid=ticket.openid,
            purpose="ticket_answer",
            ref=ticket.number,
            payload={"touser": ticket.openid},
        )
        delivery.state, delivery.last_error = "uncertain", "worker stopped during the send"
        await session.commit()
    await page_login(client, "alice", PASSWORD)
    as_staff = await client.get("/console/deliveries")
    assert ticket.number in as_staff.text and "状态不明" in as_staff.text
    assert f"/console/deliveries/{delivery.id}/retry" not in as_staff.text  # staff see, supervisors decide
    await client.post("/console/logout", data={"csrf_token": csrf_of(as_staff.text)})
    await page_login(client, "sam", PASSWORD)
    page = await client.get("/console/deliveries")
    retried = await client.post(f"/console/deliveries/{delivery.id}/retry", data={"csrf_token": csrf_of(page.text)})
    assert retried.status_code == 303
    async with services.sessions() as session:
        row = await session.scalar(select(Delivery).where(Delivery.id == delivery.id))
        assert row is not None and row.state == "pending"
    job = await services.queue.get(f"delivery:{delivery.id}")
    assert job is not None and job.state == "queued"


async def test_static_files_are_served_and_nothing_else(client) -> None:
    css = await client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await client.get("/console/static/..%2Fpages.py")).status_code == 404
    assert (await client.get("/console/static/pages.py")).status_code == 404
