"""Fixtures shared by the WeChat edge tests: a fake WeChat API on a manual clock, reached in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from wechat.fake_api import FakeWeChatState, create_fake_wechat_app
from wechat.fake_clock import ManualClock

FAKE_BASE_URL = "https://api.weixin.qq.com"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> FakeWeChatState:
    return FakeWeChatState(clock=clock)


@pytest_asyncio.fixture
async def http(state: FakeWeChatState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_fake_wechat_app(state))
    async with httpx.AsyncClient(transport=transport, base_url=FAKE_BASE_URL) as client:
        yield client
