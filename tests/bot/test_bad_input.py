"""Bad input gets a clear error, stores nothing, and leaves the process unharmed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import MessageLog
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from wechat import inbound

pytestmark = pytest.mark.asyncio

OTHER_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


async def _stored(services) -> int:  # type: ignore[no-untyped-def]
    await services.activity.flush()
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(MessageLog)) or 0)


async def _post(client, query, body, **headers):  # type: ignore[no-untyped-def]
    return await client.post("/wechat", params=query, content=body, headers=headers)


async def test_forged_signature_is_403_and_nothing_stored(client, services) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(inbound.text_message("o_x", "护照"), "plain", "not-our-token")
    response = await _post(client, query, body)
    assert response.status_code == 403
    assert await _stored(services) == 0


async def test_forged_msg_signature_is_403(aes_client, aes_services) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(inbound.text_message("o_x", "护照"), "aes", TEST_TOKEN, TEST_AES_KEY, TEST_APPID)
    query["msg_signature"] = "0" * 40
    assert (await _post(aes_client, query, body)).status_code == 403
    assert await _stored(aes_services) == 0


@pytest.mark.parametrize("missing", ["signature", "timestamp", "nonce"])
async def test_missing_parameters_are_400(client, missing) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(inbound.text_message("o_x", "护照"), "plain", TEST_TOKEN)
    del query[missing]
    assert (await _post(client, query, body)).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<xml><Content>unclosed",
        b"<root><a>1</a></root>",
        b"   ",
        "<xml>\u0000</xml>".encode(),
    ],
)
async def test_malformed_body_is_400_and_service_still_answers(client, services, wechat_user, body) -> None:  # type: ignore[no-untyped-def]
    query, _ = inbound.sign_post(inbound.text_message("o_x", "x"), "plain", TEST_TOKEN)
    response = await _post(client, query, body)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    assert await _stored(services) == 0
    assert await wechat_user().say("中国承认双重国籍吗")  # unharmed


async def test_message_missing_fields_is_400(client) -> None:  # type: ignore[no-untyped-def]
    xml = "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>hi</Content></xml>"
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN, openid="o_x")
    assert (await _post(client, query, body)).status_code == 400


async def test_doctype_and_entities_are_refused(client, services) -> None:  # type: ignore[no-untyped-def]
    xml = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
    )
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN, openid="o_x")
    response = await _post(client, query, body)
    assert response.status_code == 400 and "root:" not in response.text
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        "<xml><Content>&b;</Content></xml>"
    )
    query, body = inbound.sign_post(bomb, "plain", TEST_TOKEN, openid="o_x")
    assert (await _post(client, query, body)).status_code == 400
    assert await _stored(services) == 0


async def test_oversized_body_is_413(client) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.text_message("o_x", "长" * 30000)  # 90 KB of UTF-8
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    assert (await _post(client, query, body)).status_code == 413


async def test_wrong_appid_is_400_without_internals(aes_client, aes_services) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(
        inbound.text_message("o_x", "护照"), "aes", TEST_TOKEN, TEST_AES_KEY, "wx_some_other_app"
    )
    response = await _post(aes_client, query, body)
    assert response.status_code == 400
    assert response.text == "message is not for this account"
    assert await _stored(aes_services) == 0


async def test_undecryptable_payload_is_400(aes_client) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(inbound.text_message("o_x", "护照"), "aes", TEST_TOKEN, OTHER_AES_KEY, TEST_APPID)
    response = await _post(aes_client, query, body)
    assert response.status_code == 400
    assert "Traceback" not in response.text and "padding" not in response.text.lower()


async def test_encrypted_message_without_aes_key_configured_is_400(make_services) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from bot.app import create_app

    services = await make_services(wechat_aes_key="")
    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        query, body = inbound.sign_post(
            inbound.text_message("o_x", "护照"), "aes", TEST_TOKEN, TEST_AES_KEY, TEST_APPID
        )
        assert (await http.post("/wechat", params=query, content=body)).status_code == 400


async def test_user_text_with_cdata_terminator_cannot_break_the_reply(wechat_user) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    response, reply = await user.post(user.build("text", "]]><evil/>"))
    assert response.status_code == 200 and reply is not None  # a passive reply, parsed back as XML
    assert set(reply) == {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"}  # nothing injected
    assert reply["MsgType"] == "text" and reply["ToUserName"] == user.openid
    assert isinstance(reply["Content"], str) and reply["Content"].strip()


async def test_empty_and_huge_text_messages_are_answered(wechat_user) -> None:  # type: ignore[no-untyped-def]
    user = wechat_user()
    for text in (" ", "护照" * 5000, "😀😀😀"):
        reply = await user.say(text)
        assert reply is not None and reply.strip(), f"no answer to {text[:10]!r}"
        assert len(reply.encode("utf-8")) <= 2048  # WeChat's limit for one text message


async def test_encrypted_callback_with_a_doctype_outside_the_envelope_is_refused(aes_client) -> None:  # type: ignore[no-untyped-def]
    query, body = inbound.sign_post(inbound.text_message("o_x", "护照"), "compat", TEST_TOKEN, TEST_AES_KEY, TEST_APPID)
    poisoned = b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "b">]>' + body
    response = await _post(aes_client, query, poisoned)
    assert response.status_code == 400 and "DTD" in response.text


async def test_encrypted_callback_without_encrypt_is_400(aes_client) -> None:  # type: ignore[no-untyped-def]
    query, _ = inbound.sign_post(inbound.text_message("o_x", "护照"), "aes", TEST_TOKEN, TEST_AES_KEY, TEST_APPID)
    response = await _post(aes_client, query, b"<xml><ToUserName>gh</ToUserName></xml>")
    assert response.status_code == 400 and response.text == "missing Encrypt element"
