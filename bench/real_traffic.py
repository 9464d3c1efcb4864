"""``bench/webhook.py --mix realistic`` and ``--rate N``: the webhook under real traffic, measured.

Every message is a different realistic one (``bench/realistic.py``), so the matcher's decision cache does
not help, and hand-overs make tickets as they would. Rows are measured one after another against one
``qiaobot serve`` (``--workers``) with a separate ``qiaobot worker``, PostgreSQL and Redis, all on this
machine; the write-behind queue is drained between rows so each row pays only for its own messages.

Each row also reports the CPU per message of the worker, the database's backends and the load generator, how
busy the whole machine was and how much of that was outside these processes (other people's work), and the mix
of what the bot decided (read back from the message log). The web process's CPU per message is not a property
of the code alone: on the 2-core machine it rose from about 2 to 3–4 ms whenever other work kept the machine's
two cores busy, for the same rows and commit, so compare rows whose "outside" figure is alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import open_loop
from bench import webhook as base
from bench.realistic import Message, stream
from wechat import inbound

FOLLOWERS = 5000
PAST_BUDGET_S = 4.0


def _xml(message: Message) -> str:
    if message.kind == "voice":
        return inbound.voice_message(message.openid, recognition=message.text)
    if message.kind == "image":
        return inbound.image_message(message.openid)
    if message.kind == "subscribe":
        return inbound.subscribe_event(message.openid)
    return inbound.text_message(message.openid, message.text)


def _signed(messages: list[Message]) -> list[tuple[str, bytes]]:
    out = []
    for message in messages:
        query, body = inbound.sign_post(_xml(message), "aes", base.TOKEN, base.AES_KEY, base.APPID)
        path = "/wechat?" + "&".join(f"{k}={httpx.QueryParams({k: v})[k]}" for k, v in query.items())
        out.append((str(httpx.URL(path)), body))
    return out


def _write_wrk_file(path: Path, signed: list[tuple[str, bytes]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for url, body in signed:
            out.write(url + "\n" + body.decode("utf-8").replace("\n", "") + "\n")


# The warm-up pass's senders: not the measured followers. A picture from a follower waits 10 minutes for a
# ticket (tickets.earlier_media), so warming up with the measured followers' pictures made nearly every
# hand-over of the measured rows take one (a download job and attachment rows each), which real traffic's
# 4 % pictures do not.
WARM_UP_PREFIX = "owarmup"


def _warm_up_messages() -> list[Message]:
    return [Message("image", f"{WARM_UP_PREFIX}{i:06d}") for i in range(FOLLOWERS)]


def _warm_up(url: str, warmup: Path, connections: int) -> None:
    """Known followers, as in production: each one's state cached in Redis as after a first message (sending
    5,000 first messages takes minutes on a busy machine), then a short wrk pass, by other known followers, to
    warm the process."""
    import redis

    from storage.activity import FOLLOWER_TTL_S, ActivityLog, FollowerState

    client = redis.Redis.from_url(base.REDIS_URL)
    with client.pipeline(transaction=False) as pipe:
        for index in range(FOLLOWERS):
            for openid in (f"obench{index:06d}", f"{WARM_UP_PREFIX}{index:06d}"):
                pipe.set(ActivityLog.follower_key(openid), FollowerState(openid=openid).to_json(), ex=FOLLOWER_TTL_S)
        pipe.execute()
    base.run_wrk(url, warmup, 4, connections)
    base.drain()


def decision_latency(messages: list[Message]) -> tuple[float, float]:
    """The FAQ decision alone on these messages, in this process: (p50, p99) in milliseconds."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher
    from handlers.commands import command_of

    matcher = FaqMatcher.build(load_kb(base.ROOT / "config" / "faq.yaml"))
    texts = [m.text for m in messages if m.kind in ("text", "voice") and command_of(m.text) is None]
    for text in texts[:50]:
        matcher.decide(text + "。")  # warm up (a different string: no cache entry for the real ones)
    timings = []
    for text in texts:
        started = time.perf_counter()
        matcher.decide(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


def _backend_pids() -> list[int]:
    """The PostgreSQL backends serving the bench's database (the service's pooled connections)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base.PG_ADMIN)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": base.PG_DB},
            )
            return [int(pid) for (pid,) in rows]
    finally:
        engine.dispose()


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (Linux /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    total = sum(fields[:8])
    return (total - fields[3] - fields[4]) / tick, total / tick


def _load_generator_cpu() -> float:
    """CPU seconds of this process (the open-loop generator) and its finished children (wrk) so far."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _Meter:
    """CPU seconds of the web process, the worker and the database's backends over one row, and what the bot
    decided in it (from the message log the worker wrote, so read after ``drain``)."""

    def __init__(self, app: int, worker: int) -> None:
        self.app, self.worker = app, worker
        self.started_at = datetime.now(UTC)
        self.backends = {pid: base.cpu_seconds(pid) for pid in _backend_pids()}
        self.cpu = {"web": base.cpu_seconds(app), "worker": base.cpu_seconds(worker)}
        self.machine = _machine_busy()
        self.wall = time.monotonic()
        self.load = _load_generator_cpu()

    def stop(self) -> dict[str, Any]:
        self.ended_at = datetime.now(UTC)
        busy, _total = _machine_busy()
        self.busy_cores = (busy - self.machine[0]) / (time.monotonic() - self.wall)
        spent = {
            "web": base.cpu_seconds(self.app) - self.cpu["web"],
            "worker": base.cpu_seconds(self.worker) - self.cpu["worker"],
            "postgres": sum(base.cpu_seconds(pid) - self.backends.get(pid, 0.0) for pid in _backend_pids()),
            "load_generator": _load_generator_cpu() - self.load,
        }
        wall = time.monotonic() - self.wall
        # Everything else the machine did meanwhile: Redis, the fake WeChat API, and anyone else's work. The web
        # process's CPU per message rises with it (less of each loop turn is shared by several messages, and
        # caches are shared), so a row measured beside other work is not comparable with one measured without.
        self.other_cores = self.busy_cores - sum(spent.values()) / wall
        return spent

    def decisions(self) -> Counter[str]:
        from sqlalchemy import create_engine, text

        engine = create_engine(base.PG_URL)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT coalesce(meta->>'decision', msg_type), count(*) FROM message_log "
                        "WHERE direction = 'out' AND created_at >= :a AND created_at < :b GROUP BY 1"
                    ),
                    {"a": self.started_at, "b": self.ended_at},
                )
                return Counter({str(kind): int(n) for kind, n in rows})
        finally:
            engine.dispose()


