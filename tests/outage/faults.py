"""Real faults for the outage tests: a redis-server the test starts, hangs and stops, and ports that refuse
connections or accept them and never answer.

Ports come from a small range (``QIAOBOT_TEST_FAULT_PORTS``, default 6390-6399), the first one free, so two
test runs on one machine do not share a server. The closed port is not from that range: see ``closed_port``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

_RANGE = os.environ.get("QIAOBOT_TEST_FAULT_PORTS", "6390-6399")


def free_port() -> int:
    first, last = (int(part) for part in _RANGE.split("-"))
    for port in range(first, last + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_RANGE}")


class RedisServer:
    """A redis-server of the test's own, without persistence: stopping it is a real Redis outage."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} did not start in 10 s")

    def pause(self) -> None:
        """Hang the server (SIGSTOP): the kernel still completes connects to its port and takes the commands
        sent, but nothing answers until ``resume``, when it runs what was sent meanwhile, as a server stalled
        by a slow disk or a long script does."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused server would not act on the SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class SilentRedis:
    """A Redis (``url``) that ``silence`` makes accept connections and never answer, and ``restore`` brings back
    (the ``silent_redis`` fixture: a hung server, or a proxy that drops every byte)."""

    url: str
    silence: Callable[[], None]
    restore: Callable[[], None]


_held: list[socket.socket] = []


def closed_port() -> int:
    """A port nothing listens on (a stopped database server), and nothing can start listening on.

    The port stays bound, without ``listen()``, until the test process exits: a connection to it is refused at
    once (Linux answers RST), and no other process can bind it (no SO_REUSEADDR here, so redis-server's bind
    fails). A port merely found free could be taken meanwhile by another run's redis-server from the fault
    range; a PostgreSQL client talking to a Redis then hangs without an error instead of being refused.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _held.append(sock)
    return int(sock.getsockname()[1])


def silent_port() -> int:
    """A port that accepts TCP connections and never answers on them (a database host behind a firewall that
    drops packets, or a server hung before its greeting).

    The socket listens but nothing ever calls ``accept()``: the kernel completes the handshakes (then, with its
    backlog full, drops further SYNs as a blackholed host does), so a client's connect "succeeds" and its
    PostgreSQL startup message is never answered. Held until the test process exits, like ``closed_port``.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    _held.append(sock)
    return int(sock.getsockname()[1])
