"""Engines and sessions. One URL in settings serves both the async web path and the sync CLI."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import psycopg
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
DEFAULT_CONNECT_TIMEOUT_S = 3.0


def _connect_args(url: str, connect_timeout: float) -> dict[str, Any]:
    """libpq's ``connect_timeout``: it bounds one connection attempt, so without it an attempt on a host that
    drops packets waits for the kernel's SYN retries (minutes). It is not a bound on the whole connect: psycopg
    resolves the host first (getaddrinfo, no timeout) and then tries every address it gets (IPv4 and IPv6, every
    host of a multi-host URL) in turn, each with the full ``connect_timeout``; ``create_db_engine`` bounds the
    whole. libpq reads whole seconds and treats 1 as 2, hence the rounding up."""
    if url.startswith("sqlite"):
        return {}
    return {"connect_timeout": max(2, math.ceil(connect_timeout))}


def create_sync_engine(url: str, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S) -> Engine:
    """The engine of CLI commands, migrations and the startup seed, which never serve a request: a connect is
    bounded per attempt (``_connect_args``) only, so a silent host costs one ``connect_timeout`` per address and
    a DNS server that does not answer costs the resolver's own timeouts."""
    url = sync_url(url)
    _ensure_sqlite_dir(url)
    engine = create_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), connect_args=_connect_args(url, connect_timeout)
    )
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def create_db_engine(url: str, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S) -> AsyncEngine:
    """The engine of the web process and the worker. A PostgreSQL connect, name resolution and every attempt
    included, fails after ``connect_timeout`` seconds in all with psycopg's ``ConnectionTimeout`` (an
    ``OperationalError``, so a database outage to ``storage.health``): a message that needs a new connection
    waits at most that long, inside the passive-reply budget, whatever the host's addresses and DNS do."""
    url = async_url(url)
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    # The URL's parameters, as SQLAlchemy's psycopg dialect would pass them, are known once the engine (and so
    # its dialect) exists; an async_creator gets none of them by itself. No connection is made before then.
    args: list[Any] = []
    params: dict[str, Any] = {}

    async def connect() -> psycopg.AsyncConnection[Any]:
        deadline = asyncio.timeout(connect_timeout)
        try:
            async with deadline:
                return await psycopg.AsyncConnection.connect(*args, **params)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise psycopg.errors.ConnectionTimeout(f"connection not established in {connect_timeout:g} s") from None

    # No pre-ping: it is a round trip on every checkout, i.e. on every message that touches the database. A
    # connection broken by a server restart fails its first statement instead, which invalidates the pool;
    # that message is answered as in an outage (bot.outage) and the next ones get fresh connections.
    engine = create_async_engine(url, pool_size=10, max_overflow=20, async_creator=connect)
    url_args, url_params = engine.sync_engine.dialect.create_connect_args(engine.sync_engine.url)
    args.extend(url_args)
    params.update(url_params, **_connect_args(url, connect_timeout))
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def async_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
