"""A mass send answered after the client's timeout greets everyone once: unlike customer-service and template
sends it carries our clientmsgid, so the retry gets WeChat's 45065 with the job it already made.

The fake WeChat API runs on a real socket behind a TCP proxy that holds its answers back (tests.net_faults).
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from greetings.models import GreetingSend
from tests.greetings.helpers import SEND_AT, approved_campaign, drain
from tests.net_faults import DelayingProxy, serve_asgi
from wechat.fake_api import create_fake_wechat_app

CLIENT_TIMEOUT = 1.0


async def _send(services) -> GreetingSend:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        (send,) = (await session.scalars(select(GreetingSend))).all()
        return send


async def test_a_mass_send_answered_too_late_is_retried_and_greets_once(
    make_services, fake_wechat, fake_clock, greeting_config
) -> None:  # type: ignore[no-untyped-def]
    fake_wechat.add_followers(["o1", "o2"])
    async with serve_asgi(create_fake_wechat_app(fake_wechat)) as port, DelayingProxy(port) as proxy:
        services = await make_services(
            clock=fake_clock,
            http=httpx.AsyncClient(),
            wechat_api_base=f"http://127.0.0.1:{proxy.port}",
            wechat_api_timeout_seconds=CLIENT_TIMEOUT,
            greeting_config=greeting_config,
        )
        greetings = services.greetings
        await approved_campaign(greetings)
        fake_clock.set(SEND_AT)
        await services.api.access_token()  # fetched while WeChat is quick (and valid at the send time)
        proxy.delay = CLIENT_TIMEOUT + 1.0
        await greetings.sweep()
        await drain(services)
        send = await _send(services)
        assert send.state == "retrying"  # the outcome is unknown, and a repeat is safe
        assert len(fake_wechat.mass_jobs) == 1  # it did reach WeChat
        await asyncio.sleep(1.5)  # the late answer is gone
        proxy.delay = 0
        fake_clock.advance(minutes=2)
        await greetings.sweep()
        await drain(services)
        send = await _send(services)
        (job_id,) = fake_wechat.mass_jobs
        assert (send.state, send.msg_id) == ("submitted", job_id)  # 45065 named the job it already had
        assert len(fake_wechat.mass_jobs) == 1
        assert len(fake_wechat.calls_to("message/mass/sendall")) == 2
