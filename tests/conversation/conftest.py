"""Conversation fixtures: the shipped KB (config/faq.yaml, what a new user meets), services on the fake
WeChat's manual clock, simulated users talking to the webhook, and a logged-in console page client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.simulated_user import SimulatedUser
from faq.kb import load_kb
from faq.store import replace_entries
from staff.accounts import create_staff
from tests.conftest import TEST_AES_KEY, TEST_APPID, TEST_TOKEN
from tests.console.conftest import PASSWORD, page_login
from tickets.models import Ticket, TicketMessage


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    import staff.passwords

    monkeypatch.setattr(staff.passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest_asyncio.fixture
async def services(make_services, fake_clock):  # type: ignore[no-untyped-def]
    from config.settings import CONFIG_DIR

    svc = await make_services(clock=fake_clock)  # one time for the services and the fake WeChat
    replace_entries(load_kb(CONFIG_DIR / "faq.yaml"), url=svc.settings.database_url)
    await svc.knowledge.refresh()
    return svc


@pytest_asyncio.fixture
async def app(services):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    return create_app(services=services, run_jobs=False)


@pytest_asyncio.fixture
async def http(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


@pytest.fixture
def new_user(http, fake_wechat) -> Callable[..., SimulatedUser]:  # type: ignore[no-untyped-def]
    """A follower nobody has seen before, talking to the webhook exactly as WeChat would."""

    def make(openid: str | None = None) -> SimulatedUser:
        user = SimulatedUser(
            http=http, token=TEST_TOKEN, appid=TEST_APPID, aes_key=TEST_AES_KEY, interact=fake_wechat.interact
        )
        if openid:
            user.openid = openid
        return user

    return make


@pytest_asyncio.fixture
async def console(app, services) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """A staff member logged in to the console pages through the login form."""
    async with services.sessions() as session:
        create_staff(session, "alice", PASSWORD, "staff", display_name="Alice")
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await page_login(client, "alice", PASSWORD)
        assert response.status_code in (200, 303), response.text
        yield client


async def tickets_of(services: Any, openid: str) -> list[Ticket]:
    async with services.sessions() as session:
        return list((await session.scalars(select(Ticket).where(Ticket.openid == openid).order_by(Ticket.id))).all())


async def messages_of(services: Any, ticket: Ticket) -> list[TicketMessage]:
    async with services.sessions() as session:
        found = await session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
        )
        return list(found.all())
