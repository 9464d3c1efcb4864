"""The holiday file is read and hashed again only when its identity (inode, size, modification time) changes."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from tickets import calendar_source


def test_an_unchanged_file_is_not_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text("years:\n  2026:\n    holidays: [2026-11-24]\n", encoding="utf-8")
    reads: list[Path] = []
    fingerprint = calendar_source.calendar_fingerprint

    def counted(p: Path) -> str:
        reads.append(p)
        return fingerprint(p)

    monkeypatch.setattr(calendar_source, "calendar_fingerprint", counted)

    first, calendar = calendar_source.load_calendar(path)
    assert calendar_source.load_calendar(path) == (first, calendar)
    assert reads == [path]  # the second call only looked at the file's identity
    assert not calendar.is_working_day(date(2026, 11, 24))

    stat = path.stat()
    path.write_text("years:\n  2026:\n    holidays: [2026-11-25]\n", encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second, changed = calendar_source.load_calendar(path)
    assert second != first and changed is not calendar
    assert changed.is_working_day(date(2026, 11, 24)) and not changed.is_working_day(date(2026, 11, 25))

    path.unlink()
    assert calendar_source.load_calendar(path)[0] == "none"
