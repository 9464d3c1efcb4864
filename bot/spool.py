"""A local, durable spool for what a message must write while Redis is out, replayed once when it is back.

Each entry is one handled message's ``Closing`` (its dedupe result, message-log records, follower state,
deferred hand-overs) as a JSON line, fsynced before the webhook answers, in ``var/spool/outage-<pid>.jsonl``.
Replay renames the file first (new entries go to a fresh file), applies every entry through the closer with
an "applied" marker set in the same Redis script, and deletes the file: an entry replayed twice (a crash
mid-replay) is applied once. Files left by a process that died are replayed by whoever replays next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

APPLIED_PREFIX = "qiaobot:spool:applied:"

Apply = Callable[[dict[str, Any]], Awaitable[bool]]  # False: applied before (its marker was set)


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = os.getpid()
        self._write_lock = threading.Lock()
        self._replay_lock = asyncio.Lock()

    @property
    def path(self) -> Path:
        return self.directory / f"outage-{self.pid}.jsonl"

    async def append(self, closing: dict[str, Any]) -> None:
        entry = {"id": uuid.uuid4().hex, "closing": closing}
        await asyncio.to_thread(self._append_line, json.dumps(entry, ensure_ascii=False) + "\n")

    def _append_line(self, line: str) -> None:
        with self._write_lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())

    def pending(self) -> int:
        """Entries not replayed yet (this process's and any left by dead processes)."""
        count = 0
        for path in self._files(include_live_others=True):
            with contextlib.suppress(OSError), path.open(encoding="utf-8") as lines:
                count += sum(1 for line in lines if line.strip())
        return count

    async def replay(self, apply: Apply) -> int:
        """Apply every spooled entry once; returns how many were applied now (not before). Stops on an error,
        keeping the file for the next replay."""
        async with self._replay_lock:
            files = await asyncio.to_thread(self._take_files)
            applied = 0
            for path in files:
                for entry in await asyncio.to_thread(_read_entries, path):
                    closing = {**entry["closing"], "once_key": APPLIED_PREFIX + entry["id"]}
                    applied += bool(await apply(closing))
                await asyncio.to_thread(path.unlink)
            if applied:
                log.warning("replayed %s spooled message(s) into Redis", applied)
            return applied

    def _take_files(self) -> list[Path]:
        """Rename this process's live spool out of the writers' way; adopt files of dead processes."""
        taken: list[Path] = []
        with self._write_lock:
            if self.path.exists():
                target = self.directory / f"replaying-{self.pid}-{uuid.uuid4().hex[:8]}.jsonl"
                self.path.rename(target)
        for path in self._files(include_live_others=False):
            if path.name.startswith("replaying-"):
                taken.append(path)
                continue
            target = self.directory / f"replaying-{self.pid}-{uuid.uuid4().hex[:8]}.jsonl"
            with contextlib.suppress(FileNotFoundError):  # another process adopted it first
                path.rename(target)
                taken.append(target)
        return sorted(taken, key=lambda p: p.stat().st_mtime)

    def _files(self, include_live_others: bool) -> list[Path]:
        if not self.directory.exists():
            return []
        found = []
        for path in self.directory.glob("*.jsonl"):
            owner = _owner_pid(path)
            if owner == self.pid or include_live_others or not _alive(owner):
                found.append(path)
        return found


def _read_entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:  # a torn last line from a crash mid-write: it was never answered
                log.error("spool %s line %s is not JSON; skipped", path.name, number)
    return entries


def _owner_pid(path: Path) -> int:
    parts = path.stem.split("-")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
