"""Attachments in the console: previews and players on the ticket page, the file view and who may open it, and
an image attached to an answer, sent after the text through the fake WeChat (uploaded with media/upload)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers.inbound_media import InboundMedia
from storage.models import Delivery
from tests.console.conftest import PASSWORD, csrf_of, page_login
from tickets import voice_playback
from tickets.attachment_models import Attachment
from tickets.attachments import record_inbound
from tickets.models import Ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 400
JPEG = b"\xff\xd8\xff\xe0" + b"\x11" * 800 + b"\xff\xd9"
AMR = b"#!AMR\n" + b"\x3c" * 64
# One second of AMR-NB 12.2 kbit/s: the file header, then 50 frames of a mode-7 header byte and 31 bytes.
AMR_SECOND = b"#!AMR\n" + (b"\x3c" + bytes(range(7, 38))) * 50


async def _attach(services, fake_wechat, ticket: Ticket, kind: str, content: bytes, ctype: str, n: int = 1) -> int:  # type: ignore[no-untyped-def]
    media_id = fake_wechat.add_user_media(kind, content, content_type=ctype)
    now = services.clock.now()
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        media = InboundMedia(kind, media_id, now, "这是语音识别" if kind == "voice" else None)
        attachment = await record_inbound(session, row, media, row.openid, f"m:{n}", now)
        await session.commit()
    await services.downloads.enqueue(attachment.id)
    return attachment.id


async def test_the_ticket_page_previews_a_picture_for_the_tickets_people(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    image_id = await _attach(services, fake_wechat, ticket, "image", PNG, "image/png")
    await page_login(client, "sam", PASSWORD)
    pending = await client.get(f"/console/tickets/{ticket.number}")
    assert f'id="attachment-{image_id}" data-state="pending"' in pending.text and "正在从微信取回" in pending.text
    await services.worker().run_once()
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert f'<img src="/console/attachments/{image_id}"' in page.text
    served = await client.get(f"/console/attachments/{image_id}")
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"] == "inline"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    download = await client.get(f"/console/attachments/{image_id}", params={"download": "1"})
    assert download.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")


async def test_other_staff_see_that_a_file_exists_but_cannot_open_it(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()  # in the dispatcher's queue: alice (staff, no department) is not its person
    image_id = await _attach(services, fake_wechat, ticket, "image", PNG, "image/png")
    await services.worker().run_once()
    await page_login(client, "alice", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert "仅本部门成员、负责人、分派员和主管可查看" in page.text
    assert f'src="/console/attachments/{image_id}"' not in page.text
    refused = await client.get(f"/console/attachments/{image_id}")
    assert refused.status_code == 403 and PNG not in refused.content
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.assignee = "alice"  # assigned to her: now she may
        await session.commit()
    assert (await client.get(f"/console/attachments/{image_id}")).content == PNG
    client.cookies.clear()
    anonymous = await client.get(f"/console/attachments/{image_id}")
    assert anonymous.status_code == 303 and "/console/login" in anonymous.headers["location"]


async def test_without_ffmpeg_a_voice_is_offered_as_a_download_with_its_recognition(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat, monkeypatch
) -> None:
    monkeypatch.setattr(voice_playback, "ffmpeg_path", lambda: None)
    ticket = await make_ticket()
    voice_id = await _attach(services, fake_wechat, ticket, "voice", AMR, "audio/amr")
    await services.worker().run_once()
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert "[语音] 这是语音识别" in page.text
    assert "AMR 格式，浏览器不能直接播放" in page.text and "<audio" not in page.text
    served = await client.get(f"/console/attachments/{voice_id}")
    assert served.headers["content-type"] == "audio/amr"
    assert served.headers["content-disposition"].startswith("attachment;")  # not playable inline


@pytest.mark.skipif(voice_playback.ffmpeg_path() is None, reason="ffmpeg is not installed (scripts/ensure_chromium.sh)")
async def test_with_ffmpeg_a_voice_plays_in_the_browser_as_mp3(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    voice_id = await _attach(services, fake_wechat, ticket, "voice", AMR_SECOND, "audio/amr")
    await services.worker().run_once()
    async with services.sessions() as session:
        row = await session.get(Attachment, voice_id)
        assert row is not None and row.playable_type == "audio/mpeg" and row.playable_key is not None
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert f'<audio controls preload="none" src="/console/attachments/{voice_id}?play=1">' in page.text
    assert "AMR 格式，浏览器不能直接播放" not in page.text
    mp3 = await client.get(f"/console/attachments/{voice_id}", params={"play": "1"})
    assert mp3.headers["content-type"] == "audio/mpeg" and mp3.headers["content-disposition"] == "inline"
    assert mp3.content[:3] == b"ID3" or mp3.content[:2] in (b"\xff\xfb", b"\xff\xf3")
    original = await client.get(f"/console/attachments/{voice_id}", params={"download": "1"})
    assert original.content == AMR_SECOND and original.headers["content-type"] == "audio/amr"


async def test_a_failed_or_expired_download_says_so_on_the_ticket(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat, fake_clock
) -> None:
    ticket = await make_ticket()
    image_id = await _attach(services, fake_wechat, ticket, "image", PNG, "image/png")
    fake_clock.advance(days=3)
    await services.worker().run_once()
    await page_login(client, "sam", PASSWORD)
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert f'id="attachment-{image_id}" data-state="expired"' in page.text
    assert "已过期（微信只保存 3 天）" in page.text


async def _answer(client, ticket: Ticket, files: dict[str, tuple[str, bytes, str]] | None, text: str = "请看附图"):  # type: ignore[no-untyped-def]
    page = await client.get(f"/console/tickets/{ticket.number}")
    version = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    return await client.post(
        f"/console/tickets/{ticket.number}/answer",
        data={"answer": text, "version": version, "csrf_token": csrf_of(page.text)},
        files=files,
    )


async def test_an_answer_with_an_image_sends_the_text_then_the_image(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    await page_login(client, "sam", PASSWORD)
    posted = await _answer(client, ticket, {"image": ("办理流程.jpg", JPEG, "image/jpeg")})
    assert posted.status_code == 303
    async with services.sessions() as session:
        image = (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()
        assert image.state == "held"  # waits for the text
        [outbound] = (await session.scalars(select(Attachment).where(Attachment.direction == "out"))).all()
    assert outbound.state == "stored" and outbound.content_type == "image/jpeg"
    await services.worker().run_once()  # the text goes; its success lets the image go
    await services.worker().run_once()  # the image: uploaded, then sent; then the rating question may go
    await services.worker().run_once()
    sent = fake_wechat.custom_messages(ticket.openid)
    assert [m.msgtype for m in sent] == ["text", "image", "text"]  # answer, its picture, then 回访
    assert "请看附图" in (sent[0].text or "") and "满意" in (sent[2].text or "")
    [uploaded] = fake_wechat.uploaded_media()
    assert uploaded.content == JPEG and uploaded.kind == "image"
    assert sent[1].payload["image"] == {"media_id": uploaded.media_id}
    async with services.sessions() as session:
        image = (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()
        assert image.state == "sent"
    page = await client.get(f"/console/tickets/{ticket.number}")
    assert f'src="/console/attachments/{outbound.id}"' in page.text  # under the answer it went with


async def test_an_image_send_with_an_unknown_outcome_is_not_repeated(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    await page_login(client, "sam", PASSWORD)
    await _answer(client, ticket, {"image": ("a.png", PNG, "image/png")})
    await services.worker().run_once()
    fake_wechat.fail_next("message/custom/send", http_status=504)  # a gateway gave up: it may have gone out
    await services.worker().run_once()
    async with services.sessions() as session:
        image = (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()
    assert (image.state, image.attempts) == ("uncertain", 1)
    await services.worker().run_once()
    await services.deliveries.sweep(older_than=timedelta(0))
    await services.worker().run_once()
    image_sends = [c for c in fake_wechat.calls_to("message/custom/send") if c.json.get("msgtype") == "image"]
    assert len(image_sends) == 1


async def test_a_refused_image_keeps_the_draft_and_saves_nothing(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services
) -> None:
    ticket = await make_ticket()
    await page_login(client, "sam", PASSWORD)
    wrong = await _answer(client, ticket, {"image": ("x.bmp", b"BM" + b"\x00" * 100, "image/bmp")}, "草稿一")
    assert wrong.status_code == 400 and "只能附 JPG、PNG 或 GIF" in wrong.text and "草稿一" in wrong.text
    services.settings.answer_image_max_bytes = 16 * 1024
    big = await _answer(client, ticket, {"image": ("big.jpg", JPEG + b"\x00" * 20000, "image/jpeg")}, "草稿二")
    assert big.status_code == 400 and "超过微信图片消息的上限" in big.text
    async with services.sessions() as session:
        row = await session.get(Ticket, ticket.id)
        assert row is not None and row.answer is None and row.state == "open"
        assert (await session.scalars(select(Attachment))).all() == []
        assert (await session.scalars(select(Delivery))).all() == []


async def test_outside_the_window_the_image_waits_for_the_users_next_message(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat, fake_clock
) -> None:
    ticket = await make_ticket(interacted=services.clock.now() - timedelta(hours=49))
    await page_login(client, "sam", PASSWORD)
    await _answer(client, ticket, {"image": ("a.png", PNG, "image/png")})
    await services.worker().run_once()
    assert fake_wechat.custom_messages(ticket.openid) == []
    async with services.sessions() as session:
        image = (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()
        assert image.state == "held"
        fake_clock.advance(hours=5)
        owed = await services.answers.answers_waiting(session, ticket.openid)  # the user writes again
        await session.commit()
    assert owed and "请看附图" in owed[0]
    fake_wechat.interact(ticket.openid)
    fake_clock.advance(seconds=31)  # the delivery sweeper's next round
    assert await services.deliveries.sweep() == 1
    await services.worker().run_once()
    assert [m.msgtype for m in fake_wechat.custom_messages(ticket.openid)] == ["image"]


async def test_an_image_whose_file_is_gone_fails_for_a_person_and_is_not_retried(  # type: ignore[no-untyped-def]
    client, staff, make_ticket, services, fake_wechat
) -> None:
    ticket = await make_ticket()
    fake_wechat.interact(ticket.openid)
    await page_login(client, "sam", PASSWORD)
    await _answer(client, ticket, {"image": ("a.png", PNG, "image/png")})
    async with services.sessions() as session:
        [outbound] = (await session.scalars(select(Attachment).where(Attachment.direction == "out"))).all()
    await services.blobs.delete(outbound.blob_key)  # e.g. removed from the bucket by hand
    await services.worker().run_once()  # the text
    await services.worker().run_once()  # the image: nothing to upload
    async with services.sessions() as session:
        image = (await session.scalars(select(Delivery).where(Delivery.purpose == "ticket_answer_image"))).one()
    assert image.state == "failed" and "could not prepare" in image.last_error
    assert await services.deliveries.sweep(older_than=timedelta(0)) == 0  # not pending: never swept again
    assert fake_wechat.uploaded_media() == []
    assert [m.msgtype for m in fake_wechat.custom_messages(ticket.openid)] == ["text"]


async def test_a_photo_sent_before_the_hand_over_shows_with_the_question(  # type: ignore[no-untyped-def]
    client, staff, services, fake_wechat, wechat_user
) -> None:
    user = wechat_user(openid="o_photo_first")
    user.add_media = fake_wechat.add_user_media
    await user.say("在国外护照丢了怎么办？")  # the FAQ answers; no ticket yet
    await user.send_media("image", PNG, "image/png")  # then the photo of the document
    assert "已一并转交" in (await user.say("人工") or "")
    await services.worker().run_once()  # its download
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.openid == "o_photo_first"))
        [photo] = (await session.scalars(select(Attachment))).all()
    assert ticket is not None and photo.state == "stored"
    await page_login(client, "sam", PASSWORD)
    page = (await client.get(f"/console/tickets/{ticket.number}")).text
    image = page.index(f'<img src="/console/attachments/{photo.id}"')
    assert page.index('id="question"') < page.index("用户留言前发来的图片 · ") < image < page.index("答复用户")
    assert "用户发来附件" in page and "图片；留言前发来，随问题一并转交" in page  # the audit trail
