"""Redis connections: a real server from ``QIAOBOT_REDIS_URL``, or the embedded one under ./var.

The embedded server (``storage.embedded_redis``) is a real redis-server process on a unix socket; every
process of one deployment shares it, so dedupe, locks and the job queue behave as they do in production.
"""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis


def embedded_redis_url(var_dir: Path) -> str:
    """Start (or join) the embedded server for ``var_dir`` and return a unix:// URL to it."""
    from storage.embedded_redis import embedded_redis

    return embedded_redis(var_dir).url


def resolve_redis_url(redis_url: str, var_dir: Path) -> str:
    return redis_url or embedded_redis_url(var_dir)


def create_redis(url: str, max_connections: int = 4096) -> aioredis.Redis:
    # redis-py's pool refuses ("Too many connections") past its limit (100 by default); a burst of webhook
    # requests each holding a connection for a moment needs more. (A BlockingConnectionPool would wait
    # instead, but arms a timer on every command, which costs more than the command at this rate.)
    pool = aioredis.ConnectionPool.from_url(url, max_connections=max_connections)
    return aioredis.Redis(connection_pool=pool)
