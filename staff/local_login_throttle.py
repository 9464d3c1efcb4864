"""The login throttle's own counts in this process's memory: what decides while Redis is out, and what keeps a
burst within the allowance whatever Redis's timing.

Logins must keep working through a Redis outage (an admin needs the console to see it: 系统状态), and must not
fail open: without a throttle, password guessing would be unlimited for as long as Redis is out. So each
process also counts every attempt it lets check a password, with exactly the Redis script's rules
(``staff.login_throttle``): per (account, address), per account and per address, counted before the password
is checked, back-off doubling to the cap, a day's memory. These counts are taken first, synchronously (between
two awaits); an attempt Redis refuses is taken back. A back-off set by an attempt still waiting for Redis's
answer refuses at once: so a burst in one process checks no more passwords than the allowance even when Redis
stops answering in its middle (the burst's own connects can make it time out). So does one that counts attempts
let through while Redis could not answer, which Redis never saw: the guesses of an outage still count after it.
A back-off from attempts Redis counted does not: Redis, which holds every process's counts, decides (``ask``),
because another process may have started the counts over (a right password there) since. Only when Redis cannot
answer does that back-off refuse.

What an outage costs: the counts of other processes' attempts are not visible meanwhile, so each of N web
processes applies its own back-off (a guesser spreading attempts over them gets N times the capped rate while
the outage lasts, and a process started during it begins with empty counts; these counts outlive the outage and
are forgotten after a day, as Redis's are). The table is bounded: kept in the order counts were last touched, so
expired ones leave from its front in constant time; when it is full, the oldest counts that hold no back-off make
room (what they forget is less than one allowance); only a table whose oldest counts all wait refuses names and
addresses it does not hold (to Redis alone, and refused while Redis is out), so names sprayed to fill it neither
cost a scan per attempt nor lock everyone out of a later outage.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

MAX_KEYS = 100_000
EVICTION_LOOK = 64  # how many of the oldest counts a full table looks at for room, per attempt


@dataclass
class _Count:
    failures: int = 0
    next_attempt: float = 0.0  # seconds since the epoch
    forget_at: float = 0.0
    in_flight: int = 0  # attempts counted here whose answer from Redis has not come yet
    unseen: int = 0  # attempts let through while Redis could not answer: Redis never counted them


@dataclass
class Reservation:
    """An attempt the memory counted, to take back if Redis refuses it: each count with the back-off the attempt
    set on it (or None) and the one it replaced."""

    counts: list[tuple[_Count, float | None, float]] = field(default_factory=list)


Verdict = Literal["go", "ask", "wait", "full"]


class LocalLoginThrottle:
    def __init__(self, base_seconds: float, max_seconds: float, memory_seconds: float, max_keys: int = MAX_KEYS):
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.memory_seconds = memory_seconds
        self.max_keys = max_keys
        self._counts: OrderedDict[str, _Count] = OrderedDict()  # least recently touched first

    def __len__(self) -> int:
        return len(self._counts)

    def reserve(self, keys: Sequence[str], free: Sequence[int], now: float) -> tuple[Verdict, Reservation | None]:
        """``go`` when the attempt may check a password (then counted as a failure under every key until
        ``succeeded``, or until ``take_back``); ``ask`` when only settled attempts' back-off holds it, which
        Redis decides (counted like ``go``; refused if Redis cannot answer); ``wait`` when an attempt still in
        flight set the back-off (nothing counted); ``full`` when the table has no room for the keys it does not
        hold (nothing counted). Every counted attempt is ``settle``d or taken back once Redis has answered."""
        counts = [self._live(key, now) for key in keys]
        waiting = [count for count in counts if count is not None and count.next_attempt > now]
        if any(count.in_flight or count.unseen for count in waiting):
            return "wait", None
        missing = sum(count is None for count in counts)
        if missing and len(self._counts) + missing > self.max_keys:
            self._forget_expired(now)
            self._make_room(len(self._counts) + missing - self.max_keys, keys, now)
            if len(self._counts) + missing > self.max_keys:
                return "full", None
        reservation = Reservation()
        for key, count, allowance in zip(keys, counts, free, strict=True):
            if count is None:
                count = self._counts[key] = _Count()
            else:
                self._counts.move_to_end(key)
            count.failures += 1
            count.in_flight += 1
            previous, backoff = count.next_attempt, None
            if count.failures >= allowance:
                backoff = now + min(self.max_seconds, self.base_seconds * 2 ** (count.failures - allowance))
                count.next_attempt = backoff
            count.forget_at = now + self.memory_seconds
            reservation.counts.append((count, backoff, previous))
        return ("ask" if waiting else "go"), reservation

    def settle(self, reservation: Reservation, *, seen: bool = True) -> None:
        """Redis answered (``seen``) or could not: the attempt stays counted and is no longer in flight. One Redis
        never saw keeps the back-off it set refusing here, after Redis is back too (Redis would not know it)."""
        for count, _, _ in reservation.counts:
            count.in_flight = max(0, count.in_flight - 1)
            if not seen:
                count.unseen += 1

    def take_back(self, reservation: Reservation) -> None:
        """Redis refused the attempt (one of its keys waits there): it checks no password and counts nothing."""
        self.settle(reservation)
        for count, backoff, previous in reservation.counts:
            count.failures = max(0, count.failures - 1)
            if backoff is not None and count.next_attempt == backoff:  # not moved on by a later attempt
                count.next_attempt = previous

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
        # Touched counts move to the end with forget_at = now + memory_seconds, so the front expires first.
        while self._counts:
            key, count = next(iter(self._counts.items()))
            if count.forget_at > now:
                return
            del self._counts[key]

    def _make_room(self, needed: int, keep: Sequence[str], now: float) -> None:
        """Forget up to ``needed`` of the oldest counts that hold no back-off and no attempt in flight."""
        if needed <= 0:
            return
        idle: list[str] = []
        for looked, (key, count) in enumerate(self._counts.items()):
            if looked >= EVICTION_LOOK or len(idle) >= needed:
                break
            if count.next_attempt <= now and not count.in_flight and key not in keep:
                idle.append(key)
        if len(idle) < needed:
            return  # not enough room anyway: the attempt is refused, and nothing is forgotten for it
        for key in idle:
            del self._counts[key]
