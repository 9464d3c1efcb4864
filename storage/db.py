"""Engines and sessions. One URL in settings serves both the async web path and the sync CLI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def async_url(url: str) -> str:
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    return url


def sync_url(url: str) -> str:
    if url.startswith("sqlite+aiosqlite:"):
        return "sqlite:" + url[len("sqlite+aiosqlite:") :]
    return url


def _tune_sqlite(dbapi_connection: object, _record: object) -> None:
    # WAL lets the web process read while a worker writes; busy_timeout waits for a lock instead of
    # failing with "database is locked" when two processes write at once.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# Seconds a PostgreSQL connection may take to establish (``Settings.database_connect_timeout_seconds``).
DEFAULT_CONNECT_TIMEOUT_S = 3


def _connect_args(url: str, connect_timeout: int) -> dict[str, Any]:
    """libpq's ``connect_timeout`` (psycopg applies it to the whole connect, async too): without it a host that
    drops packets holds a connect for the kernel's SYN retries (minutes), and with it every request that
    needs a connection. libpq reads whole seconds and treats 1 as 2."""
    if url.startswith("sqlite"):
        return {}
    return {"connect_timeout": max(2, int(connect_timeout))}


def create_sync_engine(url: str, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S) -> Engine:
    url = sync_url(url)
    _ensure_sqlite_dir(url)
    engine = create_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), connect_args=_connect_args(url, connect_timeout)
    )
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def create_db_engine(url: str, connect_timeout: int = DEFAULT_CONNECT_TIMEOUT_S) -> AsyncEngine:
    url = async_url(url)
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    else:
        # No pre-ping: it is a round trip on every checkout, i.e. on every message that touches the database. A
        # connection broken by a server restart fails its first statement instead, which invalidates the pool;
        # that message is answered as in an outage (bot.outage) and the next ones get fresh connections.
        engine = create_async_engine(
            url, pool_size=10, max_overflow=20, connect_args=_connect_args(url, connect_timeout)
        )
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
