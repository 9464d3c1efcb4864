"""An image with an answer through the JSON API (``POST /api/tickets/{number}/answer`` with ``image``): the same
checks as the ticket page's form, uploaded with media/upload and sent after the text through the fake WeChat, held
outside the 48-hour window, never repeated when its outcome is unknown, and a refusal keeps nothing."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import Delivery
from tests.console.test_console_attachments import JPEG, PNG
from tickets.attachment_models import Attachment
from tickets.models import Ticket, TicketEvent


def _image(content: bytes, filename: str = "办理流程.jpg") -> dict[str, str]:
    return {"filename": filename, "content_base64": base64.b64encode(content).decode()}


async def _answer(staffer, ticket: Ticket, image: dict[str, str] | None, text: str = "请看附图") -> Any:  # type: ignore[no-untyped-def]
    url = f"/api/tickets/{ticket.number}"
    version = (await staffer.http.get(url)).json()["ticket"]["version"]
    body: dict[str, Any] = {"answer": text, "version": version}
    if image is not None:
        body["image"] = image
    return await staffer.http.post(f"{url}/answer", json=body, headers=staffer.headers())


async def _image_delivery(services) -> Delivery:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        return (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()


async def test_an_api_answer_with_an_image_sends_the_text_then_the_image(  # type: ignore[no-untyped-def]
    login, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    sam = await login("sam")
    posted = await _answer(sam, ticket, _image(JPEG))
    assert posted.status_code == 200, posted.text
    body = posted.json()
    assert body["ticket"]["state"] == "answered" and len(body["deliveries"]) == 1
    held = await _image_delivery(services)
    assert body["image_delivery"] == held.id and held.state == "held"  # waits for the text
    async with services.sessions() as session:
        [outbound] = (await session.scalars(select(Attachment).where(Attachment.direction == "out"))).all()
        attached = await session.scalar(select(TicketEvent).where(TicketEvent.action == "answer_image_attached"))
    assert (outbound.state, outbound.content_type, outbound.filename) == ("stored", "image/jpeg", "办理流程.jpg")
    assert attached is not None and attached.actor == "sam"
    for _ in range(3):  # the text; its success lets the image go; then the rating question
        await services.worker().run_once()
    sent = fake_wechat.custom_messages(ticket.openid)
    assert [m.msgtype for m in sent] == ["text", "image", "text"]
    assert "请看附图" in (sent[0].text or "") and "满意" in (sent[2].text or "")
    [uploaded] = fake_wechat.uploaded_media()
    assert uploaded.content == JPEG and uploaded.kind == "image"
    assert sent[1].payload["image"] == {"media_id": uploaded.media_id}
    assert (await _image_delivery(services)).state == "sent"
    detail = (await sam.http.get(f"/api/tickets/{ticket.number}")).json()
    assert {"ticket_answer", "ticket_answer_image", "rating_request"} <= {d["purpose"] for d in detail["deliveries"]}


async def test_the_largest_image_fits_the_request_limit_in_base64(login, make_ticket, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    """A 2 MB image is 2.7 MB in base64: the default request limit (3 MiB) must let it through, not answer 413."""
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    limit = services.settings.answer_image_max_bytes
    largest = JPEG[:-2] + b"\x00" * (limit - len(JPEG)) + b"\xff\xd9"
    assert len(largest) == limit
    sam = await login("sam")
    posted = await _answer(sam, ticket, _image(largest), text="答" * 500)
    assert posted.status_code == 200, posted.text[:200]
    async with services.sessions() as session:
        [outbound] = (await session.scalars(select(Attachment).where(Attachment.direction == "out"))).all()
    assert outbound.size == limit


async def test_a_refused_api_image_keeps_nothing(login, make_ticket, services) -> None:  # type: ignore[no-untyped-def]
    ticket = await make_ticket()
    sam = await login("sam")
    refusals = [
        (_image(b"BM" + b"\x00" * 100, "x.bmp"), "只能附 JPG、PNG 或 GIF"),
        ({"filename": "a.png", "content_base64": "这不是base64"}, "不是有效的 base64"),
        ({"filename": "a.png", "content_base64": "iVBORw0KGgo*"}, "不是有效的 base64"),
        ({"filename": "a.png", "content_base64": ""}, "图片文件是空的"),
        ({"filename": "a.png", "content_base64": "data:image/png,abc"}, "data URL 须为 base64"),
    ]
    for image, reason in refusals:
        refused = await _answer(sam, ticket, image)
        assert refused.status_code == 400 and reason in refused.json()["detail"], refused.text
    services.settings.answer_image_max_bytes = 16 * 1024
    big = await _answer(sam, ticket, _image(JPEG + b"\x00" * 20000))
    assert big.status_code == 400 and "超过微信图片消息的上限" in big.json()["detail"]
    missing = await sam.http.post(
        f"/api/tickets/{ticket.number}/answer", json={"answer": "x", "version": 1, "image": {}}, headers=sam.headers()
    )
    assert missing.status_code == 422  # content_base64 is required
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None and row.answer is None and row.state == "open"
        assert (await session.scalars(select(Attachment))).all() == []
        assert (await session.scalars(select(Delivery))).all() == []


async def test_a_data_url_and_wrapped_base64_are_accepted(login, make_ticket, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    first, second = await make_ticket(), await make_ticket()
    sam = await login("sam")
    encoded = base64.b64encode(PNG).decode()
    as_data_url = await _answer(sam, first, {"filename": "a.png", "content_base64": f"data:image/png;base64,{encoded}"})
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))  # MIME line length
    as_mime = await _answer(sam, second, {"content_base64": wrapped})
    assert as_data_url.status_code == 200 and as_mime.status_code == 200, (as_data_url.text, as_mime.text)
    async with services.sessions() as session:
        files = (await session.scalars(select(Attachment).order_by(Attachment.id))).all()
    assert [(f.ticket_id, f.size, f.filename) for f in files] == [
        (first.id, len(PNG), "a.png"),
        (second.id, len(PNG), "answer.png"),  # no name given: named by its type
    ]


async def test_a_stale_version_with_an_image_is_a_conflict_and_keeps_nothing(login, make_ticket, services) -> None:  # type: ignore[no-untyped-def]
    ticket = await make_ticket()
    alice, sam = await login("alice"), await login("sam")
    url = f"/api/tickets/{ticket.number}"
    version = (await sam.http.get(url)).json()["ticket"]["version"]
    first = await alice.http.post(f"{url}/answer", json={"answer": "先答", "version": version}, headers=alice.headers())
    assert first.status_code == 200
    stale = await sam.http.post(
        f"{url}/answer", json={"answer": "后答", "version": version, "image": _image(PNG)}, headers=sam.headers()
    )
    assert stale.status_code == 409 and stale.json()["answer"] == "先答"
    async with services.sessions() as session:
        assert (await session.scalars(select(Attachment))).all() == []
        assert [d.purpose for d in await session.scalars(select(Delivery))] == ["ticket_answer"]


async def test_an_api_image_outside_the_window_waits_for_the_users_next_message(  # type: ignore[no-untyped-def]
    login, make_ticket, services, fake_wechat, fake_clock
) -> None:
    ticket = await make_ticket(interacted=services.clock.now() - timedelta(hours=49))
    sam = await login("sam")
    assert (await _answer(sam, ticket, _image(PNG, "a.png"))).status_code == 200
    await services.worker().run_once()
    assert fake_wechat.custom_messages(ticket.openid) == []
    assert (await _image_delivery(services)).state == "held"
    async with services.sessions() as session:
        fake_clock.advance(hours=5)
        owed = await services.answers.answers_waiting(session, ticket.openid)  # the user writes again
        await session.commit()
    assert owed and "请看附图" in owed[0]
    fake_wechat.interact(ticket.openid)
    fake_clock.advance(seconds=31)  # the delivery sweeper's next round
    assert await services.deliveries.sweep() == 1
    await services.worker().run_once()
    assert [m.msgtype for m in fake_wechat.custom_messages(ticket.openid)] == ["image"]


async def test_an_api_image_send_with_an_unknown_outcome_is_not_repeated(  # type: ignore[no-untyped-def]
    login, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    sam = await login("sam")
    assert (await _answer(sam, ticket, _image(PNG, "a.png"))).status_code == 200
    await services.worker().run_once()  # the text
    fake_wechat.fail_next("message/custom/send", http_status=504)  # a gateway gave up: it may have gone out
    await services.worker().run_once()
    image = await _image_delivery(services)
    assert (image.state, image.attempts) == ("uncertain", 1)
    await services.worker().run_once()
    await services.deliveries.sweep(older_than=timedelta(0))
    await services.worker().run_once()
    image_sends = [c for c in fake_wechat.calls_to("message/custom/send") if c.json.get("msgtype") == "image"]
    assert len(image_sends) == 1
    detail = (await sam.http.get(f"/api/tickets/{ticket.number}")).json()
    assert [d["state"] for d in detail["deliveries"] if d["purpose"] == "ticket_answer_image"] == ["uncertain"]
