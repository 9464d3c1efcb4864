"""The upgrade gives every existing ticket its own unguessable answer-link token (on the test's backend)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import BACKEND, PG_ADMIN_URL

pytestmark = pytest.mark.backend  # runs again on PostgreSQL in the second round


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    if BACKEND != "server":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"qiaobot_mig_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_existing_tickets_get_distinct_tokens_and_keep_their_messages(empty_database: str) -> None:
    from storage.migrate import upgrade

    upgrade(empty_database, "0006_one_notification_table")
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        for index in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO tickets (id, number, openid, source_key, state, question, script, created_at, "
                    "due_at, due_provisional, answer_delivery, reopen_count, version) VALUES (:id, :number, :openid, "
                    ":src, 'answered', '问题', 'hans', :at, :at, false, 'none', 0, 1)"
                ),
                {"id": index, "number": f"Q-{index}", "openid": f"o_{index}", "src": f"s{index}", "at": "2026-11-20"},
            )
            conn.execute(
                text(
                    "INSERT INTO ticket_messages (ticket_id, kind, author, body, created_at) "
                    "VALUES (:id, 'user', 'o', '补充', '2026-11-21')"
                ),
                {"id": index},
            )
    upgrade(empty_database)
    with engine.connect() as conn:
        tokens = conn.execute(text("SELECT answer_token FROM tickets ORDER BY id")).scalars().all()
        messages = conn.execute(text("SELECT count(*) FROM ticket_messages")).scalar()
    engine.dispose()
    assert len(set(tokens)) == 2 and all(token and len(token) >= 40 for token in tokens)
    assert messages == 2
