"""Console fixtures: services on the fake WeChat's manual clock (one time source for both), the app with the
console router, staff accounts, logged-in clients and tickets made directly in the database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from faq.kb import load_kb
from faq.store import replace_entries
from staff.accounts import create_staff
from storage.models import Follower
from tickets.models import Ticket, TicketMessage

PASSWORD = "correct horse battery"
KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same argon2id, lighter parameters: the suite logs in dozens of times and must stay fast."""
    from argon2 import PasswordHasher

    import staff.passwords

    monkeypatch.setattr(staff.passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest_asyncio.fixture
async def services(make_services, fake_clock):
    svc = await make_services(clock=fake_clock)  # one time for the services and the fake WeChat
    replace_entries(load_kb(KB_SMALL), url=svc.settings.database_url)  # the FAQ actions edit the stored KB
    await svc.knowledge.refresh()
    return svc


def with_console(app):
    """The app includes the console itself (bot/app.py); kept so the tests read as before."""
    return app


@pytest_asyncio.fixture
async def app(services):
    from bot.app import create_app

    return with_console(create_app(services=services, run_jobs=False))


@pytest_asyncio.fixture
async def staff(services):
    """Three accounts: alice (staff), bob (staff), sam (supervisor)."""
    async with services.sessions() as session:
        for username, role in (("alice", "staff"), ("bob", "staff"), ("sam", "supervisor")):
            create_staff(session, username, PASSWORD, role, display_name=username.title())
        await session.commit()
    return ("alice", "bob", "sam")


@dataclass
class Staffer:
    http: httpx.AsyncClient
    csrf: str

    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}


@pytest_asyncio.fixture
async def login(app, staff) -> AsyncIterator[Callable[..., Any]]:
    """``await login("alice")`` → a client with its own cookie jar, logged in through the API."""
    clients: list[httpx.AsyncClient] = []

    async def make(username: str, password: str = PASSWORD) -> Staffer:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(http)
        response = await http.post("/api/session", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return Staffer(http, response.json()["csrf_token"])

    yield make
    for http in clients:
        await http.aclose()


async def page_login(http: httpx.AsyncClient, username: str, password: str, next_url: str = "") -> httpx.Response:
    """Log in through the HTML form, as a browser does (login CSRF cookie + hidden field)."""
    form = await http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return await http.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1), "next": next_url},
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@pytest_asyncio.fixture
async def make_ticket(services):
    """Insert a ticket (and its first user message) as the desk would have stored it."""
    counter = iter(range(1, 10000))

    async def make(
        question: str = "请问海外子女回国读书需要什么材料？",
        *,
        state: str = "open",
        category: str | None = "教育",
        assignee: str | None = None,
        created: datetime | None = None,
        due: datetime | None = None,
        openid: str | None = None,
        first_answered: datetime | None = None,
        answer: str | None = None,
        interacted: datetime | None = None,
    ) -> Ticket:
        now = services.clock.now()
        n = next(counter)
        created = created or now - timedelta(hours=1)
        openid = openid or f"o_user_{n:04d}"
        async with services.sessions() as session:
            if await session.get(Follower, openid) is None:
                session.add(
                    Follower(
                        openid=openid,
                        subscribed=True,
                        last_interaction_at=interacted or created,
                        script="hans",
                        created_at=created,
                    )
                )
            ticket = Ticket(
                number=f"Q{created:%Y%m%d}-{n:04d}",
                openid=openid,
                source_key=f"test:{n}",
                state=state,
                category=category,
                question=question,
                script="hans",
                assignee=assignee,
                created_at=created,
                due_at=due or created + timedelta(days=2),
                due_provisional=False,
                answer=answer,
                answered_by="sam" if answer else None,
                answered_at=first_answered,
                first_answered_at=first_answered,
                answer_delivery="none",
                reopen_count=0,
            )
            session.add(ticket)
            await session.flush()
            session.add(
                TicketMessage(ticket_id=ticket.id, kind="user", author=openid, body=question, created_at=created)
            )
            await session.commit()
            return ticket

    return make
