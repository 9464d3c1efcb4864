"""A PostgreSQL host that never answers fails a connect within the configured timeout (``storage.db``) instead
of holding it, and every request waiting on it, for minutes."""

from __future__ import annotations

import asyncio
import threading
import time

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
