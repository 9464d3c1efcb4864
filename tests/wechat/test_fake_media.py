"""Temporary media against the fake WeChat API: what ``media/get`` and ``media/upload`` answer on the wire, and
the media client (``wechat.media_api``) reading those answers, limits, expiry and injected faults."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from wechat.api_client import WeChatApiClient
from wechat.api_errors import WeChatApiError, WeChatTransportError
from wechat.fake_api import FakeWeChatState, create_fake_wechat_app
from wechat.fake_clock import ManualClock
from wechat.media_api import MediaTooLarge, WeChatMedia, filename_of

BASE_URL = "https://api.weixin.qq.com"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000 + b"\xff\xd9"


@pytest_asyncio.fixture
async def media(redis_url: str, state: FakeWeChatState) -> AsyncIterator[WeChatMedia]:
    redis = Redis.from_url(redis_url)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_fake_wechat_app(state)))
    api = WeChatApiClient(BASE_URL, state.appid, state.secret, redis, http, key_prefix=f"t:{uuid.uuid4().hex}:")
    yield WeChatMedia(api, timeout=5)
    await http.aclose()
    await redis.aclose()


async def _token(http: httpx.AsyncClient, state: FakeWeChatState) -> str:
    answer = await http.post(
        "/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": state.appid, "secret": state.secret},
    )
    return str(answer.json()["access_token"])


async def test_media_get_answers_the_file_with_wechats_headers(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    media_id = state.add_user_media("image", JPEG)
    token = await _token(http, state)
    response = await http.get("/cgi-bin/media/get", params={"access_token": token, "media_id": media_id})
    assert response.status_code == 200
    assert response.content == JPEG
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-disposition"] == f'attachment; filename="{media_id}.jpg"'
    assert response.headers["cache-control"] == "no-cache, must-revalidate"


async def test_media_get_errors_are_json(http: httpx.AsyncClient, state: FakeWeChatState, clock: ManualClock) -> None:
    token = await _token(http, state)
    unknown = await http.get("/cgi-bin/media/get", params={"access_token": token, "media_id": "nope"})
    assert unknown.headers["content-type"].startswith("application/json")
    assert unknown.json()["errcode"] == 40007
    missing = await http.get("/cgi-bin/media/get", params={"access_token": token})
    assert missing.json()["errcode"] == 41006
    no_token = await http.get("/cgi-bin/media/get", params={"media_id": "x"})
    assert no_token.json()["errcode"] == 41001
    media_id = state.add_user_media("voice", b"#!AMR\n" + b"\x01" * 100)
    clock.advance(days=3)  # "媒体文件在微信后台保存时间为3天，即3天后media_id失效"
    token = await _token(http, state)
    expired = await http.get("/cgi-bin/media/get", params={"access_token": token, "media_id": media_id})
    assert expired.json()["errcode"] == 40007


async def test_a_video_comes_as_a_download_url(http: httpx.AsyncClient, state: FakeWeChatState) -> None:
    media_id = state.add_user_media("video", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    token = await _token(http, state)
    answer = (await http.get("/cgi-bin/media/get", params={"access_token": token, "media_id": media_id})).json()
    assert set(answer) == {"video_url"}
    video = await http.get(answer["video_url"])
    assert video.headers["content-type"] == "video/mp4"
    assert video.content.startswith(b"\x00\x00\x00\x18ftyp")


async def test_the_client_downloads_images_voices_and_videos(media: WeChatMedia, state: FakeWeChatState) -> None:
    image = await media.download(state.add_user_media("image", JPEG), max_bytes=10_000)
    assert (image.content, image.content_type) == (JPEG, "image/jpeg")
    assert image.filename.endswith(".jpg")
    voice = await media.download(state.add_user_media("voice", b"#!AMR\n\x01\x02"), max_bytes=10_000)
    assert voice.content_type == "audio/amr"
    video = await media.download(state.add_user_media("video", b"\x00\x00\x00\x18ftypmp42"), max_bytes=10_000)
    assert video.content_type == "video/mp4"
    assert video.content == b"\x00\x00\x00\x18ftypmp42"


async def test_the_client_stops_reading_past_the_limit(media: WeChatMedia, state: FakeWeChatState) -> None:
    media_id = state.add_user_media("image", JPEG)
    with pytest.raises(MediaTooLarge) as raised:
        await media.download(media_id, max_bytes=1000)
    assert raised.value.size == len(JPEG)
    assert raised.value.limit == 1000


async def test_invalid_or_expired_media_is_a_permanent_error(
    media: WeChatMedia, state: FakeWeChatState, clock: ManualClock
) -> None:
    media_id = state.add_user_media("image", JPEG)
    clock.advance(timedelta(days=3, seconds=1))
    with pytest.raises(WeChatApiError) as raised:
        await media.download(media_id, max_bytes=10_000)
    assert raised.value.errcode == 40007
    assert not raised.value.transient


async def test_busy_and_broken_answers_are_transient_and_never_outcome_unknown(
    media: WeChatMedia, state: FakeWeChatState
) -> None:
    media_id = state.add_user_media("image", JPEG)
    state.fail_next("media/get", -1)
    with pytest.raises(WeChatApiError) as busy:
        await media.download(media_id, max_bytes=10_000)
    assert busy.value.transient
    state.fail_next("media/get", http_status=502)
    with pytest.raises(WeChatTransportError) as broken:
        await media.download(media_id, max_bytes=10_000)
    assert broken.value.transient and not broken.value.outcome_unknown
    assert (await media.download(media_id, max_bytes=10_000)).content == JPEG


async def test_a_rejected_token_is_refreshed_once(media: WeChatMedia, state: FakeWeChatState) -> None:
    media_id = state.add_user_media("image", JPEG)
    assert (await media.download(media_id, max_bytes=10_000)).content == JPEG
    state.revoke_tokens()
    assert (await media.download(media_id, max_bytes=10_000)).content == JPEG
    assert len(state.calls_to("media/get")) == 3


async def test_an_upload_with_a_rejected_token_is_refreshed_once(media: WeChatMedia, state: FakeWeChatState) -> None:
    await media.upload("image", "first.jpg", JPEG, "image/jpeg")
    state.revoke_tokens()
    media_id = await media.upload("image", "answer.jpg", JPEG, "image/jpeg")
    stored = state.media(media_id)
    assert stored is not None and stored.content == JPEG
    assert len(state.calls_to("media/upload")) == 3  # the refused one, then once with a fresh token


async def test_upload_then_send_the_image_as_a_customer_service_message(
    media: WeChatMedia, state: FakeWeChatState, http: httpx.AsyncClient
) -> None:
    media_id = await media.upload("image", "answer.jpg", JPEG, "image/jpeg")
    stored = state.media(media_id)
    assert stored is not None and stored.content == JPEG and stored.origin == "upload"
    call = state.calls_to("media/upload")[-1]
    assert call.query["type"] == "image"
    assert call.json == {"media": {"filename": "answer.jpg", "size": len(JPEG)}}
    state.interact("o_user")
    token = await _token(http, state)
    sent = await http.post(
        "/cgi-bin/message/custom/send",
        params={"access_token": token},
        json={"touser": "o_user", "msgtype": "image", "image": {"media_id": media_id}},
    )
    assert sent.json()["errcode"] == 0
    assert state.custom_messages("o_user")[-1].payload["image"] == {"media_id": media_id}
    refused = await http.post(
        "/cgi-bin/message/custom/send",
        params={"access_token": token},
        json={"touser": "o_user", "msgtype": "image", "image": {"media_id": "unknown"}},
    )
    assert refused.json()["errcode"] == 40007


@pytest.mark.parametrize(
    ("kind", "filename", "size", "errcode"),
    [
        ("picture", "a.jpg", 100, 40004),  # not a media type
        ("image", "a.bmp", 100, 40005),  # not PNG/JPEG/JPG/GIF
        ("image", "a.jpg", 10 * 1024 * 1024 + 1, 40009),  # over 10 MB
        ("thumb", "a.jpg", 64 * 1024 + 1, 40012),
        ("image", "a.jpg", 0, 44001),
    ],
)
async def test_upload_refusals(
    media: WeChatMedia, state: FakeWeChatState, kind: str, filename: str, size: int, errcode: int
) -> None:
    with pytest.raises(WeChatApiError) as raised:
        await media.upload(kind, filename, b"\xff" * size, "image/jpeg")
    assert raised.value.errcode == errcode
    assert state.uploaded_media() == []


def test_filename_of_content_disposition() -> None:
    assert filename_of('attachment; filename="MEDIA_ID.jpg"') == "MEDIA_ID.jpg"
    assert filename_of("attachment; filename=abc.amr") == "abc.amr"
    assert filename_of(None) == ""
