"""The missed-questions page reads a time window of message_log on every view: the query the page runs must be
served by the created_at index on both backends, not a scan of the whole log (SQLite here, PostgreSQL in the
server round). The plan is asked of the database for the exact SQL and parameters the query sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, text

from knowledge.missed_log import conversation_query
from storage.db import create_sync_engine
from storage.models import MessageLog

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _rows(start: datetime, count: int, prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "record_key": f"{prefix}:{i}:{'in' if i % 2 == 0 else 'out'}",
            "openid": f"o_{i % 300}",
            "direction": "in" if i % 2 == 0 else "out",
            "channel": "passive",
            "msg_type": "text",
            "content": f"护照第{i}问",
            "meta": {"decision": "answer"} if i % 2 else None,
            "created_at": start + timedelta(minutes=i),
        }
        for i in range(count)
    ]


def test_the_missed_page_query_uses_the_created_at_index(database_url: str, clean_backend: None) -> None:
    engine = create_sync_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(MessageLog), _rows(NOW - timedelta(days=400), 20_000, "old"))  # a year of log
            conn.execute(insert(MessageLog), _rows(NOW - timedelta(days=3), 120, "new"))  # the window
            conn.execute(text("ANALYZE"))
        sent: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
            if "FROM message_log" in statement:
                sent.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        with engine.connect() as conn:
            rows = conn.execute(conversation_query(NOW - timedelta(days=28))).all()
            assert len(rows) == 120
            statement, parameters = sent[-1]
            explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            plan = "\n".join(
                " ".join(str(c) for c in row) for row in conn.exec_driver_sql(explain + statement, parameters)
            )
        event.remove(engine, "before_cursor_execute", capture)
    finally:
        engine.dispose()
    assert "ix_message_log_created" in plan, plan
