"""A signed query string seen once cannot be used to post as anyone: with an EncodingAESKey only encrypted
callbacks are accepted, the signed timestamp must be near now, and a nonce carries one message only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from storage.models import MessageLog
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from wechat import inbound


async def _stored(services) -> int:  # type: ignore[no-untyped-def]
    await services.activity.flush()
    async with services.sessions() as session:
        return int(
            await session.scalar(select(func.count()).select_from(MessageLog).where(MessageLog.direction == "in")) or 0
        )


async def test_plaintext_is_refused_when_a_key_is_configured(aes_client: httpx.AsyncClient, aes_services) -> None:  # type: ignore[no-untyped-def]
    # Correctly signed, but in plaintext the signature does not cover the body: anyone could have written it.
    query, body = inbound.sign_post(inbound.text_message("o_victim", "人工"), "plain", TEST_TOKEN)
    response = await aes_client.post("/wechat", params=query, content=body)
    assert response.status_code == 403 and "EncodingAESKey" in response.text
    assert await _stored(aes_services) == 0
    for mode in ("compat", "aes"):
        query, body = inbound.sign_post(
            inbound.text_message("o_user", "护照"), mode, TEST_TOKEN, TEST_AES_KEY, TEST_APPID
        )  # type: ignore[arg-type]
        assert (await aes_client.post("/wechat", params=query, content=body)).status_code == 200
    assert await _stored(aes_services) == 2


async def test_timestamps_far_from_now_are_refused(client: httpx.AsyncClient, services) -> None:  # type: ignore[no-untyped-def]
    tolerance = services.settings.wechat_timestamp_tolerance_seconds
    now = datetime.now(UTC)
    for at in (now - timedelta(seconds=tolerance + 60), now + timedelta(seconds=tolerance + 60)):
        query, body = inbound.sign_post(inbound.text_message("o_late", "护照"), "plain", TEST_TOKEN, at=at)
        response = await client.post("/wechat", params=query, content=body)
        assert response.status_code == 403 and "timestamp" in response.text
    assert await _stored(services) == 0
    # WeChat's own retries come within seconds; a minute of clock skew is fine too.
    query, body = inbound.sign_post(
        inbound.text_message("o_late", "护照"), "plain", TEST_TOKEN, at=now - timedelta(seconds=60)
    )
    assert (await client.post("/wechat", params=query, content=body)).status_code == 200


async def test_a_nonce_carries_one_message_only(client: httpx.AsyncClient, services) -> None:  # type: ignore[no-untyped-def]
    first = inbound.text_message("o_user", "护照丢了怎么办")
    query, body = inbound.sign_post(first, "plain", TEST_TOKEN, nonce="1320562132")
    answered = await client.post("/wechat", params=query, content=body)
    assert answered.status_code == 200
    # The same signed query string with another body (plaintext: the signature does not cover it).
    forged = inbound.text_message("o_someone_else", "人工")
    replayed = await client.post("/wechat", params=query, content=forged.encode())
    assert replayed.status_code == 403 and "nonce" in replayed.text
    assert await _stored(services) == 1
    # The same message again under the same nonce is a redelivery: answered once, with the same reply.
    again = await client.post("/wechat", params=query, content=body)
    assert again.status_code == 200 and again.text == answered.text
    assert await _stored(services) == 1
