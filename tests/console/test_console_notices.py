"""New-ticket notices: the badge of unassigned open tickets in the queues a staff member works, the
/api/notices poll the console uses to refresh its queue, and the template message to the on-duty staff of
the queue a ticket reaches (派单 from the webhook, 分派, 转办, 退单), under the 2023 template rules."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import select, update

from staff.models import StaffUser
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tests.console.test_console_routing import PASSPORT_QUESTION, _join, make_account
from tickets.models import Ticket

STAFF_TEMPLATE = "TPL_FAKE_STAFF"


def _badge(html: str) -> str | None:
    found = re.search(r'<span class="badge" id="new-tickets-badge"[^>]*?(hidden)?>(\d+)</span>', html)
    assert found is not None
    return None if found.group(1) else found.group(2)


async def _duty(services, username: str, openid: str | None, on_duty: bool = True) -> None:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        await session.execute(
            update(StaffUser).where(StaffUser.username == username).values(wechat_openid=openid, on_duty=on_duty)
        )
        await session.commit()


async def _send_stored(services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    """What the worker does: the sweeper enqueues stored deliveries (the webhook's), then they go out."""
    fake_wechat.clock.advance(seconds=1)  # the services' clock too: the sweep takes rows older than now
    await services.deliveries.sweep(older_than=timedelta(0))
    while await services.worker().run_once():
        pass


async def test_badge_counts_unassigned_open_tickets_in_my_queues(client, staff, services, make_ticket) -> None:  # type: ignore[no-untyped-def]
    await make_account(services, "dora", "dispatcher")
    await _join(services, "rights", "alice")
    rights = [await make_ticket(f"权益问题{i}", category="法律") for i in range(3)]
    await make_ticket("无人派单的问题", category=None)
    async with services.sessions() as session:
        for ticket in rights:
            await session.execute(update(Ticket).where(Ticket.id == ticket.id).values(department="rights"))
        await session.execute(update(Ticket).where(Ticket.id == rights[0].id).values(assignee="alice"))
        await session.commit()

    await page_login(client, "alice", PASSWORD)
    page = await client.get("/console/tickets")
    assert _badge(page.text) == "2"  # rights' two untaken tickets; not the taken one, not the dispatcher's
    notices = (await client.get("/api/notices")).json()
    assert (notices["new_tickets"], notices["unread"]) == (2, 0)
    await client.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    await page_login(client, "dora", PASSWORD)  # a dispatcher in no department: the dispatcher's queue
    assert _badge((await client.get("/console/tickets")).text) == "1"
    await page_login(client, "sam", PASSWORD)  # a supervisor: every queue
    assert _badge((await client.get("/console/faq")).text) == "3"  # on every page, not just the queue
    await page_login(client, "bob", PASSWORD)  # in no department, no dispatcher: nothing is his
    assert _badge((await client.get("/console/tickets")).text) is None


async def test_the_change_marker_moves_with_any_ticket_change(client, staff, services, make_ticket) -> None:  # type: ignore[no-untyped-def]
    ticket = await make_ticket("问题", category=None)
    await page_login(client, "sam", PASSWORD)
    page = await client.get("/console/tickets")
    marker = re.search(r'id="queue-table" data-live-marker="(\d+)"', page.text)
    assert marker is not None
    before = (await client.get("/api/notices")).json()
    assert before["marker"] == int(marker.group(1))
    page = await client.get(f"/console/tickets/{ticket.number}")
    await client.post(
        f"/console/tickets/{ticket.number}/assign", data={"assignee": "alice", "csrf_token": csrf_of(page.text)}
    )
    after = (await client.get("/api/notices")).json()
    assert after["marker"] > before["marker"] and after["new_tickets"] == before["new_tickets"] - 1
    client.cookies.clear()
    assert (await client.get("/api/notices")).status_code == 401


async def test_on_duty_staff_of_the_queue_are_told_on_wechat(  # type: ignore[no-untyped-def]
    client, wechat_user, staff, services, fake_wechat
) -> None:
    services.notifier.template_id = STAFF_TEMPLATE
    await make_account(services, "dora", "dispatcher")
    await make_account(services, "erin", "staff")
    for username in ("alice", "bob", "erin"):
        await _join(services, "rights", username)
    await _join(services, "economy", "sam")
    await _duty(services, "alice", "o_staff_alice")  # on duty, bound: told
    await _duty(services, "bob", "o_staff_bob", on_duty=False)  # bound but off duty
    await _duty(services, "erin", None)  # on duty but no openid
    await _duty(services, "sam", "o_staff_sam")
    await _duty(services, "dora", "o_staff_dora")
    for openid in ("o_staff_alice", "o_staff_bob", "o_staff_sam", "o_staff_dora"):
        fake_wechat.add_follower(openid)

    reply = await wechat_user(openid="o_passport").say(PASSPORT_QUESTION)  # 派单 to 权益保障部
    assert reply is not None and "留言编号" in reply
    await _send_stored(services, fake_wechat)
    [notice] = fake_wechat.templates_sent
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_passport"))
    assert ticket is not None and ticket.department == "rights"
    assert notice.openid == "o_staff_alice" and notice.template_id == STAFF_TEMPLATE
    assert notice.data["thing1"] == {"value": f"新留言{ticket.number}待办理"}
    assert set(notice.data) == {"thing1", "time2"}  # no first/remark since 2023
    assert notice.url is not None and notice.url.endswith(f"/console/tickets/{ticket.number}")

    # 转办 to 经济科技部 tells its on-duty member; 退单 tells the on-duty dispatchers
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    moved = await client.post(
        f"/console/tickets/{ticket.number}/transfer",
        data={"department": "economy", "reason": "属经济事项", "csrf_token": csrf_of(page.text)},
    )
    assert moved.status_code == 303
    await services.worker().run_once()  # the console enqueues at once
    assert [t.openid for t in fake_wechat.templates_sent] == ["o_staff_alice", "o_staff_sam"]
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    returned = await client.post(
        f"/console/tickets/{ticket.number}/return", data={"reason": "不属本部门", "csrf_token": csrf_of(page.text)}
    )
    assert returned.status_code == 303
    await services.worker().run_once()
    assert [t.openid for t in fake_wechat.templates_sent] == ["o_staff_alice", "o_staff_sam", "o_staff_dora"]
    await _send_stored(services, fake_wechat)  # nothing is sent twice
    assert len(fake_wechat.templates_sent) == 3


async def test_no_staff_template_means_no_wechat_notice(wechat_user, staff, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    services.notifier.template_id = ""
    await _join(services, "rights", "alice")
    await _duty(services, "alice", "o_staff_alice")
    fake_wechat.add_follower("o_staff_alice")
    await wechat_user(openid="o_passport").say(PASSPORT_QUESTION)
    await _send_stored(services, fake_wechat)
    assert fake_wechat.templates_sent == []


async def _run_worker_until(services, fake_wechat, count: int, within: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    """Run the worker as the in-process one does (it polls every 0.2 s) until ``count`` templates went, or fail:
    no sweep runs here, so only a prompt enqueue gets them out."""
    loop = asyncio.get_running_loop()
    until = loop.time() + within
    while len(fake_wechat.templates_sent) < count:
        assert loop.time() < until, f"{len(fake_wechat.templates_sent)} of {count} template(s) after {within} s"
        await asyncio.sleep(0.05)  # the webhook's notice task runs between these
        await services.worker().run_once()


async def test_a_webhook_ticket_tells_the_on_duty_staff_without_waiting_for_the_sweeper(  # type: ignore[no-untyped-def]
    wechat_user, staff, services, fake_wechat
) -> None:
    services.notifier.template_id = STAFF_TEMPLATE
    await _join(services, "rights", "alice")
    await _duty(services, "alice", "o_staff_alice")
    fake_wechat.add_follower("o_staff_alice")
    reply = await wechat_user(openid="o_prompt").say(PASSPORT_QUESTION)
    assert reply is not None and "留言编号" in reply
    await _run_worker_until(services, fake_wechat, 1)  # no sweep: the clock has not moved at all
    [notice] = fake_wechat.templates_sent
    assert notice.openid == "o_staff_alice" and notice.data["thing1"]["value"].startswith("新留言Q")
    await _send_stored(services, fake_wechat)  # the sweeper, the safety net, finds nothing left to send
    fake_wechat.clock.advance(seconds=60)
    await services.deliveries.sweep()
    while await services.worker().run_once():
        pass
    assert len(fake_wechat.templates_sent) == 1


async def test_the_passive_reply_does_not_wait_for_the_notice(  # type: ignore[no-untyped-def]
    wechat_user, staff, services, fake_wechat, monkeypatch
) -> None:
    services.notifier.template_id = STAFF_TEMPLATE
    await _join(services, "rights", "alice")
    await _duty(services, "alice", "o_staff_alice")
    fake_wechat.add_follower("o_staff_alice")
    released = asyncio.Event()
    enqueue = services.deliveries.enqueue

    async def stalled(delivery_id: int) -> None:  # e.g. Redis slow for a moment
        await released.wait()
        await enqueue(delivery_id)

    monkeypatch.setattr(services.deliveries, "enqueue", stalled)
    reply = await asyncio.wait_for(wechat_user(openid="o_stalled").say(PASSPORT_QUESTION), timeout=3.5)
    assert reply is not None and "留言编号" in reply  # answered passively while the notice is still held
    await services.worker().run_once()
    assert fake_wechat.templates_sent == []
    released.set()
    await _run_worker_until(services, fake_wechat, 1)


async def test_a_lost_notice_is_sent_by_the_sweeper_once(  # type: ignore[no-untyped-def]
    wechat_user, staff, services, fake_wechat, monkeypatch
) -> None:
    services.notifier.template_id = STAFF_TEMPLATE
    await _join(services, "rights", "alice")
    await _duty(services, "alice", "o_staff_alice")
    fake_wechat.add_follower("o_staff_alice")

    async def redis_gone(delivery_id: int) -> None:
        raise ConnectionError("redis went away")

    monkeypatch.setattr(services.deliveries, "enqueue", redis_gone)
    await wechat_user(openid="o_lost").say(PASSPORT_QUESTION)
    await asyncio.sleep(0.1)
    monkeypatch.undo()
    await services.worker().run_once()
    assert fake_wechat.templates_sent == []  # its enqueue was lost
    fake_wechat.clock.advance(seconds=31)
    assert await services.deliveries.sweep() == 1
    while await services.worker().run_once():
        pass
    fake_wechat.clock.advance(seconds=31)
    await services.deliveries.sweep()
    await services.worker().run_once()
    assert [t.openid for t in fake_wechat.templates_sent] == ["o_staff_alice"]

