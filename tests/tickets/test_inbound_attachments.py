"""Files users send, end to end through the webhook: onto the open ticket (or as the request after “人工”),
fetched from the fake WeChat's temporary media by the job worker, once per message; nothing without a ticket."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.simulated_user import SimulatedUser
from tests.conftest import TEST_APPID, TEST_TOKEN
from tickets.attachment_models import Attachment
from tickets.models import Ticket, TicketMessage
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


async def test_without_a_ticket_a_picture_gets_help_not_a_ticket(user, services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    reply = await user.send_media("image", PNG, "image/png")
    assert reply is not None and "人工" in reply and "再发送图片" in reply
    assert await _attachments(services) == []
    assert fake_wechat.calls_to("media/get") == []


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
