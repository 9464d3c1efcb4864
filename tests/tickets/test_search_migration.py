"""Migration 0019 builds one search document per ticket from the tickets already stored (question, users'
messages, notes; not the bot's replies), and goes back down to migration 0014's indexes (on the test's
backend)."""

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


def _docs(url: str) -> dict[int, str]:
    engine = create_engine(url)
    key = "ticket_id" if engine.dialect.name == "postgresql" else "rowid"
    try:
        with engine.connect() as conn:
            return {int(k): str(d) for k, d in conn.execute(text(f"SELECT {key}, doc FROM ticket_search"))}
    finally:
        engine.dispose()


def test_documents_are_built_from_stored_tickets_and_the_step_goes_back(empty_database: str) -> None:
    from storage.migrate import downgrade, upgrade

    upgrade(empty_database, "0018_attachment_playback")
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        for ticket_id, question in ((1, "护照过期了 Passport"), (2, "房产继承")):
            conn.execute(
                text(
                    "INSERT INTO tickets (id, number, openid, source_key, answer_token, state, question, script, "
                    "created_at, due_at, due_provisional, answer_delivery, extension_count, waited_seconds, "
                    "reopen_count, version) VALUES (:id, :number, :key, :key, :token, 'open', :q, 'hans', "
                    "'2026-11-20 10:00:00', '2026-11-23 10:00:00', false, 'none', 0, 0, 0, 1)"
                ),
                {"id": ticket_id, "number": f"Q20261120-000{ticket_id}", "key": f"k{ticket_id}",
                 "token": f"t{ticket_id}", "q": question},
            )  # fmt: skip
        for kind, body in (("user", "我在马德里"), ("bot", "机器人的回复"), ("note", "已联系陈建华")):
            conn.execute(
                text(
                    "INSERT INTO ticket_messages (ticket_id, kind, author, body, created_at) "
                    "VALUES (1, :kind, 'x', :body, '2026-11-20 10:05:00')"
                ),
                {"kind": kind, "body": body},
            )
    engine.dispose()

    upgrade(empty_database)
    docs = _docs(empty_database)
    assert set(docs) == {1, 2}
    assert docs[1].split("\n")[1:] == ["护照过期了 passport" if BACKEND == "server" else "护照过期了 Passport",
                                       "我在马德里", "已联系陈建华"]  # fmt: skip
    assert docs[1].split("\n")[0].upper() == "Q20261120-0001"

    downgrade(empty_database, "0018_attachment_playback")
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        if BACKEND == "server":
            indexes = {
                r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'ticket%'"))
            }
            assert {"ix_tickets_search", "ix_ticket_messages_search"} <= indexes
        else:
            found = conn.execute(text("SELECT rowid FROM ticket_search_messages WHERE doc MATCH '\"马德里\"'")).all()
            assert len(found) == 1
    engine.dispose()
    upgrade(empty_database)
    assert set(_docs(empty_database)) == {1, 2}


def test_a_database_that_cannot_read_chinese_is_refused() -> None:
    """Under LC_CTYPE C no Chinese character is a letter: the search would find every ticket for 护照."""
    if BACKEND != "server":
        pytest.skip("PostgreSQL's character classes")
    from storage.migrate import upgrade

    name = f"qiaobot_c_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LC_CTYPE 'C' LC_COLLATE 'C' ENCODING 'UTF8'"))
    try:
        with pytest.raises(RuntimeError, match="cannot read Chinese in this database"):
            upgrade(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
