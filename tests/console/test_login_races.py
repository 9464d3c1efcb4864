"""Concurrent password guesses against the real app on a real socket: the throttle counts each attempt before
the password is checked, so a burst checks at most the free allowance and cannot slip the right password in.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from bot.app import create_app
from staff import accounts as staff_accounts
from tests.console.conftest import PASSWORD
from tests.net_faults import serve_asgi


class CountingVerify:
    """The real verification, counted (it runs in worker threads)."""

    def __init__(self) -> None:
        self.real = staff_accounts.verify_password
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.calls += 1
        time.sleep(0.02)  # as slow as a production argon2 verification, so the burst really overlaps
        return self.real(password_hash, password)


async def _login(http: httpx.AsyncClient, username: str, password: str) -> int:
    response = await http.post("/api/session", json={"username": username, "password": password})
    return response.status_code


async def test_concurrent_guesses_check_at_most_the_allowance(services, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    spy = CountingVerify()
    monkeypatch.setattr(staff_accounts, "verify_password", spy)
    app = create_app(services=services, run_jobs=False)
    limits = httpx.Limits(max_connections=100)
    async with (
        serve_asgi(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as http,
    ):
        statuses = await asyncio.gather(*(_login(http, "alice", f"guess {i}") for i in range(100)))
        assert set(statuses) == {401}
        assert spy.calls <= services.settings.login_free_failures, spy.calls

        # 39 wrong guesses in flight, then the right password: it must not get in. It is sent once the
        # allowance's worth of guesses are being checked (or all have been answered, as the old code did).
        spy.calls = 0
        allowance = services.settings.login_free_failures
        wrong = [asyncio.create_task(_login(http, "bob", f"guess {i}")) for i in range(39)]
        async with asyncio.timeout(30):
            while spy.calls < allowance and not all(task.done() for task in wrong):
                await asyncio.sleep(0.005)
        right = await _login(http, "bob", PASSWORD)
        assert set(await asyncio.gather(*wrong)) == {401}
        assert right == 401
        assert spy.calls <= services.settings.login_free_failures, spy.calls
