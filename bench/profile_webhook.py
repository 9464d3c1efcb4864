"""Where a realistic message's time goes, in one process: the webhook's own work beside the FAQ decision.

Sends ``--count`` messages of the realistic mix (``bench/realistic.py``; safe mode, known followers) straight
into the ASGI app (no sockets, no load generator in the process), ``--concurrency`` at a time, against
PostgreSQL and Redis as ``bench/webhook.py`` uses them. Prints the process CPU time per message, the FAQ
decision's share of it, and the SQL statements and Redis round trips per message by what the bot decided.
``--profile out.prof`` records cProfile for ``python -m pstats``; ``--sqlite`` uses a SQLite file instead. At
``--concurrency 1`` each kind's CPU is its own, and "own ms" is that less the FAQ decision's.

    python bench/profile_webhook.py [--count 2000] [--concurrency 8] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import webhook as base  # noqa: E402
from bench.real_traffic import _signed  # noqa: E402
from bench.realistic import stream  # noqa: E402

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("profiled", default=None)


def _instrument(services: Any) -> None:
    """Count SQL statements and Redis round trips per message, and note what the bot decided."""
    from redis.asyncio.connection import Connection
    from sqlalchemy import event

    @event.listens_for(services.engine.sync_engine, "before_cursor_execute")
    def _sql(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        record = _current.get()
        if record is not None:
            record["sql"].append(statement.split()[0].upper())
            record.setdefault("text", []).append(" ".join(statement.split())[:160])

    original = Connection.send_packed_command

    async def send(self, command, check_health=True):  # type: ignore[no-untyped-def]
        record = _current.get()
        if record is not None:
            record["redis"] += 1
        return await original(self, command, check_health)

    Connection.send_packed_command = send  # type: ignore[method-assign]

    dispatch = services.dispatcher.dispatch

    async def dispatch_noting(ctx):  # type: ignore[no-untyped-def]
        reply = await dispatch(ctx)
        record = _current.get()
        if record is not None and reply is not None:
            record["decision"] = str(reply.meta.get("decision") or ctx.message.type)
        return reply

    services.dispatcher.dispatch = dispatch_noting

    decide = services.knowledge.decide

    async def decide_timed(text: str):  # type: ignore[no-untyped-def]
        started = time.process_time()
        try:
            return await decide(text)
        finally:
            record = _current.get()
            if record is not None:
                record["decide"] += time.process_time() - started

    services.knowledge.decide = decide_timed


async def _call(app: Any, url: str, body: bytes, record: dict[str, Any]) -> bytes:
    path, _, query = url.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"content-type", b"text/xml"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    out: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            record["status"] = message["status"]
        elif message["type"] == "http.response.body":
            out.append(message.get("body", b""))

    token = _current.set(record)
    try:
        await app(scope, receive, send)
    finally:
        _current.reset(token)
    return b"".join(out)


async def _run(args: argparse.Namespace) -> None:
    from bot.app import create_app
    from bot.bootstrap import build_services
    from config.settings import load_settings
    from storage.activity import FOLLOWER_TTL_S, ActivityLog, FollowerState

    tmp = Path(tempfile.mkdtemp(prefix="qiaobot-profile-"))
    if args.sqlite:
        from faq.store import seed_if_empty
        from storage.migrate import upgrade

        database_url = f"sqlite:///{tmp / 'profile.db'}"
        upgrade(database_url)
        seed_if_empty(ROOT / "config" / "faq.yaml", database_url)
        import redis

        redis.Redis.from_url(base.REDIS_URL).flushdb()
    else:
        base.prepare_database()
        database_url = base.PG_URL
    settings = load_settings(
        env="embedded",
        var_dir=tmp,
        database_url=database_url,
        redis_url=base.REDIS_URL,
        wechat_token=base.TOKEN,
        wechat_appid=base.APPID,
        wechat_secret=base.SECRET,
        wechat_aes_key=base.AES_KEY,
        wechat_api_base="http://127.0.0.1:9",  # nothing is sent: the worker does not run here
        run_jobs_in_process=False,
    )
    services = build_services(settings)
    await services.start(run_jobs=False)
    app = create_app(services=services, run_jobs=False)
    followers = 5000
    async with services.redis.pipeline(transaction=False) as pipe:
        for index in range(followers):
            openid = f"obench{index:06d}"
            pipe.set(ActivityLog.follower_key(openid), FollowerState(openid=openid).to_json(), ex=FOLLOWER_TTL_S)
        await pipe.execute()
    messages = stream(args.warmup + args.count, followers=followers)
    signed = _signed(messages)
    _instrument(services)
    records: list[dict[str, Any]] = []

    async def send_all(items: list[tuple[str, bytes]], keep: bool) -> None:
        queue = list(reversed(items))

        async def lane() -> None:
            while queue:
                url, body = queue.pop()
                record: dict[str, Any] = {"sql": [], "redis": 0, "decide": 0.0, "decision": "?", "status": 0}
                started, cpu_started = time.perf_counter(), time.process_time()
                await _call(app, url, body, record)
                record["latency"] = time.perf_counter() - started
                # The process's CPU over the call: this message's own only at --concurrency 1.
                record["cpu"] = time.process_time() - cpu_started
                if keep:
                    records.append(record)

        await asyncio.gather(*(lane() for _ in range(args.concurrency)))

    await send_all(signed[: args.warmup], keep=False)
    await services.activity.flush()
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU time, not preemption
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    await send_all(signed[args.warmup :], keep=True)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    flush_cpu = time.process_time()
    await services.activity.flush()  # the write-behind the worker does (not the web process's cost)
    flush_cpu = time.process_time() - flush_cpu
    await services.close()

    count = len(records)
    decide = sum(r["decide"] for r in records)
    print(f"{count} realistic messages, {args.concurrency} at a time, {'SQLite' if args.sqlite else 'PostgreSQL'}")
    print(f"process CPU {1000 * cpu / count:.2f} ms/msg (wall {1000 * wall / count:.2f} ms/msg), of which the FAQ "
          f"decision {1000 * decide / count:.2f} ms/msg; own work {1000 * (cpu - decide) / count:.2f} ms/msg")
    print(f"write-behind flush afterwards: {1000 * flush_cpu / count:.2f} ms/msg (worker's work)")
    latencies = sorted(r["latency"] for r in records)
    print(f"latency in process: p50 {1000 * statistics.median(latencies):.1f} ms, "
          f"p99 {1000 * latencies[int(0.99 * count)]:.1f} ms; statuses {dict(Counter(r['status'] for r in records))}")
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by[record["decision"]].append(record)
    own = args.concurrency == 1  # CPU per message by decision is attributable only one message at a time
    print(f"\n{'decision':20} {'share':>6} {'SQL/msg':>8} {'Redis/msg':>10} {'CPU ms' if own else '':>7} "
          f"{'own ms' if own else '':>7}  statements")
    for decision, group in sorted(by.items(), key=lambda item: -len(item[1])):
        kinds = Counter(kind for r in group for kind in r["sql"])
        per = ", ".join(f"{kind} {n / len(group):.1f}" for kind, n in kinds.most_common())
        cpu_ms = f"{1000 * sum(r['cpu'] for r in group) / len(group):.2f}" if own else ""
        # The webhook's own work on these messages: their CPU less the FAQ decision's.
        own_ms = f"{1000 * sum(r['cpu'] - r['decide'] for r in group) / len(group):.2f}" if own else ""
        print(f"{decision:20} {100 * len(group) / count:>5.1f}% {sum(len(r['sql']) for r in group) / len(group):>8.2f} "
              f"{sum(r['redis'] for r in group) / len(group):>10.2f} {cpu_ms:>7} {own_ms:>7}  {per}")
    if args.show:
        for record in [r for r in records if r["decision"] == args.show][:1]:
            print(f"\nstatements of one {args.show!r} message:")
            for line in record.get("text", []):
                print("  " + line)
    print(f"{'all':20} {100.0:>5.1f}% {sum(len(r['sql']) for r in records) / count:>8.2f} "
          f"{sum(r['redis'] for r in records) / count:>10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", default="")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--show", default="", help="print the SQL of one message with this decision")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(_run(args))
    except ImportError:  # pragma: no cover
        asyncio.run(_run(args))


if __name__ == "__main__":
    main()
