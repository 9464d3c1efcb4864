"""The JSON API for the closed loop: 分派/转办/退单/转介 and 延期/待补充, with the ticket page's permission
checks (and the CSRF header on every write)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.console.test_console_routing import _join, make_account


async def test_routing_through_the_api(login, services, make_ticket, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    await make_account(services, "dora", "dispatcher")
    await _join(services, "economy", "bob")
    await _join(services, "rights", "alice")
    ticket = await make_ticket("回国投资办厂有什么优惠政策？", category=None, openid="o_api_route")
    fake_wechat.interact("o_api_route")
    alice, bob, dora = await login("alice"), await login("bob"), await login("dora")
    url = f"/api/tickets/{ticket.number}"

    refused = await alice.http.post(f"{url}/dispatch", json={"department": "economy"}, headers=alice.headers())
    assert refused.status_code == 403 and "分派员" in refused.json()["detail"]
    no_csrf = await dora.http.post(f"{url}/dispatch", json={"department": "economy"})
    assert no_csrf.status_code == 403 and "X-CSRF-Token" in no_csrf.json()["detail"]
    unknown = await dora.http.post(f"{url}/dispatch", json={"department": "nowhere"}, headers=dora.headers())
    assert unknown.status_code == 400 and "nowhere" in unknown.json()["detail"]
    sent = await dora.http.post(f"{url}/dispatch", json={"department": "economy"}, headers=dora.headers())
    assert sent.status_code == 200, sent.text
    assert sent.json()["ticket"]["department"] == "economy" and sent.json()["deliveries"] == []

    no_reason = await bob.http.post(
        f"{url}/transfer", json={"department": "rights", "reason": " "}, headers=bob.headers()
    )
    assert no_reason.status_code == 400 and no_reason.json()["detail"] == "请填写转办理由"
    moved = await bob.http.post(
        f"{url}/transfer", json={"department": "rights", "reason": "涉及侨商权益"}, headers=bob.headers()
    )
    assert moved.status_code == 200 and moved.json()["ticket"]["department"] == "rights"
    gone = await bob.http.post(f"{url}/return", json={"reason": "再退"}, headers=bob.headers())
    assert gone.status_code == 403  # no longer his department's
    back = await alice.http.post(f"{url}/return", json={"reason": "属招商咨询"}, headers=alice.headers())
    assert back.status_code == 200 and back.json()["ticket"]["department"] is None
    missing = await alice.http.post("/api/tickets/Q00000000-0000/return", json={"reason": "x"}, headers=alice.headers())
    assert missing.status_code == 404

    # 转介 answers the user with where to go and closes; a stale version is a conflict
    await dora.http.post(f"{url}/dispatch", json={"department": "rights"}, headers=dora.headers())
    version = (await alice.http.get(url)).json()["ticket"]["version"]
    stale = await alice.http.post(
        f"{url}/refer", json={"referral": "consulate", "version": version - 1}, headers=alice.headers()
    )
    assert stale.status_code == 409
    referred = await alice.http.post(
        f"{url}/refer",
        json={"referral": "consulate", "note": "请携带护照", "version": version},
        headers=alice.headers(),
    )
    assert referred.status_code == 200, referred.text
    assert referred.json()["ticket"]["state"] == "closed" and referred.json()["ticket"]["referral"] == "consulate"
    assert len(referred.json()["deliveries"]) == 1
    assert await services.worker().run_once() == 1
    [message] = fake_wechat.custom_messages("o_api_route")
    assert "请携带护照" in (message.text or "")
    anonymous = httpx.AsyncClient(transport=alice.http._transport, base_url="http://testserver")
    unauthenticated = await anonymous.post(f"{url}/return", json={"reason": "x"})
    assert unauthenticated.status_code == 401
    await anonymous.aclose()


async def test_extension_and_waiting_through_the_api(login, services, make_ticket, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    ticket = await make_ticket("捐赠图书的手续", openid="o_api_time", due=datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    fake_wechat.interact("o_api_time")
    await _join(services, "culture", "alice")
    async with services.sessions() as session:
        from tickets.models import Ticket

        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.department = "culture"
        await session.commit()
    alice, bob, sam = await login("alice"), await login("bob"), await login("sam")
    url = f"/api/tickets/{ticket.number}"

    not_his = await bob.http.post(f"{url}/extension", json={"days": 2, "reason": "核实"}, headers=bob.headers())
    assert not_his.status_code == 403
    too_long = await alice.http.post(f"{url}/extension", json={"days": 30, "reason": "核实"}, headers=alice.headers())
    assert too_long.status_code == 400 and "1 到 10 个工作日" in too_long.json()["detail"]
    asked = await alice.http.post(f"{url}/extension", json={"days": 2, "reason": "需核实流程"}, headers=alice.headers())
    assert asked.status_code == 200, asked.text
    assert asked.json()["state"] == "pending" and asked.json()["reason"] == "需核实流程"

    staff_decides = await alice.http.post(
        f"{url}/extension/decision", json={"decision": "approve"}, headers=alice.headers()
    )
    assert staff_decides.status_code == 403 and "主管" in staff_decides.json()["detail"]
    approved = await sam.http.post(f"{url}/extension/decision", json={"decision": "approve"}, headers=sam.headers())
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["extension"]["state"] == "approved" and body["extension"]["decided_by"] == "sam"
    assert body["ticket"]["due_at"] == body["extension"]["new_due_at"] and len(body["deliveries"]) == 1
    assert await services.worker().run_once() == 1
    assert "需要更多时间办理" in (fake_wechat.custom_messages("o_api_time")[-1].text or "")
    again = await sam.http.post(f"{url}/extension/decision", json={"decision": "refuse"}, headers=sam.headers())
    assert again.status_code == 400 and "没有待审批" in again.json()["detail"]
    listed = await bob.http.get(f"{url}/extensions")
    assert [e["state"] for e in listed.json()] == ["approved"]

    waiting = await alice.http.post(f"{url}/ask", json={"request": "请提供护照号码"}, headers=alice.headers())
    assert waiting.status_code == 200, waiting.text
    assert waiting.json()["ticket"]["state"] == "waiting" and len(waiting.json()["deliveries"]) == 1
    assert await services.worker().run_once() == 1
    assert "请提供护照号码" in (fake_wechat.custom_messages("o_api_time")[-1].text or "")
    empty = await alice.http.post(f"{url}/ask", json={"request": "  "}, headers=alice.headers())
    assert empty.status_code == 400
