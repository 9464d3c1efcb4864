"""CLI commands a newcomer runs before everything is set up: an unmigrated database, a service not running."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QIAOBOT = str(Path(sys.executable).parent / "qiaobot")
pytestmark = pytest.mark.skipif(not Path(QIAOBOT).exists(), reason="needs the installed qiaobot command")


def _run(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    env["QIAOBOT_VAR_DIR"] = str(var)
    return subprocess.run(
        [QIAOBOT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize("command", [("faq", "ask", "护照丢了怎么办"), ("greetings", "status"), ("sla", "recompute")])
def test_commands_on_a_never_migrated_database_say_to_upgrade(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = _run(tmp_path, *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "先运行 `qiaobot db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr and "sqlalche.me" not in result.stderr


def test_a_database_behind_the_newest_revision_names_both(tmp_path: Path) -> None:
    from storage.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path / 'qiaobot.db'}", "0001_core")
    result = _run(tmp_path, "sla", "recompute")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "表结构版本为 0001_core" in result.stderr and "先运行 `qiaobot db upgrade`" in result.stderr


def _port_nobody_listens_on() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_chat_against_a_dead_url_fails_without_saying_connected(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_port_nobody_listens_on()}"
    result = _run(tmp_path, "chat", "--url", url)
    assert result.returncode == 1
    assert "已连接" not in result.stdout
    assert f"无法连接 {url}" in result.stderr


@pytest.fixture
def not_qiaobot() -> Iterator[str]:
    """Some other web server on a port (a newcomer's typo in --url)."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_chat_against_another_program_says_so(tmp_path: Path, not_qiaobot: str) -> None:
    result = _run(tmp_path, "chat", "--url", not_qiaobot)
    assert result.returncode == 1
    assert "已连接" not in result.stdout
    assert "没有像 qiaobot 服务那样应答" in result.stderr and "HTTP 404" in result.stderr
