"""The lockout columns the Redis login throttle replaced are dropped; accounts survive, and the step
goes back down cleanly (on the test's backend)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

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


def _columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("staff_users")}
    finally:
        engine.dispose()


def test_lockout_columns_are_dropped_and_accounts_kept(empty_database: str) -> None:
    from storage.migrate import downgrade, upgrade

    upgrade(empty_database, "0011_ratings")
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff_users (username, display_name, password_hash, role, active, failed_logins, "
                "locked_until, created_at) VALUES ('alice', '爱丽丝', 'h', 'supervisor', true, 3, NULL, '2026-11-20')"
            )
        )
    engine.dispose()
    assert {"failed_logins", "locked_until"} <= _columns(empty_database)
    upgrade(empty_database)
    assert not {"failed_logins", "locked_until"} & _columns(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username, role FROM staff_users")).all() == [("alice", "supervisor")]
    engine.dispose()
    downgrade(empty_database, "0011_ratings")
    assert {"failed_logins", "locked_until"} <= _columns(empty_database)
    upgrade(empty_database)
    assert not {"failed_logins", "locked_until"} & _columns(empty_database)
