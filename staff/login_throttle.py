"""Throttling console logins in Redis: per account and per client address, with back-off, never a hard lock.

Why this shape:
- **Counted before the password is checked**, atomically in one Lua script: an attempt first reserves a
  slot (and counts as a failure until proven otherwise), so a burst of concurrent guesses checks at most
  the free allowance, not however many raced past a read-modify-write.
- **Back-off instead of a lock**: after the free failures every further attempt must wait, the wait
  doubling up to a cap, so online guessing stays hopeless while a colleague who mistyped waits seconds to
  minutes, not a quarter of an hour.
- **Keyed by account *and* address**: the tight allowance is per (account, client address), so an
  attacker elsewhere burns their own allowance, not the real user's. An account-wide allowance (several
  times larger) stops guessing from many addresses, and an address-wide one stops one address spraying
  many accounts.
- **No username oracle**: the counters are keyed by the name typed, whether an account has it or not,
  so unknown, wrong and throttled attempts behave identically for every name.
- **Through a Redis outage** the same rules are applied in the process's memory
  (``staff.local_login_throttle``: never open, never a lock-out of everyone); one throttle per process keeps
  those counters (``bot.bootstrap``), and while Redis is marked down nothing waits on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from calendars.clock import Clock
from staff.local_login_throttle import LocalLoginThrottle
from storage.health import is_redis_outage

KEY_PREFIX = "qiaobot:login:"
ACCOUNT_FACTOR = 4  # account-wide free failures = 4 x the per-(account, address) allowance
ADDRESS_FACTOR = 10  # address-wide free failures = 10 x the allowance
MEMORY_SECONDS = 24 * 3600  # a failure count is forgotten a day after the last failure

# KEYS: pair, account, address. ARGV: now_ms, memory_ms, base_ms, max_ms, then each key's free failures.
# Each key is a hash {f: failures, t: earliest next attempt (ms)}. Returns {1, 0} when the attempt may go
# ahead (and has been counted as a failure), or {0, wait_ms} when it must wait (nothing counted).
_RESERVE = """
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 3 do
    local t = tonumber(redis.call('hget', KEYS[i], 't') or '0')
    if t > now and t - now > wait then wait = t - now end
end
if wait > 0 then return {0, wait} end
for i = 1, 3 do
    local f = redis.call('hincrby', KEYS[i], 'f', 1)
    local free = tonumber(ARGV[4 + i])
    if f >= free then
        local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (f - free))
        redis.call('hset', KEYS[i], 't', math.floor(now + delay))
    end
    redis.call('pexpire', KEYS[i], ARGV[2])
end
return {1, 0}
"""

# The password was right: the account's and the pair's counts start over; the address keeps its other
# failures but not this attempt's.
_SUCCEEDED = """
redis.call('del', KEYS[1], KEYS[2])
if redis.call('exists', KEYS[3]) == 1 and tonumber(redis.call('hget', KEYS[3], 'f') or '0') > 0 then
    redis.call('hincrby', KEYS[3], 'f', -1)
end
return 1
"""


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 5
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 900.0


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, redis: Redis, policy: ThrottlePolicy, clock: Clock) -> None:
        self.redis = redis
        self.policy = policy
        self.clock = clock
        self.local = LocalLoginThrottle(policy.backoff_seconds, policy.max_backoff_seconds, MEMORY_SECONDS)

    def _keys(self, username: str, address: str) -> list[str]:
        account, client = _digest(username), _digest(address)
        return [f"{KEY_PREFIX}pair:{account}:{client}", f"{KEY_PREFIX}account:{account}", f"{KEY_PREFIX}addr:{client}"]

    async def reserve(self, username: str, address: str) -> bool:
        """True when this attempt may check a password (it is counted as a failure until ``succeeded``).

        The process's memory counts first, synchronously (``staff.local_login_throttle``), and refuses at once
        only what an attempt still in flight holds back; then Redis, which holds every process's counts, decides.
        With Redis out the memory's decision stands: a back-off it knows refuses."""
        policy = self.policy
        keys = self._keys(username, address)
        free = (policy.free_failures, policy.free_failures * ACCOUNT_FACTOR, policy.free_failures * ADDRESS_FACTOR)
        now = self.clock.now().timestamp()
        verdict, reservation = self.local.reserve(keys, free, now)
        if verdict == "wait":
            return False
        try:
            allowed, _wait = await self.redis.eval(
                _RESERVE,
                3,
                *keys,
                int(now * 1000),
                MEMORY_SECONDS * 1000,
                int(policy.backoff_seconds * 1000),
                int(policy.max_backoff_seconds * 1000),
                *free,
            )
        except Exception as exc:
            if reservation is not None:
                if is_redis_outage(exc) and verdict == "go":
                    self.local.settle(reservation, seen=False)
                else:  # refused (a back-off the memory knows, or a full memory) or a real error: not counted
                    self.local.take_back(reservation)
            if not is_redis_outage(exc):
                raise
            return verdict == "go"
        if reservation is not None:
            if int(allowed):
                self.local.settle(reservation)
            else:
                self.local.take_back(reservation)
        return bool(int(allowed))

    async def succeeded(self, username: str, address: str) -> None:
        """Start the counts over in Redis and in memory. With Redis out its counts stay (the user may see a
        back-off they earned before the outage), which is the safe side."""
        keys = self._keys(username, address)
        self.local.succeeded(*keys)
        try:
            await self.redis.eval(_SUCCEEDED, 3, *keys)
        except Exception as exc:
            if not is_redis_outage(exc):
                raise
