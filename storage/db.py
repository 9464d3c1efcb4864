"""Engines and sessions. One URL in settings serves both the async web path and the sync CLI."""

from __future__ import annotations

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


def create_sync_engine(url: str) -> Engine:
    url = sync_url(url)
    _ensure_sqlite_dir(url)
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def create_db_engine(url: str) -> AsyncEngine:
    url = async_url(url)
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
    else:
        # No pre-ping: it is a round trip on every checkout, i.e. on every message that touches the database. A
        # connection broken by a server restart fails its first statement instead, which invalidates the pool;
        # that message is answered as in an outage (bot.outage) and the next ones get fresh connections.
        engine = create_async_engine(url, pool_size=10, max_overflow=20)
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
