"""A slow or unreachable WeChat API never makes the worker say the same thing twice.

The fake WeChat API runs under uvicorn on a real socket behind a TCP proxy that holds its answers back past
the client's timeout: the request arrives (the fake records the message, as WeChat would deliver it), the
answer does not. Such a send has an unknown outcome and must end *uncertain* for staff, not be retried; a
send that provably never reached WeChat (connection refused, a 503 page, errcode -1) is retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.bootstrap import Services
from delivery.admin import confirm_delivery, requeue_delivery, retry_delivery
from delivery.service import text_payload
from jobs.worker import backoff
from storage.models import Delivery, MessageLog
from tests.net_faults import DelayingProxy, serve_asgi
from wechat.fake_api import FakeWeChatState, create_fake_wechat_app

CLIENT_TIMEOUT = 1.0
USERS = ["o_slow_1", "o_slow_2", "o_slow_3"]


class Supervisor:
    username = "sam"
    display_name = "Sam"
    role = "supervisor"

    def can(self, role: str) -> bool:
        return True


@pytest_asyncio.fixture
async def slow_wechat(make_services, fake_wechat: FakeWeChatState) -> AsyncIterator[tuple[Services, DelayingProxy]]:  # type: ignore[no-untyped-def]
    async with serve_asgi(create_fake_wechat_app(fake_wechat)) as port, DelayingProxy(port) as proxy:
        services = await make_services(
            http=httpx.AsyncClient(),
            wechat_api_base=f"http://127.0.0.1:{proxy.port}",
            wechat_api_timeout_seconds=CLIENT_TIMEOUT,
        )
        for openid in USERS:
            fake_wechat.interact(openid)
        await services.api.access_token()  # the token is fetched while WeChat is quick
        yield services, proxy


async def _add(services: Services, openid: str, text: str, **extra: Any) -> int:
    async with services.sessions() as session, session.begin():
        delivery = await services.deliveries.add(
            session,
            key=f"test:{openid}:{text}",
            openid=openid,
            payload=text_payload(openid, text),
            purpose="test",
            **extra,
        )
        delivery_id = delivery.id
    await services.deliveries.enqueue(delivery_id)
    return delivery_id


async def _rows(services: Services) -> dict[str, Delivery]:
    async with services.sessions() as session:
        return {row.openid + ":" + row.channel: row for row in (await session.scalars(select(Delivery))).all()}


def _received(fake: FakeWeChatState, openid: str) -> list[str]:
    return [str(message.text) for message in fake.custom_messages(openid)]


async def _run_jobs_until(services: Services, seconds: float) -> None:
    """Run the worker as production does for ``seconds`` (long enough for any retry it scheduled)."""
    worker = services.worker(poll_seconds=0.05)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await worker.run_once()
        await asyncio.sleep(0.05)


async def test_answer_late_past_the_timeout_is_sent_once_and_left_uncertain(
    slow_wechat: tuple[Services, DelayingProxy], fake_wechat: FakeWeChatState
) -> None:
    services, proxy = slow_wechat
    proxy.delay = CLIENT_TIMEOUT + 1.0
    for openid in USERS:
        await _add(services, openid, "您的问题已有答复")
    template = {"touser": USERS[0], "template_id": "TPL_FAKE_NOTICE", "data": {"thing2": {"value": "答复已就绪"}}}
    async with services.sessions() as session, session.begin():
        notice = await services.deliveries.add(
            session, key="test:notice", openid=USERS[0], payload=template, purpose="test", channel="template"
        )
        notice_id = notice.id
    await services.deliveries.enqueue(notice_id)

    # Long enough for the first attempts to time out, for their late answers to arrive, and for the retry
    # a transient error would schedule (backoff(1)) to run; sweeps would also re-enqueue pending rows.
    await _run_jobs_until(services, CLIENT_TIMEOUT + backoff(1) + 1.5)
    await services.deliveries.sweep(older_than=timedelta(0))
    await _run_jobs_until(services, 0.5)

    for openid in USERS:
        assert _received(fake_wechat, openid) == ["您的问题已有答复"], openid
    assert len(fake_wechat.templates_sent) == 1
    rows = await _rows(services)
    assert {key: (row.state, row.attempts) for key, row in rows.items()} == {
        **{f"{openid}:custom": ("uncertain", 1) for openid in USERS},
        f"{USERS[0]}:template": ("uncertain", 1),
    }
    assert all("outcome unknown" in row.last_error for row in rows.values())

    # Staff settle them deliberately: one confirmed as received (nothing sent), one resent on purpose.
    proxy.delay = 0
    confirmed, resent = rows[f"{USERS[0]}:custom"].id, rows[f"{USERS[1]}:custom"].id
    async with services.sessions() as session, session.begin():
        await confirm_delivery(services.deliveries, session, Supervisor(), confirmed, services.clock.now())  # type: ignore[arg-type]
        await retry_delivery(services.deliveries, session, Supervisor(), resent, services.clock.now())  # type: ignore[arg-type]
    await requeue_delivery(services.deliveries, services.queue, resent)
    await _run_jobs_until(services, 1.0)

    assert _received(fake_wechat, USERS[0]) == ["您的问题已有答复"]
    assert _received(fake_wechat, USERS[1]) == ["您的问题已有答复"] * 2  # a person chose to resend
    rows = await _rows(services)
    assert (
        rows[f"{USERS[0]}:custom"].state == "sent"
        and "confirmed delivered by sam" in rows[f"{USERS[0]}:custom"].last_error
    )
    assert rows[f"{USERS[1]}:custom"].state == "sent"
    assert rows[f"{USERS[2]}:custom"].state == "uncertain"
    async with services.sessions() as session:
        logged = (await session.scalars(select(MessageLog).where(MessageLog.openid == USERS[0]))).all()
    assert [(entry.meta or {}).get("confirmed_by") for entry in logged] == ["sam"]


async def test_refused_connection_is_retried_and_sent_once(
    slow_wechat: tuple[Services, DelayingProxy], fake_wechat: FakeWeChatState
) -> None:
    services, proxy = slow_wechat
    await proxy.refuse()
    delivery_id = await _add(services, USERS[0], "连接失败后重试")
    await _run_jobs_until(services, 0.3)
    async with services.sessions() as session:
        row = await session.get(Delivery, delivery_id)
        assert row is not None and (row.state, row.attempts) == ("pending", 1)
        assert "cannot connect" in row.last_error
    await proxy.accept()
    await _run_jobs_until(services, backoff(1) + 1.0)
    assert _received(fake_wechat, USERS[0]) == ["连接失败后重试"]
    async with services.sessions() as session:
        row = await session.get(Delivery, delivery_id)
        assert row is not None and (row.state, row.attempts) == ("sent", 2)


@pytest.mark.parametrize(
    ("fault", "final_state", "attempts"),
    [
        ({"http_status": 503}, "sent", 2),  # the front end refused it: retried
        ({"errcode": -1}, "sent", 2),  # WeChat "system busy": retried
        ({"http_status": 504}, "uncertain", 1),  # a gateway gave up waiting: the API may have acted
    ],
)
async def test_refusals_are_retried_and_gateway_timeouts_are_not(
    slow_wechat: tuple[Services, DelayingProxy],
    fake_wechat: FakeWeChatState,
    fault: dict[str, int],
    final_state: str,
    attempts: int,
) -> None:
    services, _ = slow_wechat
    fake_wechat.fail_next("message/custom/send", **{"errcode": None, **fault})  # type: ignore[arg-type]
    delivery_id = await _add(services, USERS[0], "稍后再试")
    await _run_jobs_until(services, backoff(1) + 1.0)
    async with services.sessions() as session:
        row = await session.get(Delivery, delivery_id)
        assert row is not None and (row.state, row.attempts) == (final_state, attempts)
    assert len(fake_wechat.calls_to("message/custom/send")) == attempts
