"""Console latency at 100,000 tickets: the queue, search, a ticket page, statistics and the exports.

Creates a throwaway database (PostgreSQL on the local server, ``QIAOBOT_BENCH_PG_URL``; or a SQLite file with
``QIAOBOT_BENCH_BACKEND=sqlite``), migrates it to the revision before search, fills it with realistic tickets
(``ticket_corpus``: written questions in six styles, later additions, context, notes and answers; about 2.9
messages a ticket), then migrates to head, so the search indexes are built as an upgrade builds them, and
vacuums. It drives the app in-process with a logged-in client (ASGI transport: the figures are the app and
the database, not a network) and prints p50/p95 of wall time and of this process's CPU time per request
kind. Search requests are distinct queries (rare words and phrases cut from the documents, names, places,
phone numbers, ticket numbers and their endings, several terms, English, queries that match nothing, with
and without filters) except the common two-character words, which repeat as staff repeat them. Target:
p95 < 200 ms. Prints the load average, since the machine is shared; ``bench/search_explain.py`` gives the
search SQL's own execution times, which load affects less.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ticket_corpus import ABROAD, PLACES, SURNAMES, generate
from config.settings import load_settings
from staff.accounts import create_staff
from storage.db import create_sync_engine
from storage.migrate import upgrade
from tickets.models import Ticket, TicketMessage

BACKEND = os.environ.get("QIAOBOT_BENCH_BACKEND", "postgresql")
PG_ADMIN_URL = os.environ.get("QIAOBOT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("QIAOBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TICKETS = int(os.environ.get("QIAOBOT_BENCH_TICKETS", "100000"))
ROUNDS = int(os.environ.get("QIAOBOT_BENCH_ROUNDS", "100"))
# Measure only the request kinds whose names contain one of these, comma-separated (e.g. "search,queue");
# empty: all of them.
ONLY = [part for part in os.environ.get("QIAOBOT_BENCH_ONLY", "").split(",") if part] or [""]
# An already filled database (kept from an earlier run) to measure again instead of creating one.
REUSE_URL = os.environ.get("QIAOBOT_BENCH_DATABASE_URL", "")
PASSWORD = "bench-password-123"
BEFORE_SEARCH = "0013_staff_management"
TICKET_COLUMNS = [
    "id", "number", "openid", "source_key", "answer_token", "state", "department", "category", "question",
    "script", "assignee", "created_at", "due_at", "due_provisional", "answer", "answered_by", "answered_at",
    "first_answered_at", "closed_at", "answer_delivery", "referral", "extension_count", "waited_seconds",
    "rating", "rated_at", "waiting_since", "waiting_left_seconds", "reopen_count", "version",
]  # fmt: skip
MESSAGE_COLUMNS = ["id", "ticket_id", "kind", "author", "body", "created_at"]


def _fill_postgresql(url: str, now: datetime) -> tuple[int, int]:
    """COPY is about twenty times faster than INSERTs here, which matters at 100,000 tickets."""
    import psycopg

    tickets = messages = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn, conn.cursor() as cur:
        for batch in generate(TICKETS, now):
            with cur.copy(f"COPY tickets ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy:
                for row in batch.tickets:
                    row["answer_token"] = secrets.token_urlsafe(32)
                    copy.write_row([row.get(c) for c in TICKET_COLUMNS])
            with cur.copy(f"COPY ticket_messages ({', '.join(MESSAGE_COLUMNS)}) FROM STDIN") as copy:
                for row in batch.messages:
                    copy.write_row([row[c] for c in MESSAGE_COLUMNS])
            tickets, messages = tickets + len(batch.tickets), messages + len(batch.messages)
        cur.execute("SELECT setval('tickets_id_seq', %s), setval('ticket_messages_id_seq', %s)", (tickets, messages))
    return tickets, messages


def _fill_sqlite(url: str, now: datetime) -> tuple[int, int]:
    engine = create_sync_engine(url)
    tickets = messages = 0
    with Session(engine) as session:
        for batch in generate(TICKETS, now):
            session.execute(insert(Ticket), batch.tickets)
            session.execute(insert(TicketMessage), batch.messages)
            tickets, messages = tickets + len(batch.tickets), messages + len(batch.messages)
        session.commit()
    engine.dispose()
    return tickets, messages


def fill(url: str, now: datetime) -> None:
    upgrade(url, BEFORE_SEARCH)
    started = time.perf_counter()
    tickets, messages = (_fill_postgresql if BACKEND == "postgresql" else _fill_sqlite)(url, now)
    print(f"{tickets} tickets, {messages} messages written in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    upgrade(url)  # builds the search indexes over the rows, as on a live database
    engine = create_sync_engine(url)
    with Session(engine) as session:
        create_staff(session, "bench", PASSWORD, "supervisor")
        session.commit()
    # VACUUM as autovacuum would have after 100,000 inserts (PostgreSQL >= 13 vacuums insert-only tables):
    # it sets the visibility map the index-only counts rely on.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()
    print(f"migrated to head (search indexes), vacuumed and analysed in {time.perf_counter() - started:.0f} s")


def _rare_words(url: str, rng: random.Random, lengths: tuple[int, ...], wanted: int) -> list[str]:
    """The ``wanted`` least frequent of a few hundred Chinese words of the given lengths cut at random from
    the tickets' search documents: the rare words, names and places staff look up. Prints how often they
    occur (the corpus repeats its questions, so rare words come mostly from names, places and notes)."""
    engine = create_sync_engine(url)
    with Session(engine) as session:
        docs = list(session.scalars(text("SELECT doc FROM ticket_search")))
    engine.dispose()
    everything = "\x00".join(docs)
    counts: dict[str, int] = {}
    for _ in range(wanted * 6):
        runs = [r for r in re.findall(r"[\u4e00-\u9fff]+", rng.choice(docs)) if len(r) >= min(lengths)]
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.choice([n for n in lengths if n <= len(run)])
        start = rng.randrange(len(run) - size + 1)
        word = run[start : start + size]
        if word not in counts:
            counts[word] = everything.count(word)
    rare = sorted(counts, key=lambda w: (counts[w], w))[:wanted]
    found = sorted(counts[w] for w in rare)
    print(f"  rare words of {lengths} characters: {len(rare)}, occurring {found[0]}-{found[-1]} times")
    return rare


def search_queries(url: str, seed: int = 5) -> dict[str, list[str]]:
    """Distinct queries per kind, built from what the tickets hold (and what they do not)."""
    rng = random.Random(seed)
    engine = create_sync_engine(url)
    with Session(engine) as session:
        numbers = list(session.scalars(select(Ticket.number).order_by(Ticket.id).limit(5000)))
    engine.dispose()
    words = [
        "护照", "签证", "房产", "国籍", "户口", "学籍", "继承", "公证", "社保", "医保", "绿卡", "回国", "侨眷", "证明",
    ]  # fmt: skip
    names = [s + g for s in SURNAMES for g in ("建华", "美玲", "志强", "秀英", "国平", "丽娟")]
    phrases = ["护照过期", "身份证丢了", "老房子", "华侨子女", "出入境", "定居证明", "回国读书", "领事馆"]
    nothing = ["量子计算机", "火星移民", "zzqxwv", "足球比赛结果", "区块链挖矿", "qiaobot-无此词", "7777777777"]
    rare2 = _rare_words(url, rng, (2,), ROUNDS)
    rare4 = _rare_words(url, rng, (4, 5, 6), ROUNDS)
    return {
        "common 2-char word": [w for w in words for _ in range(ROUNDS // len(words) + 1)],
        "rare 2-char word": rare2,
        "rare 4-6-char phrase": rare4,
        "name": names,
        "place + word": [f"{p} {w}" for p, w in itertools.product((*PLACES, *ABROAD), words)],
        "phrase (3+ chars)": phrases + [p + w for p in ("在", "的") for w in words],
        "ticket number": rng.sample(numbers, min(len(numbers), ROUNDS)),
        "number tail": [n[-7:] for n in rng.sample(numbers, min(len(numbers), ROUNDS))],
        "phone digits": [f"{rng.randrange(10**8, 10**9)}"[:7] for _ in range(ROUNDS)],
        "english": ["passport", "visa", "green card", "Chinese", "renew", "abroad", "nationality", "call me"],
        "no match": [f"{q}{i}" if i else q for i in range(ROUNDS // len(nothing) + 1) for q in nothing],
    }


Timing = tuple[float, float, float, float]  # wall p50, wall p95, this process's CPU p50, CPU p95 (ms)


def _p50_p95(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[max(0, int(len(values) * 0.95) - 1)]


async def _timed(http: httpx.AsyncClient, paths: list[str]) -> Timing:
    """Wall time, and this process's CPU time (the app and the in-process client; not PostgreSQL's), which a
    shared machine's load inflates far less."""
    for path in paths[:5]:
        (await http.get(path)).raise_for_status()
    wall, cpu = [], []
    for path in itertools.islice(itertools.cycle(paths), ROUNDS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = await http.get(path)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        response.raise_for_status()
    return (*_p50_p95(wall), *_p50_p95(cpu))


async def measure(url: str, number: str, queries: dict[str, list[str]]) -> dict[str, Timing]:
    from bot.app import create_app
    from bot.bootstrap import build_services

    settings = load_settings(
        env="embedded",
        var_dir=Path(tempfile.mkdtemp()),
        database_url=url,
        redis_url=REDIS_URL,
        wechat_api_base="https://api.weixin.qq.com",
        run_jobs_in_process=False,
    )
    services = build_services(settings, redis_url=REDIS_URL)
    app = create_app(services=services, run_jobs=False)
    fixed: dict[str, list[str]] = {
        "queue page (open)": ["/console/tickets"],
        "queue page (all, page 50)": ["/console/tickets?state=all&page=50"],
        "queue page (category+assignee)": ["/console/tickets?category=教育&assignee=bob"],
        "queue API (overdue, 200/page)": ["/api/tickets?overdue=true&per_page=200"],
        "ticket page": [f"/console/tickets/{number}"],
        "stats API (12 weeks)": ["/api/stats"],
        "stats page (12 weeks)": ["/console/stats"],
    }
    searches = {f"search: {kind}": [_search(q) for q in items] for kind, items in queries.items()}
    since = (datetime.now(UTC) - timedelta(days=90)).strftime("%Y-%m-%d")
    filters = {"state": "answered", "department": "rights", "from": since}
    filtered = {
        "search common + state/department/dates": [_search(q, **filters) for q in queries["common 2-char word"]],
        "search rare + state/department/dates": [
            _search(q, **filters) for q in queries["rare 2-char word"] + queries["name"]
        ],
        "search common, open queue (default state)": [_search(q, state="open") for q in queries["common 2-char word"]],
        "search API (common 2-char, all states)": [
            f"/api/tickets?state=all&q={q}" for q in queries["common 2-char word"]
        ],
    }
    exports = {
        "export xlsx (search 'place + word')": [
            _search(q, path="/console/tickets/export.xlsx") for q in queries["place + word"]
        ],
        "monthly report xlsx": ["/console/stats/monthly.xlsx?month=" + datetime.now(UTC).strftime("%Y-%m")],
    }  # fmt: skip
    results: dict[str, Timing] = {}
    try:
        await services.knowledge.start()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            login = await http.post("/api/session", json={"username": "bench", "password": PASSWORD})
            login.raise_for_status()
            for name, paths in {**fixed, **searches, **filtered, **exports}.items():
                if not any(part in name for part in ONLY):
                    continue
                results[name] = await _timed(http, paths)
                p50, p95, cpu50, cpu95 = results[name]
                print(f"  {name:44} p50 {p50:7.1f}  p95 {p95:7.1f}  (CPU {cpu50:6.1f} / {cpu95:6.1f})", flush=True)
    finally:
        await services.close()
    return results


def _search(query: str, path: str = "/console/tickets", **params: Any) -> str:
    from urllib.parse import urlencode

    return path + "?" + urlencode({"q": query, "state": params.pop("state", "all"), **params})


def _first_number(url: str) -> str:
    engine = create_sync_engine(url)
    with engine.connect() as conn:
        number = str(conn.execute(text("SELECT number FROM tickets ORDER BY id LIMIT 1")).scalar_one())
    engine.dispose()
    return number


def _print(results: dict[str, Timing]) -> None:
    print(f"\n{'request':48} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50':>8} {'CPU p95':>8}", end="")
    print(f"   ({ROUNDS} requests each, target p95 < 200 ms)")
    for label, (p50, p95, cpu50, cpu95) in results.items():
        print(f"{label:48} {p50:8.1f} {p95:8.1f} {cpu50:8.1f} {cpu95:8.1f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def main() -> None:
    name = f"qiaobot_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = None
    if REUSE_URL:
        print(f"measuring {REUSE_URL}, load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        results = asyncio.run(measure(REUSE_URL, _first_number(REUSE_URL), search_queries(REUSE_URL)))
        _print(results)
        return
    if BACKEND == "postgresql":
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/{name}.db"
    print(f"backend {BACKEND}, {TICKETS} tickets, load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    try:
        fill(url, datetime.now(UTC))
        _print(asyncio.run(measure(url, _first_number(url), search_queries(url))))
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        elif url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
