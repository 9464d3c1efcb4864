"""The account's one access token, shared by every process through Redis.

WeChat hands out one token per account, and a ``force_refresh`` (or the legacy ``cgi-bin/token``)
invalidates the one every other process is using. So all processes share a single token through Redis, only
one of them (holding a Redis lock) ever asks WeChat for a token, and a process that sees 40001/42001 deletes
the token it used only if it is still the current one (compare-and-delete) before asking for the current
token — so a burst of rejections causes one fetch, not a stampede. ``stable_token`` in normal mode is used
because it returns the same token to every caller while it is valid (official "获取稳定版接口调用凭据"); a
refresh is forced only when WeChat keeps returning a token it has just rejected, and then only by the lock
holder.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from redis.asyncio import Redis

from wechat.api_errors import WeChatTransportError

logger = logging.getLogger(__name__)

#: Asks WeChat for a token: ``force_refresh`` -> (token, expires_in seconds).
FetchToken = Callable[[bool], Awaitable[tuple[str, int]]]

# Deletes the key only if it still holds the token the caller used (atomic in Redis).
_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class SharedToken:
    def __init__(
        self,
        redis: Redis,
        appid: str,
        fetch: FetchToken,
        *,
        key_prefix: str,
        token_margin: timedelta,
        lock_ttl: timedelta,
        wait_timeout: timedelta,
        poll_interval: float,
    ) -> None:
        self._redis = redis
        self._appid = appid
        self._fetch = fetch
        self.key = f"{key_prefix}wechat:access_token:{appid}"
        self._lock_key = f"{key_prefix}wechat:access_token:lock:{appid}"
        self._margin = int(token_margin.total_seconds())
        self._lock_ttl_ms = int(lock_ttl.total_seconds() * 1000)
        self._wait_timeout = wait_timeout.total_seconds()
        self._poll = poll_interval

    async def get(self, *, rejected: str | None = None) -> str:
        """The shared token; fetched by one process under a Redis lock while the others wait for it.

        ``rejected`` is a token WeChat has just refused: if ``stable_token`` hands it back again, the lock
        holder forces a refresh (once) instead of looping on a dead token."""
        cached = _text(await self._redis.get(self.key))
        if cached and cached != rejected:
            return cached
        deadline = time.monotonic() + self._wait_timeout
        owner = secrets.token_hex(16)
        while True:
            if await self._redis.set(self._lock_key, owner, nx=True, px=self._lock_ttl_ms):
                try:
                    cached = _text(await self._redis.get(self.key))
                    if cached and cached != rejected:
                        return cached
                    return await self._refresh(rejected)
                finally:
                    await self._redis.eval(_COMPARE_AND_DELETE, 1, self._lock_key, owner)
            await asyncio.sleep(self._poll)
            cached = _text(await self._redis.get(self.key))
            if cached and cached != rejected:
                return cached
            if time.monotonic() > deadline:
                raise WeChatTransportError("timed out waiting for another process to refresh the token")

    async def _refresh(self, rejected: str | None) -> str:
        token, expires_in = await self._fetch(False)
        if token == rejected:
            logger.warning("stable_token returned the token WeChat just rejected; forcing a refresh")
            token, expires_in = await self._fetch(True)
        ttl = expires_in - self._margin if expires_in > 2 * self._margin else max(expires_in // 2, 1)
        await self._redis.set(self.key, token, ex=ttl)
        logger.info("refreshed WeChat access token for %s (cached %ss)", self._appid, ttl)
        return token

    async def invalidate(self, token: str) -> bool:
        """Forget ``token`` only if it is still the shared one; True if it was deleted."""
        deleted = await self._redis.eval(_COMPARE_AND_DELETE, 1, self.key, token)
        return bool(deleted)
