"""Refusing replayed callbacks: a timestamp far from now, or a nonce already used for another message.

WeChat signs ``timestamp`` and ``nonce`` into every callback. Without these checks a signed query string seen
once (in a proxy log, say) stays valid for ever: in plaintext mode the signature does not cover the body, so
anyone holding it could post any message as anyone. The timestamp bounds how long a signature lives; the
nonce, remembered in Redis for that long (by the dedupe claim, in the same round trip), stops a second
*different* message under the same signature.

A repeat of the *same* message under the same nonce is let through on purpose: it is what a redelivery
(WeChat retries a message three times when no answer comes within five seconds, official 被动回复用户消息)
looks like if WeChat reuses the query string, and the message dedupe answers it once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

KEY_PREFIX = "qiaobot:nonce:"


def timestamp_is_fresh(timestamp: str, tolerance_seconds: int, now: float | None = None) -> bool:
    """Within ``tolerance_seconds`` of this host's clock, either way (0 turns the check off)."""
    if tolerance_seconds <= 0:
        return True
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs((time.time() if now is None else now) - int(timestamp)) <= tolerance_seconds


@dataclass(frozen=True)
class NonceWindow:
    """Where a nonce is remembered and for how long. The check itself runs inside the dedupe claim
    (``bot.dedupe``), in the same Redis round trip: the nonce key holds the message's dedupe key."""

    tolerance_seconds: int

    @property
    def ttl_seconds(self) -> int:
        # A timestamp may be up to the tolerance ahead or behind, so a nonce can be replayed for twice that.
        return max(2 * self.tolerance_seconds, 1)

    def key(self, nonce: str) -> str:
        return KEY_PREFIX + nonce[:64]
