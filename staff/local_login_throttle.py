"""The login throttle's stand-in while Redis is out: the same counts and back-off, in this process's memory.

Logins must keep working through a Redis outage (an admin needs the console to see it: 系统状态), and must not
fail open: without a throttle, password guessing would be unlimited for as long as Redis is out. So each
process keeps its own counters with exactly the Redis script's rules (``staff.login_throttle``): per
(account, address), per account and per address, counted before the password is checked, back-off doubling
to the cap, a day's memory. An attempt is reserved synchronously, between two awaits, so concurrent guesses
in one process cannot race past it, as they cannot past the Lua script.

What it costs: the counters Redis holds are not visible meanwhile, so an outage gives a guesser at most one
fresh allowance per web process (``QIAOBOT_LOGIN_FREE_FAILURES`` and its back-off, in each), once: these
counters outlive the outage (a flapping Redis hands out nothing new) and are only forgotten as Redis's are.
The table is bounded; when it is full of live counters, attempts under names and addresses it does not hold
are refused (a guesser filling it locks out new logins for the outage, never the other way round).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_KEYS = 100_000


@dataclass
class _Count:
    failures: int = 0
    next_attempt: float = 0.0  # seconds since the epoch
    forget_at: float = 0.0


class LocalLoginThrottle:
    def __init__(self, base_seconds: float, max_seconds: float, memory_seconds: float, max_keys: int = MAX_KEYS):
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.memory_seconds = memory_seconds
        self.max_keys = max_keys
        self._counts: dict[str, _Count] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def reserve(self, keys: Sequence[str], free: Sequence[int], now: float) -> bool:
        """True when the attempt may check a password (counted as a failure under every key until
        ``succeeded``); False when one of the keys must still wait (nothing counted)."""
        counts = [self._live(key, now) for key in keys]
        if any(count is not None and count.next_attempt > now for count in counts):
            return False
        missing = sum(count is None for count in counts)
        if missing and len(self._counts) + missing > self.max_keys:
            self._forget_expired(now)
            if len(self._counts) + missing > self.max_keys:
                return False
        for key, count, allowance in zip(keys, counts, free, strict=True):
            if count is None:
                count = self._counts[key] = _Count()
            count.failures += 1
            if count.failures >= allowance:
                count.next_attempt = now + min(self.max_seconds, self.base_seconds * 2 ** (count.failures - allowance))
            count.forget_at = now + self.memory_seconds
        return True

    def succeeded(self, pair: str, account: str, address: str) -> None:
        """The password was right: as the Redis script does, the pair and the account start over and the address
        keeps its other failures, not this attempt's."""
        self._counts.pop(pair, None)
        self._counts.pop(account, None)
        count = self._counts.get(address)
        if count is not None and count.failures > 0:
            count.failures -= 1

    def _live(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and count.forget_at <= now:
            del self._counts[key]
            return None
        return count

    def _forget_expired(self, now: float) -> None:
        for key in [key for key, count in self._counts.items() if count.forget_at <= now]:
            del self._counts[key]
