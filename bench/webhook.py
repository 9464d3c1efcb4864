"""Webhook throughput and latency under wrk, beside a bare FastAPI endpoint measured in the same run.

Each request is a distinct, freshly signed WeChat callback with its own MsgId (pre-generated, replayed once
by wrk). Scenarios: the protocol path (an image message: signature, parse, dedupe, log, reply, no matching)
and a text question end to end (FAQ answer), in plaintext and safe (AES) mode, with 1 and 2 uvicorn workers,
at 64 concurrent connections. Storage is PostgreSQL + Redis on their standard local ports (a throwaway
database ``qiaobot_bench`` and Redis db 10). Needs ``wrk`` (Debian package ``wrk``). Prints a table.

    python bench/webhook.py [--seconds 10] [--connections 64] [--workers 1 2]

Real traffic (``bench/realistic.py`` says what the mix is): every message a different realistic one, in and
out of scope, with hand-overs, from 5,000 known followers, safe mode (AES), one row per load:

    python bench/webhook.py --mix realistic [--rate 100 200] [--seconds 20] [--workers 1]

``--mix realistic`` adds a closed-loop row (wrk, ``--connections``) whose throughput is the capacity;
``--rate N …`` adds open-loop rows (``bench/open_loop.py``: requests sent on schedule, latency from the
scheduled time). Both print the FAQ decision's own p50 on the same messages and the capacity target
0.8 / (decision p50 + 1 ms).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wechat import inbound  # noqa: E402

TOKEN = "bench-token"
APPID = "wxbench000000000"
SECRET = "bench-secret"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Where the bench may write (a throwaway database and Redis db) and listen (a port range), overridable so two
# people benchmarking on one machine do not share them.
PG_DB = os.environ.get("QIAOBOT_BENCH_PG_DB", "qiaobot_bench")
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
REDIS_URL = os.environ.get("QIAOBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
PORTS = os.environ.get("QIAOBOT_BENCH_PORTS", "")  # e.g. "8140-8159"; empty: any free port
_GIVEN: set[int] = set()
FOLLOWERS = 2000


def free_port() -> int:
    if PORTS:
        first, last = (int(part) for part in PORTS.split("-"))
        for port in range(first, last + 1):
            if port in _GIVEN:  # handed out already, its server maybe not listening yet
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                _GIVEN.add(port)
                return port
        raise RuntimeError(f"no free port in {PORTS}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database() -> None:
    from sqlalchemy import create_engine, text

    from faq.store import seed_if_empty
    from storage.migrate import upgrade

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    upgrade(PG_URL)
    seed_if_empty(ROOT / "config" / "faq.yaml", PG_URL)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def questions() -> list[str]:
    """Dev-set questions the shipped FAQ answers: this scenario is a question answered end to end (a hand-over
    makes a ticket, which is a database transaction, and is a different scenario)."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(ROOT / "config" / "faq.yaml"))
    dev = yaml.safe_load((ROOT / "tests" / "data" / "faq_dev.yaml").read_text(encoding="utf-8"))
    pool = [item["q"] for item in dev if item.get("expect") and item.get("style") in ("colloquial", "short")]
    return [q for q in pool if matcher.decide(q).decision == "answer"][:200]


def write_requests(path: Path, kind: str, mode: str, count: int, texts: list[str] | None = None) -> None:
    texts = texts or ["护照丢了怎么办"]
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            openid = f"obench{index % FOLLOWERS:06d}"
            if kind == "image":
                xml = inbound.image_message(openid)
            else:
                xml = inbound.text_message(openid, texts[index % len(texts)])
            query, body = inbound.sign_post(xml, mode, TOKEN, AES_KEY, APPID)  # type: ignore[arg-type]
            path_line = "/wechat?" + "&".join(f"{k}={httpx.QueryParams({k: v})[k]}" for k, v in query.items())
            out.write(str(httpx.URL(path_line)) + "\n")
            out.write(body.decode("utf-8").replace("\n", "") + "\n")


