"""The JSON API: same auth as the pages, the same actions, and an OpenAPI schema that documents them."""

from __future__ import annotations

from datetime import timedelta


async def test_queue_detail_answer_and_conflict_over_the_api(login, make_ticket, services) -> None:
    now = services.clock.now()
    ticket = await make_ticket("孩子回国上学要什么材料？", due=now + timedelta(hours=2))
    alice, bob = await login("alice"), await login("bob")
    queue = (await alice.http.get("/api/tickets")).json()
    assert queue["total"] == 1 and queue["open_count"] == 1
    item = queue["items"][0]
    assert item["number"] == ticket.number and item["due_soon"] is True and item["overdue"] is False
    assert (await alice.http.get("/api/tickets", params={"state": "closed"})).json()["total"] == 0
    assert (await alice.http.get("/api/tickets", params={"state": "bogus"})).status_code == 422

    detail = (await alice.http.get(f"/api/tickets/{ticket.number}")).json()
    assert detail["ticket"]["question"] == "孩子回国上学要什么材料？" and detail["window"]["state"] == "open"
    assert [m["kind"] for m in detail["messages"]] == ["user"]
    version = detail["ticket"]["version"]

    answered = await alice.http.post(
        f"/api/tickets/{ticket.number}/answer",
        json={"answer": "需要护照和学籍材料。", "version": version},
        headers=alice.headers(),
    )
    assert answered.status_code == 200
    body = answered.json()
    assert body["ticket"]["state"] == "answered" and len(body["deliveries"]) == 1
    conflict = await bob.http.post(
        f"/api/tickets/{ticket.number}/answer",
        json={"answer": "Bob 的答复", "version": version},
        headers=bob.headers(),
    )
    assert conflict.status_code == 409
    assert conflict.json()["answer"] == "需要护照和学籍材料。" and conflict.json()["answered_by"] == "alice"
    assert conflict.json()["current_version"] == body["ticket"]["version"]

    detail = (await bob.http.get(f"/api/tickets/{ticket.number}")).json()
    assert detail["deliveries"][0]["state"] == "pending" and detail["deliveries"][0]["channel"] == "custom"
    assert [e["action"] for e in detail["events"]] == ["answered"]
    assert (await bob.http.get("/api/tickets/Q20990101-0001")).status_code == 404


async def test_note_close_reopen_stats_and_notifications(login, make_ticket) -> None:
    ticket = await make_ticket()
    alice = await login("alice")
    url = f"/api/tickets/{ticket.number}"
    note = await alice.http.post(f"{url}/notes", json={"body": "内部：等用户补材料"}, headers=alice.headers())
    assert note.status_code == 200 and note.json()["kind"] == "note"
    assert (await alice.http.post(f"{url}/notes", json={"body": " "}, headers=alice.headers())).status_code == 400
    closed = await alice.http.post(f"{url}/close", headers=alice.headers())
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert (await alice.http.post(f"{url}/close", headers=alice.headers())).status_code == 400
    reopened = await alice.http.post(f"{url}/reopen", headers=alice.headers())
    assert reopened.json()["state"] == "open"
    stats = (await alice.http.get("/api/stats", params={"weeks": 2})).json()
    assert stats["total"]["tickets"] == 1 and stats["open_now"] == 1 and len(stats["by_week"]) == 2
    assert (await alice.http.get("/api/notifications")).json() == []
    assert (await alice.http.get("/api/deliveries/problems")).json() == []


async def test_openapi_documents_the_console_api(client) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/session",
        "/api/tickets",
        "/api/tickets/{number}",
        "/api/tickets/{number}/answer",
        "/api/stats",
        "/api/notifications",
        "/api/deliveries/{delivery_id}/retry",
    ):
        assert path in paths, path
    answer = paths["/api/tickets/{number}/answer"]["post"]["responses"]
    assert answer["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerOut")
    assert answer["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ConflictOut")
    assert "QueueOut" in schema["components"]["schemas"] and "StatsOut" in schema["components"]["schemas"]
    assert not any(path.startswith("/console") for path in paths)  # pages are not API
