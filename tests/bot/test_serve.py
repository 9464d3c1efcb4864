"""`qiaobot serve` starts from nothing on the embedded defaults, and `qiaobot chat` talks to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_AES_KEY

ROOT = Path(__file__).resolve().parents[2]
QIAOBOT = (
    [sys.executable, "-m", "bot.cli"]
    if not (Path(sys.executable).parent / "qiaobot").exists()
    else [str(Path(sys.executable).parent / "qiaobot")]
)


def _wait_until(condition: Callable[[], bool], seconds: float, failure: str) -> None:
    """Poll ``condition`` until it holds; fail with ``failure`` when ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{failure} within {seconds:g} s")
        time.sleep(0.2)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    var = tmp_path_factory.mktemp("serve-var")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    env.update(QIAOBOT_VAR_DIR=str(var), QIAOBOT_WECHAT_AES_KEY=TEST_AES_KEY, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [*QIAOBOT, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError("qiaobot serve exited:\n" + (process.stdout.read() if process.stdout else ""))
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise AssertionError("qiaobot serve did not become healthy in 60 s")
        yield url, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_serve_answers_a_question_from_the_shipped_faq(served: tuple[str, dict[str, str]]) -> None:
    url, env = served
    health = httpx.get(f"{url}/healthz").json()
    assert health["ok"] and health["kb_version"] >= 1
    assert httpx.get(f"{url}/simulator").status_code == 200
    result = subprocess.run(
        [*QIAOBOT, "chat", "--url", url],  # with a key configured, chat defaults to safe mode
        cwd=ROOT,
        env=env,
        input="在国外护照丢了怎么办\n/subscribe\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "机器人>" in result.stdout
    assert "护照丢了" in result.stdout.split("机器人>", 1)[1]  # answered, or offered as choice 1
    assert "欢迎关注" in result.stdout


def test_simulator_api_round_trip_in_each_encrypted_mode(served: tuple[str, dict[str, str]]) -> None:
    url, _ = served
    for mode in ("compat", "aes", None):
        message = {"openid": "osimtest01", "kind": "text", "text": "双重国籍", **({"mode": mode} if mode else {})}
        body = httpx.post(f"{url}/simulator/api/send", json=message, timeout=30).json()
        assert body["ok"] and body["reply"], (mode, body)
    # With a key the service refuses plaintext, as WeChat would never send it: the simulator says why.
    plain = httpx.post(
        f"{url}/simulator/api/send", json={"openid": "osimtest01", "mode": "plain", "text": "双重国籍"}, timeout=30
    ).json()
    assert not plain["ok"] and "加密" in plain["error"]
    page = httpx.get(f"{url}/simulator").text
    assert 'value="plain"' not in page and '<option value="aes" selected>' in page


def test_a_separate_worker_process_writes_the_conversation(tmp_path: Path) -> None:
    """Web process without jobs + `qiaobot worker`, sharing the embedded database and Redis, as deployed."""
    import sqlite3

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    env.update(
        QIAOBOT_VAR_DIR=str(tmp_path),
        QIAOBOT_RUN_JOBS_IN_PROCESS="false",
        PYTHONUNBUFFERED="1",
        QIAOBOT_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
    )
    web = subprocess.Popen(
        [*QIAOBOT, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until(lambda: _healthy(url), 90, "the web process did not become healthy")
        reply = httpx.post(f"{url}/simulator/api/send", json={"openid": "oworker0001", "text": "双重国籍"}, timeout=30)
        assert reply.json()["ok"]

        def logged() -> int:
            with sqlite3.connect(tmp_path / "qiaobot.db") as db:
                return int(db.execute("select count(*) from message_log where openid='oworker0001'").fetchone()[0])

        # A deliberate window, the one fixed wait here: a web process without jobs must not write the log.
        time.sleep(1)
        assert logged() == 0  # queued behind the webhook; nobody has written it yet
        output = tmp_path / "worker.log"
        with output.open("w") as log:
            worker = subprocess.Popen([*QIAOBOT, "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        # Starting a worker loads the matcher; on a loaded machine that alone can take tens of seconds.
        _wait_until(
            lambda: logged() >= 2 or worker.poll() is not None,
            120,
            "the worker did not write the conversation",
        )
        assert worker.poll() is None, "qiaobot worker exited:\n" + output.read_text()
        assert logged() == 2  # the question and the passive reply
    finally:
        for process in (worker, web):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
