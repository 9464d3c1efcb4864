"""The webhook end to end through signed (and encrypted) requests, as WeChat sends them."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.models import Follower, MessageLog
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from wechat import inbound

pytestmark = pytest.mark.asyncio


async def _count_logs(services, **where) -> int:  # type: ignore[no-untyped-def]
    await services.activity.flush()
    async with services.sessions() as session:
        query = select(func.count()).select_from(MessageLog)
        for name, value in where.items():
            query = query.where(getattr(MessageLog, name) == value)
        return int(await session.scalar(query) or 0)


async def test_url_check_echoes_echostr(client) -> None:  # type: ignore[no-untyped-def]
    query = inbound.sign_get(TEST_TOKEN, "hello-echo")
    response = await client.get("/wechat", params=query)
    assert response.status_code == 200
    assert response.text == "hello-echo"


async def test_url_check_with_bad_signature_is_403(client) -> None:  # type: ignore[no-untyped-def]
    query = inbound.sign_get("wrong-token", "x")
    response = await client.get("/wechat", params=query)
    assert response.status_code == 403


async def test_url_check_without_parameters_is_400(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/wechat")).status_code == 400


async def test_text_answered_in_plain_mode(wechat_user, services) -> None:  # type: ignore[no-untyped-def]
    reply = await wechat_user("plain").say("在国外护照丢了怎么办")
    assert reply is not None and "报案" in reply
    assert await _count_logs(services, direction="in") == 1
    assert await _count_logs(services, direction="out", channel="passive") == 1


@pytest.mark.parametrize("mode", ["compat", "aes"])
async def test_text_answered_in_each_encrypted_mode(aes_wechat_user, aes_services, mode) -> None:  # type: ignore[no-untyped-def]
    reply = await aes_wechat_user(mode).say("在国外护照丢了怎么办")
    assert reply is not None and "报案" in reply
    assert await _count_logs(aes_services, direction="in") == 1
    assert await _count_logs(aes_services, direction="out", channel="passive") == 1


async def test_aes_reply_is_encrypted_with_its_own_signature(aes_client) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.text_message("o_aes_user", "双重国籍")
    query, body = inbound.sign_post(xml, "aes", TEST_TOKEN, TEST_AES_KEY, TEST_APPID, nonce="1234567890")
    response = await aes_client.post("/wechat", params=query, content=body)
    assert response.status_code == 200
    assert "<Encrypt>" in response.text and "<MsgSignature>" in response.text and "<TimeStamp>" in response.text
    assert "双重国籍" not in response.text  # nothing in clear
    reply = inbound.decode_reply(
        response.content, "aes", TEST_TOKEN, TEST_AES_KEY, TEST_APPID, expect_nonce="1234567890"
    )
    assert reply is not None and reply["ToUserName"] == "o_aes_user"


async def test_traditional_question_gets_traditional_answer(wechat_user) -> None:  # type: ignore[no-untyped-def]
    reply = await wechat_user().say("在國外護照丟了怎麼辦")
    assert reply is not None
    assert "報案" in reply and "报案" not in reply


async def test_voice_with_recognition_is_answered_as_text(wechat_user) -> None:  # type: ignore[no-untyped-def]
    reply = await wechat_user().say("在国外护照丢了怎么办", kind="voice")
    assert reply is not None and "报案" in reply


async def test_voice_without_recognition_asks_to_type(wechat_user) -> None:  # type: ignore[no-untyped-def]
    reply = await wechat_user().say("", kind="voice")
    assert reply is not None and "文字" in reply


@pytest.mark.parametrize("kind", ["image", "location", "link"])
async def test_media_gets_a_short_explanation(wechat_user, kind) -> None:  # type: ignore[no-untyped-def]
    reply = await wechat_user().say("", kind=kind)
    assert reply is not None and "文字" in reply


async def test_video_and_file_messages(client) -> None:  # type: ignore[no-untyped-def]
    for xml in (
        inbound.video_message("o_media"),
        inbound.video_message("o_media", short=True),
        inbound.render_xml(
            {
                "ToUserName": "gh_x",
                "FromUserName": "o_media",
                "CreateTime": 1700000000,
                "MsgType": "file",
                "Title": "a.pdf",
                "MsgId": 42,
            }
        ),
    ):
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        response = await client.post("/wechat", params=query, content=body)
        assert response.status_code == 200
        assert "文字" in response.text


async def test_subscribe_welcomes_and_records(wechat_user, services) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    reply = await user.say("", kind="subscribe", key="overseas_berlin")
    assert reply is not None and "欢迎关注" in reply
    await services.activity.flush()
    async with services.sessions() as session:
        follower = await session.get(Follower, user.openid)
    assert follower is not None and follower.subscribed and follower.subscribe_scene == "overseas_berlin"
    assert follower.subscribed_at is not None and follower.last_interaction_at is not None


async def test_unsubscribe_is_recorded_and_answered_empty(wechat_user, services) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    await user.say("", kind="subscribe")
    assert await user.say("", kind="unsubscribe") is None
    await services.activity.flush()
    async with services.sessions() as session:
        follower = await session.get(Follower, user.openid)
    assert follower is not None and not follower.subscribed and follower.unsubscribed_at is not None


async def test_click_topic_lists_questions_and_number_answers(wechat_user) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    listing = await user.say("", kind="click", key="TOPIC_1")
    assert listing is not None and "1. " in listing and "护照" in listing
    answer = await user.say("1")
    assert answer is not None and answer.startswith("【")


async def test_menu_then_group_then_question(wechat_user) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    menu = await user.say("菜单")
    assert menu is not None and "出入境" in menu
    listing = await user.say("2")
    assert listing is not None and "国籍" in listing


async def test_redelivery_is_handled_once_and_gets_the_same_reply(client, services) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.text_message("o_dup", "在国外护照丢了怎么办", msg_id=987654321)
    replies = []
    for _ in range(3):
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        response = await client.post("/wechat", params=query, content=body)
        replies.append(response.text)
    assert replies[0] == replies[1] == replies[2] and "报案" in replies[0]
    assert await _count_logs(services, direction="in") == 1


async def test_concurrent_burst_of_redeliveries_handled_once(client, services) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.text_message("o_burst", "中国承认双重国籍吗", msg_id=555)

    async def deliver() -> str:
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        response = await client.post("/wechat", params=query, content=body)
        assert response.status_code == 200
        return response.text

    results = await asyncio.gather(*(deliver() for _ in range(12)))
    assert await _count_logs(services, direction="in") == 1
    answered = [r for r in results if "国籍法" in r]
    assert answered, "the owner's reply must reach WeChat"
    assert all(r == answered[0] or r == "success" for r in results)


async def test_events_deduplicated_by_sender_and_create_time(client, services) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.subscribe_event("o_event_dup")
    for _ in range(2):
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        assert (await client.post("/wechat", params=query, content=body)).status_code == 200
    assert await _count_logs(services, direction="in") == 1


@pytest.mark.parametrize(
    "build",
    [
        lambda: inbound.scan_event("o_ev", "overseas_paris"),
        lambda: inbound.view_event("o_ev", "https://example.org/"),
        lambda: inbound.location_report_event("o_ev", 48.85, 2.35),
        lambda: inbound.template_send_job_finish_event("o_ev", 1234),
    ],
)
async def test_other_events_are_accepted(client, services, build) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(build(), "plain", TEST_TOKEN)
    response = await client.post("/wechat", params=query, content=body)
    assert response.status_code == 200
    assert await _count_logs(services, direction="in") == 1


async def test_utf16_body_cannot_smuggle_a_doctype(client) -> None:  # type: ignore[no-untyped-def]
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>'
    query, _ = inbound.sign_post(inbound.text_message("o_x", "x"), "plain", TEST_TOKEN)
    response = await client.post("/wechat", params=query, content=xml.encode("utf-16"))
    assert response.status_code == 400
