"""EXPLAIN (ANALYZE, BUFFERS) of the search's SQL (``tickets.search``) on a filled database, for a few terms
of each kind: the index query (at most COUNT_CAP + 1 matches) and, when that hits the cap, the recency walk
for the first page. Execution times suffer less from a shared machine's load than whole-page timings.

    QIAOBOT_BENCH_DATABASE_URL=postgresql+psycopg://…/db python bench/search_explain.py [term …]

Prints each plan, then one line per query: matches (capped), index query ms, walk ms (from EXPLAIN's
"Execution Time"), and the shared buffers they hit/read.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.db import create_sync_engine
from tickets.queue import QueueFilter, scope_conditions, ticket_conditions
from tickets.search import COUNT_CAP, DOC_SCOPE, by_index, by_recency, search_terms

URL = os.environ.get("QIAOBOT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/qb_search")
DEFAULT_QUERIES = [
    "护照", "签证", "回国", "侨眷", "陈建华", "护照过期", "身份证丢了", "出入境", "passport", "green card",
    "青田 护照", "量子计算机", "zzqxwv", "6123456",
]  # fmt: skip
VERBOSE = os.environ.get("QIAOBOT_EXPLAIN_VERBOSE", "1") == "1"


def _explain(conn, statement: Select) -> tuple[float, str, str]:  # type: ignore[no-untyped-def]
    compiled = statement.compile(conn.engine, compile_kwargs={"render_postcompile": True})
    plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params))
    ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))  # type: ignore[union-attr]
    top = re.search(r"Buffers: ([^\n]+)", plan)
    return ms, plan, top.group(1) if top else ""


def main() -> None:
    engine = create_sync_engine(URL)
    with engine.connect() as conn:  # a real ticket's whole number and its ending
        number = str(conn.execute(text("SELECT number FROM tickets ORDER BY id DESC LIMIT 1")).scalar_one())
    queries = sys.argv[1:] or [*DEFAULT_QUERIES, number, number[-7:]]
    filters = {
        "": QueueFilter(state=None),
        "answered/rights/from 07-01": QueueFilter(
            state="answered", departments=("rights",), received_from=datetime(2026, 7, 1, tzinfo=UTC)
        ),
    }
    now = datetime.now(UTC)
    rows = []
    with engine.connect() as conn:
        for label, f in filters.items():
            where, doc_where = ticket_conditions(f, now), scope_conditions(f, *DOC_SCOPE)
            for query in queries:
                terms = search_terms(query)
                count = conn.execute(by_index("postgresql", where, terms, doc_where)).all()
                ms, plan, buffers = _explain(conn, by_index("postgresql", where, terms, doc_where))
                if VERBOSE:
                    print(f"== {query!r} {label} — index query\n{plan}\n")
                walk = ""
                if len(count) > COUNT_CAP:
                    walk_ms, walk_plan, walk_buffers = _explain(
                        conn, by_recency("postgresql", where, terms, 0, 50, doc_where)
                    )
                    walk = f"{walk_ms:8.1f}  ({walk_buffers})"
                    if VERBOSE:
                        print(f"== {query!r} {label} — recency walk\n{walk_plan}\n")
                shown = f"{COUNT_CAP}+" if len(count) > COUNT_CAP else str(len(count))
                rows.append(f"{query:14} {label:28} {shown:>6} {ms:8.1f}  ({buffers})  {walk}")
    engine.dispose()
    print(f"{'query':14} {'filters':28} {'found':>6} {'index ms':>8}  (buffers)  walk ms (buffers)")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
