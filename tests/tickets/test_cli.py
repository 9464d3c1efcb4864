"""The operator's commands: migrate, create a console account, ask for a due time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from bot.cli import main
from config.settings import get_settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import os

    for name in list(os.environ):
        if name.startswith("QIAOBOT_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QIAOBOT_DATABASE_URL", url)
    monkeypatch.setenv("QIAOBOT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_db_upgrade_then_staff_create(cli_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        main, ["staff", "create", "alice", "--role", "supervisor", "--password-stdin"], input="a-long-enough-password\n"
    )
    assert result.exit_code == 0, result.output
    engine = create_engine(cli_env)
    with engine.connect() as conn:
        role, hashed = conn.execute(text("select role, password_hash from staff_users where username='alice'")).one()
    engine.dispose()
    assert role == "supervisor" and hashed.startswith("$argon2")
    again = runner.invoke(main, ["staff", "create", "alice", "--password-stdin"], input="a-long-enough-password\n")
    assert again.exit_code != 0 and "已存在" in again.output
    weak = runner.invoke(main, ["staff", "create", "bob", "--password-stdin"], input="short\n")
    assert weak.exit_code != 0 and "密码" in weak.output


@pytest.mark.parametrize(
    ("received", "due", "provisional"),
    [
        ("2026-09-30T10:00:00+08:00", "2026-10-09T17:30:00+08:00", False),  # National Day and its 调休
        ("2026-11-22T23:59:00+08:00", "2026-11-24T17:30:00+08:00", False),  # a Sunday night
        ("2026-12-31T10:00", "2027-01-05T17:30:00+08:00", True),  # no offset = Beijing; 2027 not published
    ],
)
def test_sla_due_json(cli_env: str, received: str, due: str, provisional: bool) -> None:
    result = CliRunner().invoke(main, ["sla", "due", received, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"due": due, "provisional": provisional}


def test_sla_due_refuses_a_non_date(cli_env: str) -> None:
    result = CliRunner().invoke(main, ["sla", "due", "next tuesday"])
    assert result.exit_code != 0 and "ISO 8601" in result.output
