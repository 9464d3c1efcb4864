"""The supervisors' greeting page: staff may look, supervisors edit, preview and approve (with CSRF)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.greetings.helpers import FESTIVAL_DAY

pytestmark = pytest.mark.asyncio
PASSWORD = "correct horse battery"


async def _client(app, username: str) -> tuple[httpx.AsyncClient, str]:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    form = await http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    await http.post(
        "/console/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": ""},
    )
    page = await http.get("/console/greetings")
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return http, csrf.group(1) if csrf else ""


async def test_supervisor_edits_previews_and_approves(make_greetings, fake_wechat) -> None:
    from bot.app import create_app
    from staff.accounts import create_staff

    services, greetings = await make_greetings()
    fake_wechat.add_follower("o_sam")
    async with services.sessions() as session:
        create_staff(session, "alice", PASSWORD, "staff", display_name="Alice")
        create_staff(session, "sam", PASSWORD, "supervisor", display_name="Sam")
        await session.commit()
    campaign_id, _ = await greetings.create_draft("测试节", FESTIVAL_DAY, text_hans="快乐<b>", text_hant="快樂")
    app = create_app(services=services, run_jobs=False)  # the console, greetings pages included

    alice, alice_csrf = await _client(app, "alice")
    page = await alice.get("/console/greetings")
    assert "测试节" in page.text and "草稿" in page.text and "快乐&lt;b&gt;" in page.text
    assert "审批通过" not in page.text  # staff cannot act
    refused = await alice.post(f"/console/greetings/{campaign_id}/approve", data={"csrf_token": alice_csrf})
    assert refused.status_code == 403, refused.text

    sam, csrf = await _client(app, "sam")
    assert (await sam.post(f"/console/greetings/{campaign_id}/approve", data={})).status_code == 403  # no CSRF
    edited = await sam.post(
        f"/console/greetings/{campaign_id}/edit",
        data={"csrf_token": csrf, "text_hans": "新春快乐", "text_hant": "新春快樂"},
    )
    assert edited.status_code == 303
    previewed = await sam.post(
        f"/console/greetings/{campaign_id}/preview",
        data={"csrf_token": csrf, "openid": "o_sam", "script": "hant"},
    )
    assert previewed.status_code == 303 and fake_wechat.previews[0].payload["text"]["content"] == "新春快樂"
    approved = await sam.post(f"/console/greetings/{campaign_id}/approve", data={"csrf_token": csrf})
    assert approved.status_code == 303
    view = await greetings.get(campaign_id)
    assert view.summary == "pending" and view.campaign.approved_by == "Sam"
    page = await sam.get("/console/greetings")
    assert "待发送" in page.text and "Sam 审批" in page.text
    await alice.aclose()
    await sam.aclose()


async def test_with_redis_out_a_preview_is_refused_at_once_and_the_page_loads(make_greetings, fake_wechat) -> None:
    """A preview goes through WeChat with the access token every process shares in Redis: with Redis marked down
    (as after a first timeout) the guarded client fails at once and the console answers 503 saying so, not 500."""
    import time

    from bot.app import create_app
    from staff.accounts import create_staff

    services, greetings = await make_greetings()
    fake_wechat.add_follower("o_sam")
    async with services.sessions() as session:
        create_staff(session, "sam", PASSWORD, "supervisor", display_name="Sam")
        await session.commit()
    campaign_id, _ = await greetings.create_draft("测试节", FESTIVAL_DAY, text_hans="快乐", text_hant="快樂")
    app = create_app(services=services, run_jobs=False)
    sam, csrf = await _client(app, "sam")

    async def still_out() -> None:
        raise ConnectionError("test: Redis still does not answer")

    services.health.probes["redis"] = still_out
    services.health.start()  # the monitor runs, and keeps finding Redis out
    services.health.mark_down("redis", "test: Redis did not answer")
    started = time.monotonic()
    previewed = await sam.post(
        f"/console/greetings/{campaign_id}/preview", data={"csrf_token": csrf, "openid": "o_sam", "script": "hans"}
    )
    assert previewed.status_code == 503 and "Redis 暂时不可用" in previewed.text
    assert "先查看结果" in previewed.text  # it may come after a commit: staff check before they retry
    assert time.monotonic() - started < 0.5 and not fake_wechat.previews
    page = await sam.get("/console/greetings")
    assert page.status_code == 200 and "测试节" in page.text and 'id="degraded"' in page.text
    api = await sam.get("/api/session")
    assert api.status_code == 200
    await sam.aclose()