def run_real_traffic(args: argparse.Namespace) -> None:
    workers_list: list[int] = args.workers or [1]
    seconds: int = args.seconds
    closed_budget = 800 * (seconds + 3) if args.mix == "realistic" else 0
    per_worker = sum(int(rate * seconds) for rate in args.rate) + closed_budget
    messages = stream(per_worker * len(workers_list), followers=FOLLOWERS)
    p50, p99 = decision_latency(messages)
    target = 0.8 / ((p50 + 1.0) / 1000)
    print(
        f"realistic mix: {len(messages)} distinct messages (bench/realistic.py); FAQ decision alone p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms → capacity target 0.8 / (p50 + 1 ms) = {target:.0f} msg/s",
        flush=True,
    )
    env, fake = base.service_env()
    venv_bin = Path(sys.executable).parent
    rows: list[tuple[str, int, dict[str, Any]]] = []
    cursor = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            warmup = Path(tmp) / "warmup.txt"
            _write_wrk_file(warmup, _signed(_warm_up_messages()))
            for workers in workers_list:
                port = base.free_port()
                app = base.start(
                    [str(venv_bin / "qiaobot"), "serve", "--port", str(port), "--workers", str(workers)], env
                )
                worker = base.start([str(venv_bin / "qiaobot"), "worker"], env)
                try:
                    base.wait_healthy(f"http://127.0.0.1:{port}/wechat")
                    _warm_up(f"http://127.0.0.1:{port}", warmup, args.connections)
                    for rate in args.rate:
                        count = int(rate * seconds)
                        signed = _signed(messages[cursor : cursor + count])
                        cursor += count
                        raw = [open_loop.http_request("127.0.0.1", port, url, body) for url, body in signed]
                        meter = _Meter(app.pid, worker.pid)
                        result = open_loop.run_blocking("127.0.0.1", port, raw, rate, seconds)
                        spent = meter.stop()
                        row = _open_row(result, seconds)
                        print(
                            f"offered {rate:.0f}/s: statuses {result.statuses}, errors {result.error_kinds or 'none'}, "
                            f"{result.expired} idle connections past keep-alive closed unused",
                            flush=True,
                        )
                        row.update(_per_message(spent, len(result.latencies)))
                        rows.append((f"open loop, offered {rate:.0f}/s", workers, row))
                        base.drain()
                        row.update(decisions=meter.decisions(), busy=meter.busy_cores, other=meter.other_cores)
                    if closed_budget:
                        signed = _signed(messages[cursor : cursor + closed_budget])
                        cursor += closed_budget
                        replay = Path(tmp) / f"closed-{workers}.txt"
                        _write_wrk_file(replay, signed)
                        meter = _Meter(app.pid, worker.pid)
                        closed: dict[str, Any] = dict(
                            base.run_wrk(f"http://127.0.0.1:{port}", replay, seconds, args.connections, timeout="10s")
                        )
                        spent = meter.stop()
                        closed.update(_per_message(spent, closed["rps"] * seconds))
                        rows.append((f"closed loop, wrk {args.connections} connections", workers, closed))
                        base.drain()
                        closed.update(decisions=meter.decisions(), busy=meter.busy_cores, other=meter.other_cores)
                finally:
                    base.stop(app)
                    base.stop(worker)
    finally:
        base.stop(fake)
    print(
        f"\nwebhook under realistic traffic: {seconds}s per row, PostgreSQL + Redis, a separate `qiaobot worker`, "
        f"the load generator on the same cores\n"
    )
    print(f"{'scenario':40} {'workers':>7} {'msg/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'>4s':>5} {'success':>7} {'errors':>6} {'CPU ms/msg':>10}")
    for label, workers, row in rows:
        print(
            f"{label:40} {workers:>7} {row['rps']:>7.0f} {row['p50']:>8.1f} {row['p99']:>8.1f} "
            f"{row.get('max', float('nan')):>8.0f} {row.get('late', '-')!s:>5} {row.get('success', '-')!s:>7} "
            f"{int(row.get('non2xx', 0) + row.get('socket_errors', 0)):>6} {row['cpu_ms']:>10.2f}"
        )
    for label, _workers, row in rows:
        decisions: Counter[str] = row.get("decisions", Counter())
        total = sum(decisions.values()) or 1
        mix = ", ".join(f"{kind} {100 * n / total:.1f}%" for kind, n in decisions.most_common())
        print(
            f"{label}: worker {row['worker_ms']:.2f}, PostgreSQL {row['postgres_ms']:.2f}, load generator "
            f"{row['load_generator_ms']:.2f} CPU ms/msg; web {row['cpu_ms'] * row['rps'] / 1000:.2f} cores, "
            f"the machine {row['busy']:.2f} cores busy, {row['other']:.2f} of them outside these processes; "
            f"{total} replies: {mix}"
        )
    print(
        "CPU ms/msg: the web process's own CPU time (user + system) over the row, per answered message; "
        f"the decision alone takes p50 {p50:.2f} ms of it"
    )
    print(f"\ncapacity target (0.8 / (decision p50 {p50:.2f} ms + 1 ms)): {target:.0f} msg/s")


def _per_message(spent: dict[str, float], answered: float) -> dict[str, float]:
    count = max(1.0, answered)
    return {f"{name}_ms" if name != "web" else "cpu_ms": 1000 * cpu / count for name, cpu in spent.items()}


def _open_row(result: open_loop.Result, seconds: int) -> dict[str, Any]:
    non_ok = sum(count for status, count in result.statuses.items() if status != 200)
    return {
        "rps": len(result.latencies) / seconds,
        "p50": result.percentile(0.5) * 1000,
        "p99": result.percentile(0.99) * 1000,
        "max": max(result.latencies, default=float("nan")) * 1000,
        "late": sum(1 for latency in result.latencies if latency > PAST_BUDGET_S),
        "success": result.success_bodies,
        "non2xx": non_ok,
        "socket_errors": result.errors,
    }
