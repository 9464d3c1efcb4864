"""`qiaobot greetings status` and `upcoming` as a supervisor reads them: local times, past dates marked."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from config.settings import get_settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("QIAOBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QIAOBOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("QIAOBOT_TIMEZONE", "Europe/Madrid")  # not Beijing, not UTC: the zone must be the setting's
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_status_prints_send_times_in_the_configured_zone(cli_env: None) -> None:
    import asyncio

    from bot.bootstrap import build_services

    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0

    async def draft() -> None:
        services = build_services(get_settings())
        try:
            await services.greetings.create_draft(
                "测试节", date(2027, 2, 6), text_hans="节日快乐！", text_hant="節日快樂！", audience="all"
            )
        finally:
            await services.close()

    asyncio.run(draft())
    listed = json.loads(runner.invoke(main, ["greetings", "status", "--json"]).output)
    send_at = datetime.fromisoformat(listed[0]["sends"][0]["send_at"])
    assert send_at.utcoffset() == ZoneInfo("Europe/Madrid").utcoffset(send_at.replace(tzinfo=None))

    text = runner.invoke(main, ["greetings", "status"])
    assert text.exit_code == 0, text.output
    assert "（时间按 Europe/Madrid 显示）" in text.output
    assert send_at.strftime("%Y-%m-%d %H:%M") in text.output and "+00:00" not in text.output


def test_upcoming_marks_the_dates_already_past(cli_env: None) -> None:
    runner = CliRunner()
    past = runner.invoke(main, ["greetings", "upcoming", "--year", "2020"]).output.strip().splitlines()
    future = runner.invoke(main, ["greetings", "upcoming", "--year", "2090"]).output.strip().splitlines()
    assert past and all(line.endswith("（已过）") for line in past)
    assert future and not any("已过" in line for line in future)

    this_year = json.loads(runner.invoke(main, ["greetings", "upcoming", "--json"]).output)
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()
    assert [row["past"] for row in this_year] == [date.fromisoformat(row["date"]) < today for row in this_year]
