"""The simulator's API as its page uses it: problems in words, previews beside customer-service messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio


@pytest_asyncio.fixture
async def simulator(services) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:  # type: ignore[no-untyped-def]
    """The app as `make run` builds it: the fake WeChat mounted beside it, and the simulator."""
    from bot.app import create_app

    cfg = services.settings.model_copy(update={"wechat_api_base": "http://testserver/fake-wechat"})
    app = create_app(cfg, services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http, app.app.state.fake_wechat  # the FastAPI app inside the webhook fast path


async def test_a_short_openid_is_a_sentence_not_pydantic_json(simulator: tuple[httpx.AsyncClient, Any]) -> None:
    client, _ = simulator
    response = await client.post("/simulator/api/send", json={"openid": "abc", "text": "你好"})
    assert response.status_code == 422
    assert response.json() == {"ok": False, "error": "openid 须为 6–64 个字母、数字、下划线或连字符"}
    both = await client.post("/simulator/api/send", json={"openid": "a b", "text": "x" * 5000})
    assert both.json()["error"] == "openid 须为 6–64 个字母、数字、下划线或连字符；消息最长 4000 字"
    broken = await client.post("/simulator/api/send", content=b"not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "请求格式不对"


async def test_previews_reach_the_simulated_phone(simulator: tuple[httpx.AsyncClient, Any]) -> None:
    client, fake = simulator
    fake.interact("opreview01")
    sent = fake.mass_preview({"touser": "opreview01", "msgtype": "text", "text": {"content": "新春快乐"}})
    assert sent["errcode"] == 0
    pushed = (await client.get("/simulator/api/pushed", params={"openid": "opreview01"})).json()["messages"]
    assert [(m["kind"], m["text"]) for m in pushed] == [("preview", "新春快乐")]
    later = await client.get("/simulator/api/pushed", params={"openid": "opreview01", "after": pushed[0]["seq"]})
    assert later.json()["messages"] == []
    assert (await client.get("/simulator/api/pushed", params={"openid": "someone-else"})).json()["messages"] == []
