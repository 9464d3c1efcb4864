"""Console latency with 10,000 tickets on PostgreSQL: the queue page, the queue API, a ticket page, stats.

Creates a throwaway database on the local server (``QIAOBOT_BENCH_PG_URL``, default: the test server),
fills it, drives the app in-process with a logged-in client (ASGI transport, so the figures are the app
and the database, not a network), prints p50/p95 per request and drops the database. Target: p95 < 200 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import load_settings
from staff.accounts import create_staff
from storage.db import create_sync_engine
from storage.migrate import upgrade
from tickets.models import Ticket

PG_ADMIN_URL = os.environ.get("QIAOBOT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("QIAOBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TICKETS = int(os.environ.get("QIAOBOT_BENCH_TICKETS", "10000"))
ROUNDS = int(os.environ.get("QIAOBOT_BENCH_ROUNDS", "200"))
CATEGORIES = ("出入境", "国籍与身份", "教育", "社保", "房产", "投资", "法律援助", "其他")
ASSIGNEES = (None, "alice", "bob", "carol", "dave")
PASSWORD = "bench-password-123"


def fill(url: str, now: datetime) -> str:
    """Tickets over the last 20 weeks: 30 % open (a third of those overdue), the rest answered or closed."""
    rng = random.Random(7)
    rows = []
    for i in range(TICKETS):
        created = now - timedelta(minutes=rng.randrange(0, 20 * 7 * 24 * 60))
        due = created + timedelta(days=rng.choice((2, 3, 4)))
        roll = rng.random()
        state = "open" if roll < 0.3 else ("answered" if roll < 0.7 else "closed")
        if state == "open" and rng.random() < 0.66:
            created, due = (
                now - timedelta(hours=rng.randrange(1, 40)),
                now + timedelta(hours=rng.randrange(1, 60)),
            )
        answered = created + timedelta(hours=rng.uniform(0.5, 80)) if state != "open" else None
        rows.append(
            {
                "number": f"Q{created:%Y%m%d}-{i:05d}"[:20],
                "openid": f"o_bench_{i % 3000:05d}",
                "source_key": f"bench:{i}",
                "state": state,
                "category": rng.choice(CATEGORIES),
                "question": "请问在海外如何办理相关手续？" * rng.randrange(1, 6),
                "script": "hans",
                "assignee": rng.choice(ASSIGNEES),
                "created_at": created,
                "due_at": due,
                "due_provisional": False,
                "answer": "答复内容" if answered else None,
                "answered_at": answered,
                "first_answered_at": answered,
                "answer_delivery": "sent" if answered else "none",
                "reopen_count": 0,
                "version": 1,
            }
        )
    engine = create_sync_engine(url)
    with Session(engine) as session:
        session.execute(insert(Ticket), rows)
        create_staff(session, "bench", PASSWORD, "supervisor")
        session.commit()
        session.execute(text("ANALYZE"))
    engine.dispose()
    return str(rows[0]["number"])


async def measure(url: str, number: str) -> dict[str, tuple[float, float]]:
    from bot.app import create_app
    from bot.bootstrap import build_services
    from console import router as console_router

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
    if not any(getattr(route, "path", "") == "/console/login" for route in app.routes):
        app.include_router(console_router)
    requests = {
        "queue page (open)": "/console/tickets",
        "queue page (all, page 50)": "/console/tickets?state=all&page=50",
        "queue page (category+assignee)": "/console/tickets?category=教育&assignee=bob",
        "queue API (open)": "/api/tickets",
        "queue API (overdue, 200/page)": "/api/tickets?overdue=true&per_page=200",
        "ticket page": f"/console/tickets/{number}",
        "ticket API": f"/api/tickets/{number}",
        "stats API (12 weeks)": "/api/stats",
    }
    results: dict[str, tuple[float, float]] = {}
    try:
        await services.knowledge.start()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            login = await http.post("/api/session", json={"username": "bench", "password": PASSWORD})
            login.raise_for_status()
            for name, path in requests.items():
                for _ in range(10):
                    (await http.get(path)).raise_for_status()
                timings = []
                for _ in range(ROUNDS):
                    start = time.perf_counter()
                    response = await http.get(path)
                    timings.append((time.perf_counter() - start) * 1000)
                    response.raise_for_status()
                timings.sort()
                results[name] = (statistics.median(timings), timings[int(len(timings) * 0.95) - 1])
    finally:
        await services.close()
    return results


def main() -> None:
    name = f"qiaobot_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(url)
        started = time.perf_counter()
        number = fill(url, datetime.now(UTC))
        print(f"{TICKETS} tickets created in {time.perf_counter() - started:.1f} s (database {name})")
        results = asyncio.run(measure(url, number))
        print(f"{'request':34} {'p50 ms':>8} {'p95 ms':>8}   ({ROUNDS} requests each, target p95 < 200 ms)")
        for label, (p50, p95) in results.items():
            print(f"{label:34} {p50:8.1f} {p95:8.1f}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
