"""Once-only handling inside one process, for while Redis (where dedupe normally lives) is out.

WeChat redelivers a message it got no answer for within 5 s, up to three times in about 15 s; without Redis
each process still answers a redelivery with the first reply instead of handling it again. Keys are kept
for ``ttl_s`` (WeChat's retries are over long before) and at most ``limit`` of them.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class LocalDedupe:
    PENDING = None

    def __init__(self, ttl_s: float = 600.0, limit: int = 100_000) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._seen: OrderedDict[str, tuple[float, bytes | None]] = OrderedDict()

    def claim(self, key: str) -> tuple[bool, bytes | None]:
        """(owner, earlier reply): the first caller owns ``key``; later ones get the reply (None while pending)."""
        now = time.monotonic()
        self._prune(now)
        seen = self._seen.get(key)
        if seen is not None:
            return False, seen[1]
        self._seen[key] = (now + self.ttl_s, None)
        return True, None

    def finish(self, key: str, reply: bytes) -> None:
        self._seen[key] = (time.monotonic() + self.ttl_s, reply)

    def release(self, key: str) -> None:
        self._seen.pop(key, None)

    def _prune(self, now: float) -> None:
        while self._seen:
            expires, _ = next(iter(self._seen.values()))
            if expires > now and len(self._seen) < self.limit:
                return
            self._seen.popitem(last=False)
