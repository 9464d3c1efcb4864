"""The one test clock: the fake WeChat API calls it, and the services read ``now()`` from it (it is a
``calendars.clock.Clock``), so a test moves one time for both sides of the conversation."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from wechat.fake_rules import BEIJING


class ManualClock:
    """A clock tests move by hand, so 48-hour windows and token expiry need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 1, 6, 9, 0, tzinfo=BEIJING)
        if start.tzinfo is None:
            raise ValueError("clock start must be timezone-aware")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def now(self) -> datetime:
        return self()

    def set(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        with self._lock:
            self._now = at
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now
