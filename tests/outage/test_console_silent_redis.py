"""The console while Redis accepts connections and never answers (a hung redis-server, or a proxy dropping every
byte): a staff member's round of pages costs one ``redis_timeout_seconds`` in all, not one per Redis call; each
page says Redis is down; what is committed is kept for when it is back; logins work and stay throttled; and
once Redis answers again everything is as before, without a restart (the guesses made meanwhile still count).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.bootstrap import Services
from staff.accounts import create_staff
from storage.models import Delivery, Follower
from tests.outage.faults import SilentRedis
from tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.asyncio

# Above the default (1 s), so that a busy machine's CPU time cannot pass for a wait on Redis: the pages' own work
# is well under a second in all, and what is measured is how many of them wait for the timeout (one).
TIMEOUT_S = 2.0
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same argon2id, lighter parameters: the test logs in a dozen times."""
    from argon2 import PasswordHasher

    import staff.passwords

    monkeypatch.setattr(staff.passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest_asyncio.fixture
async def console(make_services, silent_redis: SilentRedis) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:  # type: ignore[no-untyped-def]
    from bot.app import create_app

    services = await make_services(redis_url=silent_redis.url, redis_timeout_seconds=TIMEOUT_S)
    await services.start(run_jobs=False)  # with the health monitor, which probes every second while Redis is out
    now = services.clock.now()
    async with services.sessions() as session:
        for username, role in (("alice", "staff"), ("bob", "staff"), ("sam", "supervisor")):
            create_staff(session, username, PASSWORD, role, display_name=username.title())
        session.add(Follower(openid="o_user", subscribed=True, last_interaction_at=now, script="hans", created_at=now))
        ticket = Ticket(
            number="Q20261201-0001", openid="o_user", source_key="test:1", state="open", category="教育",
            question="请问海外子女回国读书需要什么材料？", script="hans", created_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=2), due_provisional=False, answer_delivery="none", reopen_count=0,
        )
        session.add(ticket)
        await session.flush()
        session.add(TicketMessage(ticket_id=ticket.id, kind="user", author="o_user", body=ticket.question,
                                  created_at=now - timedelta(hours=1)))
        await session.commit()
    app = create_app(services=services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield services, http


def _client(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser (its own cookies) on the same app."""
    return httpx.AsyncClient(transport=http._transport, base_url="http://testserver")


async def _page_login(http: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    form = await http.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return await http.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _redis_row(html: str) -> str:
    row = re.search(r"<td>Redis[^<]*</td>\s*<td>([^<]+)</td>", html)
    assert row is not None, html
    return row.group(1)


class Timed:
    """Each call's time, with a bound on every one (a hang fails instead of stalling the run)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []

    async def __call__(self, label: str, request: object) -> httpx.Response:
        started = time.monotonic()
        async with asyncio.timeout(20):
            response: httpx.Response = await request  # type: ignore[misc]
        self.calls.append((label, time.monotonic() - started))
        return response

    @property
    def total(self) -> float:
        return sum(elapsed for _, elapsed in self.calls)


async def test_console_pages_through_a_silent_redis_cost_one_timeout_in_all(  # type: ignore[no-untyped-def]
    console, silent_redis: SilentRedis
) -> None:
    services, http = console
    assert (await _page_login(http, "sam", PASSWORD)).status_code == 303  # logged in before: the session is kept
    ticket_page = await http.get("/console/tickets/Q20261201-0001")
    assert ticket_page.status_code == 200
    csrf = _csrf(ticket_page.text)
    version = re.search(r'name="version" value="(\d+)"', ticket_page.text)
    assert version is not None
    # The round once with Redis answering, as staff have seen these pages all day: first-use costs (templates,
    # SQL compiled once per process) are not what is measured.
    for path in ("/console/tickets", "/console/health", "/console/deliveries", "/api/notices"):
        assert (await http.get(path)).status_code == 200
    async with _client(http) as bob:
        assert (await _page_login(bob, "bob", PASSWORD)).status_code == 303
        assert (await bob.get("/console/tickets")).status_code == 200

    silent_redis.silence()
    timed = Timed()
    queue = await timed("queue", http.get("/console/tickets"))
    assert queue.status_code == 200 and "Q20261201-0001" in queue.text
    health = await timed("health", http.get("/console/health"))
    assert health.status_code == 200
    assert _redis_row(health.text) == "不可用"  # found silent by this very page, and said so on it
    assert services.health.redis_down
    ticket = await timed("ticket", http.get("/console/tickets/Q20261201-0001"))
    assert ticket.status_code == 200 and 'id="degraded"' in ticket.text and "Redis 恢复后发给用户" in ticket.text
    answered = await timed(
        "answer",
        http.post(
            "/console/tickets/Q20261201-0001/answer",
            data={"csrf_token": csrf, "answer": "需要护照、户口簿和学籍证明。", "version": version.group(1)},
        ),
    )
    assert answered.status_code == 303, answered.text  # saved; its delivery waits for Redis
    deliveries = await timed("deliveries", http.get("/console/deliveries"))
    assert deliveries.status_code == 200 and 'id="failed-jobs-unavailable"' in deliveries.text
    retried = await timed("job retry", http.post("/console/jobs/retry", data={"csrf_token": csrf, "job_id": "x:1"}))
    assert retried.status_code == 503 and "Redis 暂时不可用" in retried.text  # the failed jobs are in Redis
    notices = await timed("notices", http.get("/api/notices"))
    assert notices.status_code == 200
    async with _client(http) as alice:  # a colleague logs in meanwhile: the throttle counts in memory
        login = await timed("login", _page_login(alice, "alice", PASSWORD))
        assert login.status_code == 303, login.text
        queue_alice = await timed("queue (alice)", alice.get("/console/tickets"))
        assert queue_alice.status_code == 200 and "Alice" in queue_alice.text
    assert timed.total < 1.5 * TIMEOUT_S, f"{timed.total:.2f} s in all: {timed.calls}"
    assert [label for label, elapsed in timed.calls if elapsed >= TIMEOUT_S / 2] == ["health"], timed.calls

    async with services.sessions() as session:
        stored = await session.scalar(select(Ticket).where(Ticket.number == "Q20261201-0001"))
        assert stored is not None and stored.state == "answered"
        delivery = (await session.scalars(select(Delivery).where(Delivery.ref == stored.number))).one()
        assert delivery.state == "pending"

    # Password guessing is not opened by the outage: the free failures, then a wait, the right password included.
    async with _client(http) as guesser:
        allowance = services.settings.login_free_failures
        for attempt in range(allowance + 1):
            started = time.monotonic()
            wrong = await _page_login(guesser, "bob", f"guess {attempt}")
            assert wrong.status_code == 401 and time.monotonic() - started < TIMEOUT_S / 2
        assert (await _page_login(guesser, "bob", PASSWORD)).status_code == 401

    silent_redis.restore()
    async with asyncio.timeout(20):  # the monitor's probe finds Redis back; nothing restarts
        while services.health.redis_down:
            await asyncio.sleep(0.05)
    health = await http.get("/console/health")
    assert _redis_row(health.text) == "正常" and 'id="degraded"' not in health.text
    deliveries = await http.get("/console/deliveries")
    assert deliveries.status_code == 200 and 'id="failed-jobs-unavailable"' not in deliveries.text
    assert await services.queue.get(f"delivery:{delivery.id}") is None  # its enqueue never reached Redis
    assert await services.deliveries.sweep(older_than=timedelta(0)) == 1  # the sweeper gives it its job now
    assert await services.queue.get(f"delivery:{delivery.id}") is not None
    async with _client(http) as again:  # logins as before; the guesses made meanwhile still count for bob
        assert (await _page_login(again, "alice", PASSWORD)).status_code == 303
        assert (await _page_login(again, "bob", PASSWORD)).status_code == 401
