"""Files users send, end to end through the webhook: onto the open ticket (or as the request after “人工”, or
sent in the minutes before a ticket opens), fetched from the fake WeChat's temporary media by the job worker, once
per message; nothing without a ticket."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.simulated_user import SimulatedUser
from tests.conftest import TEST_APPID, TEST_TOKEN
from tickets.attachment_models import Attachment
from tickets.attachments import ticket_attachments
from tickets.earlier_media import asked_key, key_of
from tickets.models import Ticket, TicketEvent, TicketMessage
from wechat import inbound
from wechat.fake_api import FakeWeChatState

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300



@pytest_asyncio.fixture
async def services(make_services, fake_clock):  # type: ignore[no-untyped-def]
    from faq.kb import load_kb

    svc = await make_services(clock=fake_clock)
    svc.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    return svc


@pytest_asyncio.fixture
async def http(services):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


@pytest.fixture
def user(http, fake_wechat: FakeWeChatState) -> SimulatedUser:  # type: ignore[no-untyped-def]
    return SimulatedUser(
        http=http,
        token=TEST_TOKEN,
        appid=TEST_APPID,
        aes_key=None,
        openid="o_files_user",
        interact=fake_wechat.interact,
        add_media=fake_wechat.add_user_media,
    )


async def _attachments(services) -> list[Attachment]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        return list((await session.scalars(select(Attachment).order_by(Attachment.id))).all())


async def test_a_picture_on_an_open_ticket_is_attached_and_fetched(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    reply = await user.send_media("image", PNG, "image/png")
    assert reply is not None and "已补充到您的留言" in reply and "Q20261123-0001" in reply
    [pending] = await _attachments(services)
    assert pending.state == "pending" and pending.kind == "image"
    job = await services.queue.get(f"attachment:{pending.id}")
    assert job is not None  # queued after the message's commit
    await services.worker().run_once()
    [stored] = await _attachments(services)
    assert stored.state == "stored" and await services.blobs.get(stored.blob_key) == PNG
    async with services.sessions() as session:
        line = await session.get(TicketMessage, stored.message_id)
        assert line is not None and line.body == "[图片]" and line.kind == "user"


async def test_after_asking_for_a_person_a_picture_is_the_request(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.say("人工")
    reply = await user.send_media("image", PNG, "image/png")
    assert reply is not None and "留言编号" in reply
    async with services.sessions() as session:
        [ticket] = (await session.scalars(select(Ticket))).all()
    assert ticket.question == "[图片]"
    [attachment] = await _attachments(services)
    assert attachment.ticket_id == ticket.id and attachment.message_id is None  # shown with the question
    async with services.sessions() as session:
        [view] = await ticket_attachments(session, ticket.id)
    assert not view.before_ticket  # it is the question, not something sent before it


async def test_without_a_ticket_a_picture_gets_help_not_a_ticket(user, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    reply = await user.send_media("image", PNG, "image/png")
    assert reply is not None and "请在10分钟内回复“人工”并说明问题，图片会一并转交" in reply
    assert await _attachments(services) == []
    assert fake_wechat.calls_to("media/get") == []
    async with services.sessions() as session:
        assert (await session.scalars(select(Ticket))).all() == []


async def test_a_recognised_voice_joins_as_text_with_its_recording(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    reply = await user.send_media("voice", b"#!AMR\n" + b"\x3c" * 64, recognition="学校在福建晋江，大约两百本")
    assert reply is not None and "已补充" in reply
    [voice] = await _attachments(services)
    assert voice.kind == "voice" and voice.recognition == "学校在福建晋江，大约两百本"
    async with services.sessions() as session:
        lines = (await session.scalars(select(TicketMessage).where(TicketMessage.kind == "user"))).all()
    assert [line.body for line in lines] == ["学校在福建晋江，大约两百本"]  # one line, the recording under it
    assert lines[0].id == voice.message_id
    await services.worker().run_once()
    [voice] = await _attachments(services)
    assert voice.state == "stored" and voice.content_type == "audio/amr"


async def test_an_unrecognised_voice_on_a_ticket_is_kept_for_staff(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    reply = await user.send_media("voice", b"#!AMR\n" + b"\x3c" * 64)
    assert reply is not None and "已补充" in reply
    [voice] = await _attachments(services)
    assert voice.kind == "voice" and voice.recognition is None


async def test_a_redelivered_picture_is_attached_once(http, user, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    media_id = fake_wechat.add_user_media("image", PNG, content_type="image/png")
    xml = inbound.image_message(user.openid, media_id=media_id, msg_id=99001)
    for _ in range(3):
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        assert (await http.post("/wechat", params=query, content=body)).status_code == 200
    # On a loaded machine the first delivery may pass WeChat's 5 s and finish in the background.
    for _ in range(200):
        if await _attachments(services):
            break
        await asyncio.sleep(0.1)
    assert len(await _attachments(services)) == 1
    await services.worker().run_once()
    assert len(fake_wechat.calls_to("media/get")) == 1


# --- files sent before the hand-over (tickets.earlier_media) -------------------------------------------------

FAQ_ANSWERED = "在国外护照丢了怎么办？"  # kb_small answers it: no ticket, a photo after it is on no ticket


async def _ticket(services, openid: str = "o_files_user") -> Ticket:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        [ticket] = (await session.scalars(select(Ticket).where(Ticket.openid == openid))).all()
    return ticket


async def test_a_photo_sent_just_before_asking_for_a_person_joins_the_ticket(user, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    await user.say(FAQ_ANSWERED)
    await user.send_media("image", PNG, "image/png")  # the photo of the document
    reply = await user.say("人工")
    assert reply is not None and "留言编号" in reply and "您此前发送的1张图片已一并转交" in reply
    ticket = await _ticket(services)
    assert ticket.question == FAQ_ANSWERED
    [photo] = await _attachments(services)
    assert (photo.ticket_id, photo.message_id, photo.state) == (ticket.id, None, "pending")  # with the question
    async with services.sessions() as session:
        lines = (await session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id))).all()
        events = (await session.scalars(select(TicketEvent).where(TicketEvent.action == "attachment_received"))).all()
    assert all(line.body != "[图片]" for line in lines)  # no thread line of its own
    async with services.sessions() as session:
        [view] = await ticket_attachments(session, ticket.id)
    assert view.before_ticket  # the ticket page says it came before the question
    assert [e.detail for e in events] == [{"kind": "image", "before_ticket": True}]
    assert await services.queue.get(f"attachment:{photo.id}") is not None  # queued after the commit
    await services.worker().run_once()  # the same download job as any attachment
    [stored] = await _attachments(services)
    assert stored.state == "stored" and await services.blobs.get(stored.blob_key) == PNG
    assert await services.redis.exists(key_of(user.openid)) == 0  # taken: nothing of it left in Redis


async def test_photos_then_human_then_the_question(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.send_media("image", PNG, "image/png")
    await user.send_media("image", PNG + b"2", "image/png")
    asked = await user.say("人工")
    assert asked is not None and "请直接描述您要咨询的问题" in asked and "您刚才发送的2张图片会随问题一并转交" in asked
    assert await _attachments(services) == []
    reply = await user.say("这是我父亲的归侨证，想问补办需要什么材料")
    assert reply is not None and "您此前发送的2张图片已一并转交" in reply
    ticket = await _ticket(services)
    assert ticket.question == "这是我父亲的归侨证，想问补办需要什么材料"
    assert [(a.ticket_id, a.kind) for a in await _attachments(services)] == [(ticket.id, "image"), (ticket.id, "image")]


async def test_after_human_the_photos_wait_as_long_as_the_question_does(user, services, fake_clock) -> None:  # type: ignore[no-untyped-def]
    await user.send_media("image", PNG, "image/png")
    fake_clock.advance(minutes=8)
    assert "会随问题一并转交" in (await user.say("人工") or "")
    fake_clock.advance(minutes=15)  # an elderly user typing a long question: 23 minutes after the photo
    reply = await user.say("这是我父亲的归侨证，想问补办需要什么材料")
    assert reply is not None and "您此前发送的1张图片已一并转交" in reply
    assert [a.ticket_id for a in await _attachments(services)] == [(await _ticket(services)).id]
    assert await services.redis.exists(key_of(user.openid), asked_key(user.openid)) == 0


async def test_only_the_window_before_the_ticket_and_only_the_users_own(  # type: ignore[no-untyped-def]
    user, http, services, fake_wechat, fake_clock
) -> None:
    other = SimulatedUser(
        http=http, token=TEST_TOKEN, appid=TEST_APPID, aes_key=None, openid="o_someone_else",
        interact=fake_wechat.interact, add_media=fake_wechat.add_user_media,
    )
    await user.say(FAQ_ANSWERED)
    await user.send_media("image", PNG, "image/png")
    fake_clock.advance(minutes=11)  # past QIAOBOT_HANDOVER_MEDIA_WINDOW_MINUTES (10)
    voice = b"#!AMR\n" + b"\x3c" * 64
    await user.send_media("voice", voice)  # unrecognised, on no ticket: kept too
    await other.send_media("image", PNG + b"other", "image/png")
    fake_clock.advance(minutes=9)
    reply = await user.say("人工")
    assert reply is not None and "您此前发送的1段语音已一并转交" in reply
    [kept] = await _attachments(services)
    assert kept.kind == "voice" and kept.ticket_id == (await _ticket(services)).id


async def test_a_redelivered_or_rehandled_photo_joins_once(user, http, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    await user.say(FAQ_ANSWERED)
    media_id = fake_wechat.add_user_media("image", PNG, content_type="image/png")
    xml = inbound.image_message(user.openid, media_id=media_id, msg_id=99002)
    for _ in range(3):  # WeChat's redeliveries of one message
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        assert (await http.post("/wechat", params=query, content=body)).status_code == 200
    raw = await services.redis.lrange(key_of(user.openid), 0, -1)
    assert len(raw) == 1
    await services.redis.rpush(key_of(user.openid), raw[0])  # as if a dead handler's successor pushed it again
    reply = await user.say("人工")
    assert reply is not None and "1张图片" in reply
    assert len(await _attachments(services)) == 1
    await services.worker().run_once()
    assert len(fake_wechat.calls_to("media/get")) == 1


async def test_a_file_already_on_a_ticket_is_not_taken_again(user, services) -> None:  # type: ignore[no-untyped-def]
    await user.say(FAQ_ANSWERED)
    await user.send_media("image", PNG, "image/png")
    [entry] = await services.redis.lrange(key_of(user.openid), 0, -1)
    await user.say("人工")
    ticket = await _ticket(services)
    async with services.sessions() as session:  # staff close it; the user opens another at once
        row = await session.get(Ticket, ticket.id)
        assert row is not None
        row.state, row.closed_at = "closed", services.clock.now()
        await session.commit()
    await services.redis.rpush(key_of(user.openid), entry)  # the list's entry outlived the take (a lost delete)
    await user.say("中国承认双重国籍吗？")
    reply = await user.say("人工")
    assert reply is not None and "留言编号" in reply and "已一并转交" not in reply
    assert [a.ticket_id for a in await _attachments(services)] == [ticket.id]


async def test_a_recognised_voice_the_faq_answered_brings_its_recording_to_the_ticket(user, services) -> None:  # type: ignore[no-untyped-def]
    reply = await user.send_media("voice", b"#!AMR\n" + b"\x3c" * 64, recognition="在国外护照丢了怎么办")
    assert reply is not None and "留言编号" not in reply  # the FAQ answered it
    reply = await user.say("人工")
    assert reply is not None and "1段语音" in reply
    ticket = await _ticket(services)
    [voice] = await _attachments(services)
    assert ticket.question == "在国外护照丢了怎么办" and voice.ticket_id == ticket.id
    assert voice.recognition == "在国外护照丢了怎么办"


async def test_with_the_window_off_nothing_is_kept(user, services) -> None:  # type: ignore[no-untyped-def]
    assert services.earlier_media is not None
    services.earlier_media.window = timedelta(0)
    reply = await user.send_media("image", PNG, "image/png")
    assert reply is not None and "再发送图片" in reply  # the old advice: ask for a person first
    assert await services.redis.exists(key_of(user.openid)) == 0
    await user.say(FAQ_ANSWERED)
    assert "一并转交" not in (await user.say("人工") or "")
    assert await _attachments(services) == []