def wait_healthy(url: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.post(url, content=b"", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def run_wrk(
    url: str, replay: Path, seconds: int, connections: int, threads: int = 2, timeout: str | None = None
) -> dict[str, float]:
    env = {**os.environ, "REPLAY_FILE": str(replay), "REPLAY_THREADS": str(threads)}
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            *([f"--timeout={timeout}"] if timeout else []),
            "--latency",
            "-s",
            str(ROOT / "bench" / "replay.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    slowest = re.search(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out, re.M)
    if slowest:
        value, unit = float(slowest.group(1)), slowest.group(2)
        max_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    else:
        max_ms = float("nan")
    return {
        "max": max_ms,
        "rps": rps,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": float(errors.group(1)) if errors else 0.0,
        "socket_errors": 0.0
        if socket_errors is None
        else float(sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))),
    }


def drain(timeout: float = 120) -> None:
    """Wait until the work the previous row left behind is done, so each row measures its own load: the
    write-behind records the worker writes, messages queued for a customer-service reply (an open-loop row
    past capacity answers ``success`` and queues them; the web process drains them), and jobs due now or
    running (their deliveries). Before the backlog and the jobs were waited for, a row after an overloaded
    one paid for that one's queued messages: the web process's CPU per answered message rose by a half and
    the worker's four-fold."""
    import redis

    from bot.backlog import BACKLOG_KEY

    client = redis.Redis.from_url(REDIS_URL)
    due, inflight = "qiaobot:jobs:default:due", "qiaobot:jobs:default:inflight"  # jobs.queue.JobQueue's keys
    deadline = time.monotonic() + timeout

    def busy() -> bool:
        return bool(
            client.llen("qiaobot:activity")
            or client.llen(BACKLOG_KEY)
            or client.zcount(due, "-inf", time.time())
            or client.zcard(inflight)
        )

    while busy():
        if time.monotonic() > deadline:
            print(f"drain: work still pending after {timeout:.0f} s; the next row shares the machine with it")
            return
        time.sleep(0.2)


LOG_DIR = Path(tempfile.gettempdir()) / f"qiaobot-bench-{os.getpid()}"


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Logs to a file: an unread pipe fills up and then blocks the server mid-run.
    LOG_DIR.mkdir(exist_ok=True)
    name = f"{Path(command[0]).name}-{command[1].replace(':', '_')}-{len(list(LOG_DIR.iterdir()))}.log"
    log = (LOG_DIR / name).open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far (Linux /proc), in seconds."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for each in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def service_env() -> tuple[dict[str, str], subprocess.Popen[bytes]]:
    """A fresh database and Redis db, the fake WeChat API, and the environment the service runs with."""
    prepare_database()
    venv_bin = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    fake_port = free_port()
    env.update(
        QIAOBOT_WECHAT_TOKEN=TOKEN,
        QIAOBOT_WECHAT_APPID=APPID,
        QIAOBOT_WECHAT_SECRET=SECRET,
        QIAOBOT_WECHAT_AES_KEY=AES_KEY,
        QIAOBOT_DATABASE_URL=PG_URL,
        QIAOBOT_REDIS_URL=REDIS_URL,
        QIAOBOT_WECHAT_API_BASE=f"http://127.0.0.1:{fake_port}",
        QIAOBOT_RUN_JOBS_IN_PROCESS="false",
    )
    fake = start([str(venv_bin / "qiaobot"), "fake-wechat", "--port", str(fake_port)], env)
    return env, fake


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=None)
    parser.add_argument("--mix", choices=["repeat", "realistic"], default="repeat")
    parser.add_argument("--rate", type=float, nargs="*", default=[])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    if args.mix == "realistic" or args.rate:
        from bench.real_traffic import run_real_traffic

        run_real_traffic(args)
        return
    args.workers = args.workers or [1, 2]
    env, fake = service_env()
    venv_bin = Path(sys.executable).parent
    expected_rps = 12000
    count = expected_rps * (args.seconds + 5)
    rows: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        warmup = Path(tmp) / "warmup.txt"
        write_requests(warmup, "image", "plain", FOLLOWERS)  # one message from each follower
        texts = questions()
        print(f"text scenario: {len(texts)} distinct questions the FAQ answers", flush=True)
        for kind in ("image", "text"):
            for mode in ("plain", "aes"):
                files[(kind, mode)] = Path(tmp) / f"{kind}-{mode}.txt"
                write_requests(files[(kind, mode)], kind, mode, count if kind == "image" else count // 4, texts)
        for workers in args.workers:
            port = free_port()
            bare = start(
                [
                    str(venv_bin / "uvicorn"),
                    "bench.bare_app:app",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                env,
            )
            wait_healthy(f"http://127.0.0.1:{port}/wechat")
            rows.append(
                (
                    "bare FastAPI constant reply",
                    workers,
                    run_wrk(f"http://127.0.0.1:{port}", files[("image", "plain")], args.seconds, args.connections),
                )
            )
            stop(bare)
            port = free_port()
            app = start([str(venv_bin / "qiaobot"), "serve", "--port", str(port), "--workers", str(workers)], env)
            worker = start([str(venv_bin / "qiaobot"), "worker"], env)  # flushes the write-behind queue
            wait_healthy(f"http://127.0.0.1:{port}/wechat")
            # Known followers, as in production (their state is cached after their first message).
            run_wrk(f"http://127.0.0.1:{port}", warmup, 4, args.connections)
            drain()
            for kind, mode in (("image", "plain"), ("image", "aes"), ("text", "plain"), ("text", "aes")):
                label = f"qiaobot {'protocol path (image)' if kind == 'image' else 'text question e2e'}, {mode}"
                rows.append(
                    (
                        label,
                        workers,
                        run_wrk(f"http://127.0.0.1:{port}", files[(kind, mode)], args.seconds, args.connections),
                    )
                )
            stop(app)
            stop(worker)
    stop(fake)
    print(
        f"\nwebhook benchmark: wrk, {args.connections} connections, {args.seconds}s per row, "
        f"PostgreSQL + Redis, a separate `qiaobot worker`, {os.cpu_count()} cores shared with wrk\n"
    )
    print(f"{'scenario':48} {'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    bare_rps = {w: r["rps"] for label, w, r in rows if label.startswith("bare")}
    for label, workers, result in rows:
        share = "" if label.startswith("bare") else f"  ({100 * result['rps'] / bare_rps[workers]:.0f}% of bare)"
        print(
            f"{label:48} {workers:>7} {result['rps']:>9.0f} {result['p50']:>8.2f} {result['p99']:>8.2f} "
            f"{int(result['non2xx']):>8}{share}"
        )


if __name__ == "__main__":
    main()
