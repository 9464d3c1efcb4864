"""The working calendar as staff keep it in ``config/holidays.yaml``, reloaded when the file changes.

The file's content hash is the calendar's fingerprint: when it differs from the one open tickets were
computed with, their due times are recomputed (Zammad issue #534 is what happens when they are not).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from calendars import WorkingCalendar, parse_holidays
from config.settings import Settings

_lock = threading.Lock()
_cache: dict[Path, tuple[str, WorkingCalendar]] = {}
# The file's identity (device, inode, size, modification time in ns) when each cached fingerprint was taken:
# while it is the same, the content is too, and the file is not read and hashed again (every new ticket asks).
_seen: dict[Path, tuple[int, int, int, int]] = {}


def calendar_fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "none"


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def load_calendar(path: Path) -> tuple[str, WorkingCalendar]:
    """(fingerprint, calendar); parsed once per content, so calling it often is cheap."""
    identity = _identity(path)
    with _lock:
        cached = _cache.get(path)
        if cached is not None and identity is not None and _seen.get(path) == identity:
            return cached
    fingerprint = calendar_fingerprint(path)
    with _lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == fingerprint:
            if identity is not None:
                _seen[path] = identity
            return cached
    calendar = parse_holidays(path.read_text(encoding="utf-8"), str(path)) if path.exists() else WorkingCalendar()
    with _lock:
        _cache[path] = (fingerprint, calendar)
        if identity is None:
            _seen.pop(path, None)
        else:
            _seen[path] = identity
    return fingerprint, calendar


def current_calendar(settings: Settings) -> WorkingCalendar:
    return load_calendar(Path(settings.holidays_path))[1]
