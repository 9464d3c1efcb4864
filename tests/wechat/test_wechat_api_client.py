"""The outbound client against the fake WeChat API, sharing its token through the real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack

import httpx
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from wechat.api_client import WeChatApiClient
from wechat.api_errors import WeChatApiError, WeChatTransportError
from wechat.fake_api import FakeWeChatState, create_fake_wechat_app
from wechat.fake_clock import ManualClock

BASE_URL = "https://api.weixin.qq.com"

ClientFactory = Callable[..., WeChatApiClient]


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis(host="127.0.0.1", port=6379)
    try:
        await client.ping()
    except RedisConnectionError:
        await client.aclose()
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def make_client(redis: Redis, state: FakeWeChatState) -> AsyncIterator[ClientFactory]:
    """Builds clients that act like separate processes: own HTTP connection pool, same Redis prefix."""
    prefix = f"test:{uuid.uuid4().hex}:"
    app = create_fake_wechat_app(state)
    async with AsyncExitStack() as stack:

        def factory(secret: str | None = None, **options: object) -> WeChatApiClient:
            http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
            stack.push_async_callback(http.aclose)
            return WeChatApiClient(
                BASE_URL,
                state.appid,
                secret or state.secret,
                redis,
                http,
                key_prefix=prefix,
                **options,  # type: ignore[arg-type]
            )

        yield factory
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


def stable_calls(state: FakeWeChatState) -> list[dict[str, object]]:
    return [call.json for call in state.calls_to("stable_token")]


# --- the shared token -----------------------------------------------------------------------------


async def test_two_processes_share_one_token_fetch(
    make_client: ClientFactory, state: FakeWeChatState, redis: Redis
) -> None:
    first, second = make_client(), make_client()
    state.delay_next("stable_token", 0.2)  # keep the refresh in flight while everyone piles in
    results = await asyncio.gather(*(client.get_tags() for client in [first, second] * 10))
    assert all(tags == [{"id": 2, "name": "星标组", "count": 0}] for tags in results)
    assert len(stable_calls(state)) == 1
    assert first.token_fetches + second.token_fetches == 1
    used = {call.query["access_token"] for call in state.calls_to("tags/get")}
    assert len(used) == 1
    ttl = await redis.ttl(first.token_key)
    assert 6890 <= ttl <= 6900  # 7200 s minus the 5-minute margin


async def test_rejected_token_is_replaced_once_without_stampede(
    make_client: ClientFactory, state: FakeWeChatState
) -> None:
    first, second = make_client(), make_client()
    await first.get_tags()
    old_token = state.calls_to("tags/get")[0].query["access_token"]
    # 20 calls are in flight with the old token when it gets revoked (e.g. a force_refresh elsewhere),
    # so all 20 are rejected at once and race to replace it.
    state.delay_next("tags/get", 0.3, count=20)
    state.delay_next("stable_token", 0.1)
    in_flight = asyncio.gather(*(client.get_tags() for client in [first, second] * 10))
    deadline = asyncio.get_running_loop().time() + 10
    while len(state.calls_to("tags/get")) < 21:  # all 20 reached the fake (it records before its delay)
        assert asyncio.get_running_loop().time() < deadline, "the 20 calls did not reach the fake within 10 s"
        await asyncio.sleep(0.01)
    state.revoke_tokens()
    await in_flight
    bodies = stable_calls(state)
    assert len(bodies) == 2
    assert all(body["force_refresh"] is False for body in bodies)
    calls = state.calls_to("tags/get")
    assert len([c for c in calls if c.query["access_token"] == old_token]) == 21
    assert len({c.query["access_token"] for c in calls}) == 2


async def test_compare_and_delete_keeps_a_newer_token(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    current = await client.access_token()
    assert await client.invalidate_access_token("some-older-token") is False
    assert await client.access_token() == current
    assert await client.invalidate_access_token(current) is True


async def test_force_refresh_only_when_wechat_hands_back_the_rejected_token(
    make_client: ClientFactory, state: FakeWeChatState
) -> None:
    client = make_client()
    before = await client.access_token()
    # WeChat says 40001 for a token stable_token (normal mode) still returns: only a forced refresh helps.
    state.fail_next("tags/get", errcode=40001)
    await client.get_tags()
    bodies = stable_calls(state)
    assert [body["force_refresh"] for body in bodies] == [False, False, True]
    assert await client.access_token() != before


async def test_token_error_twice_is_raised_not_looped(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    state.fail_next("tags/get", errcode=42001, count=2)
    with pytest.raises(WeChatApiError) as caught:
        await client.get_tags()
    assert caught.value.errcode == 42001 and caught.value.transient
    assert len(state.calls_to("tags/get")) == 2


async def test_bad_secret_is_permanent_and_releases_the_lock(
    make_client: ClientFactory, state: FakeWeChatState
) -> None:
    bad = make_client(secret="wrong-secret")
    for _ in range(2):  # a held lock would make the second attempt time out instead
        with pytest.raises(WeChatApiError) as caught:
            await asyncio.wait_for(bad.get_tags(), timeout=2)
        assert caught.value.errcode == 40125 and not caught.value.transient


async def test_token_ttl_shrinks_with_remaining_lifetime(
    make_client: ClientFactory, state: FakeWeChatState, clock: ManualClock, redis: Redis
) -> None:
    client = make_client()
    await client.access_token()
    await client.invalidate_access_token(await client.access_token())
    clock.advance(seconds=5000)  # stable_token now reports 2200 s left
    await client.access_token()
    assert 1890 <= await redis.ttl(client.token_key) <= 1900


# --- errors and their classification --------------------------------------------------------------


@pytest.mark.parametrize(
    ("errcode", "transient"),
    [
        (-1, True),
        (45011, True),
        (45009, True),
        (45015, False),
        (45047, False),
        (40003, False),
        (43004, False),
    ],
)
async def test_errors_are_classified_and_not_retried(
    make_client: ClientFactory, state: FakeWeChatState, errcode: int, transient: bool
) -> None:
    client = make_client()
    state.interact("oE")
    state.fail_next("message/custom/send", errcode=errcode)
    with pytest.raises(WeChatApiError) as caught:
        await client.send_custom_text("oE", "您好")
    assert (caught.value.errcode, caught.value.transient) == (errcode, transient)
    assert len(state.calls_to("message/custom/send")) == 1


async def test_real_window_and_cap_errors(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    state.add_follower("oW")
    with pytest.raises(WeChatApiError) as closed:
        await client.send_custom_text("oW", "在吗")
    assert closed.value.errcode == 45015 and not closed.value.transient
    state.interact("oW")
    for i in range(5):
        await client.send_custom_text("oW", f"回复{i}")
    with pytest.raises(WeChatApiError) as capped:
        await client.send_custom_text("oW", "第六条")
    assert capped.value.errcode == 45047
    assert [m.text for m in state.custom_messages("oW")] == [f"回复{i}" for i in range(5)]
    sent = state.calls_to("message/custom/send")[0]
    assert sent.json == {"touser": "oW", "msgtype": "text", "text": {"content": "在吗"}}


async def test_http_500_and_timeout_are_transient(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client(request_timeout=0.2)
    await client.access_token()
    state.fail_next("tags/get", http_status=500)
    with pytest.raises(WeChatTransportError) as server_error:
        await client.get_tags()
    assert server_error.value.http_status == 500 and server_error.value.transient
    state.delay_next("tags/get", 1.0)
    with pytest.raises(WeChatTransportError) as timeout:
        await client.get_tags()
    assert timeout.value.transient and "timeout" in timeout.value.errmsg


# --- API calls ------------------------------------------------------------------------------------


async def test_template_send(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    state.add_follower("oT")
    msgid = await client.send_template(
        "oT",
        "TPL_FAKE_STAFF",
        {"thing1": "工单已受理", "time2": {"value": "2025年2月1日 09:30", "color": "#173177"}},
    )
    sent = state.templates_sent[-1]
    assert (sent.msgid, sent.openid) == (msgid, "oT")
    assert sent.data == {
        "thing1": {"value": "工单已受理"},
        "time2": {"value": "2025年2月1日 09:30", "color": "#173177"},
    }
    with pytest.raises(WeChatApiError) as caught:
        await client.send_template("oT", "TPL_UNKNOWN", {"thing1": "x"})
    assert caught.value.errcode == 40037


async def test_mass_send_all_is_idempotent(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    state.add_followers(["o1", "o2"])
    payload = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "中秋快乐"}}
    msg_id = await client.mass_send_all(payload, "mid-autumn-2025")
    assert await client.mass_send_all(payload, "mid-autumn-2025") == msg_id
    assert len(state.mass_jobs) == 1
    assert await client.mass_get(msg_id) == "SEND_SUCCESS"
    with pytest.raises(WeChatApiError) as caught:
        await client.mass_send_all(payload, "another-one-today")
    assert caught.value.errcode == 45028 and not caught.value.transient
    preview_id = await client.mass_preview("o1", {"msgtype": "text", "text": {"content": "预览"}})
    assert isinstance(preview_id, int) and state.previews[-1].openid == "o1"


async def test_followers_and_tags_page_through(make_client: ClientFactory, state: FakeWeChatState) -> None:
    client = make_client()
    state.page_size = 2
    openids = [f"o{i:03d}" for i in range(120)]
    state.add_followers(openids)
    assert await client.get_followers() == openids
    assert len(state.calls_to("user/get")) == 61  # 60 full pages and the empty one WeChat ends with
    tag_id = await client.create_tag("东南亚")
    await client.tag_users(tag_id, openids[:101])
    assert len(state.calls_to("tags/members/batchtagging")) == 3
    assert await client.get_tag_users(tag_id) == openids[:101]
    assert await client.get_user_tag_ids("o000") == [tag_id]
    assert {"id": tag_id, "name": "东南亚", "count": 101} in await client.get_tags()
