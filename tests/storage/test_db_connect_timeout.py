"""A PostgreSQL host that never answers fails a connect within the configured timeout (``storage.db``) instead
of holding it, and every request waiting on it, for minutes. On the async engine (the one that serves requests)
the timeout bounds the whole connect: name resolution and every address psycopg tries, not each attempt."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import create_db_engine, create_sync_engine
from tests.outage.faults import silent_port


@pytest.mark.asyncio
async def test_an_async_connect_to_a_silent_host_fails_within_the_timeout() -> None:
    engine = create_db_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent_port()}/qiaobot", connect_timeout=2)
    started = time.monotonic()
    try:
        # The outer bound only turns a regression (no timeout: a hang) into a failure instead of a stuck run.
        async with asyncio.timeout(20):
            with pytest.raises(OperationalError):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert 1.5 <= time.monotonic() - started < 4.5


def _silent_hosts(count: int) -> str:
    """A URL whose connect has ``count`` addresses to try, each a port that accepts and never answers: what a
    host name with IPv4 and IPv6 addresses behind a firewall that drops packets gives psycopg (it tries each
    address in turn, each with the whole libpq connect_timeout). Written as SQLAlchemy's multi-host form, which
    psycopg splits into the same attempts, as no test can add a name with several addresses to the resolver."""
    hosts = "&".join(f"host=127.0.0.1:{silent_port()}" for _ in range(count))
    return f"postgresql+psycopg://postgres@/qiaobot?{hosts}"


async def _connect_failure(engine: Any) -> tuple[float, str]:
    """Seconds until a connect fails, and its error."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(20):  # a regression (no bound at all) fails instead of hanging the run
            with pytest.raises(OperationalError) as error:
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    return time.monotonic() - started, str(error.value)


@pytest.mark.asyncio
async def test_an_async_connect_trying_several_silent_addresses_fails_within_the_timeout_in_all() -> None:
    """Three silent addresses at 2 s each: 6 s without a bound on the whole connect (past the 4 s passive-reply
    budget), 2 s with it."""
    elapsed, error = await _connect_failure(create_db_engine(_silent_hosts(3), connect_timeout=2))
    assert 1.5 <= elapsed < 3.5
    assert "connection not established in 2 s" in error


@pytest.mark.asyncio
async def test_an_async_connect_whose_name_never_resolves_fails_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A DNS server that does not answer: psycopg resolves the host with the loop's getaddrinfo, which has no
    timeout of its own (the system resolver's retries), so here it never returns."""
    loop = asyncio.get_running_loop()
    never = asyncio.Event()
    looked_up: list[str] = []

    async def unanswered_lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        await never.wait()

    monkeypatch.setattr(loop, "getaddrinfo", unanswered_lookup)
    engine = create_db_engine("postgresql+psycopg://postgres@db.qiaobot.invalid/qiaobot", connect_timeout=2)
    elapsed, error = await _connect_failure(engine)
    assert looked_up == ["db.qiaobot.invalid"]
    assert 1.5 <= elapsed < 3.5
    assert "connection not established in 2 s" in error


@pytest.mark.asyncio
async def test_the_url_parameters_reach_the_connection(database_url: str) -> None:
    """The bounded connect builds its own connection arguments from the URL (an async_creator gets none from
    SQLAlchemy): a query parameter of the URL still reaches libpq."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only (QIAOBOT_TEST_BACKEND=server)")
    engine = create_db_engine(database_url + "?application_name=qiaobot-connect-test")
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SHOW application_name")) == "qiaobot-connect-test"
            assert await conn.scalar(text("SELECT current_database()")) == database_url.rsplit("/", 1)[1]
    finally:
        await engine.dispose()


def test_a_sync_connect_to_a_silent_host_fails_within_the_timeout() -> None:
    engine = create_sync_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent_port()}/qiaobot", connect_timeout=2)
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except BaseException as exc:  # handed to the test thread
            failures.append(exc)

    # A daemon thread: a regression (a hang) fails the test without keeping the test process from exiting.
    worker = threading.Thread(target=connect, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(20)
    elapsed = time.monotonic() - started
    engine.dispose()
    assert not worker.is_alive(), "the connect to a silent host did not give up"
    assert len(failures) == 1 and isinstance(failures[0], OperationalError), failures
    assert 1.5 <= elapsed < 4.5
