"""The pure rules: segments and their times, idempotency keys, grace, quota, templates, config, CLI dates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from click.testing import CliRunner

from greetings.config import (
    GreetingConfig,
    GreetingConfigError,
    TagTarget,
    load_greeting_config,
    parse_greeting_config,
)
from greetings.reasons import explain_error, explain_job_status
from greetings.schedule import (
    AudienceError,
    PlannedSend,
    check_quota,
    clientmsgid,
    draft_due,
    due_decision,
    plan_segments,
    render,
)
from wechat.api_errors import WeChatApiError, WeChatTransportError

DAY = date(2027, 1, 15)


def test_default_audience_is_one_send_at_nine_beijing() -> None:
    (segment,) = plan_segments(GreetingConfig(), DAY, "all")
    assert segment.tag_id is None and segment.send_at == datetime(2027, 1, 15, 1, 0, tzinfo=UTC)


def test_per_tag_times_follow_each_tags_zone_and_dst() -> None:
    audience = [TagTarget(tag_id=7, tag_name="美东", timezone="America/New_York", send_time=time(9, 0))]
    (winter,) = plan_segments(GreetingConfig(), DAY, audience)
    (summer,) = plan_segments(GreetingConfig(), date(2027, 7, 15), audience)
    assert winter.send_at.astimezone(UTC).hour == 14 and summer.send_at.astimezone(UTC).hour == 13
    assert winter.key == "tag:7"


def test_duplicate_or_empty_tag_audiences_are_refused() -> None:
    with pytest.raises(AudienceError):
        plan_segments(GreetingConfig(), DAY, [TagTarget(tag_id=1), TagTarget(tag_id=1)])
    with pytest.raises(AudienceError):
        plan_segments(GreetingConfig(), DAY, [])


def test_clientmsgid_is_stable_short_ascii_and_distinct_per_segment() -> None:
    first = clientmsgid("春节", DAY, "all")
    assert first == clientmsgid("春节", DAY, "all")
    assert first.isascii() and len(first.encode()) <= 64
    assert (
        len(
            {
                first,
                clientmsgid("春节", DAY, "tag:1"),
                clientmsgid("春节", DAY + timedelta(days=365), "all"),
                clientmsgid("元宵", DAY, "all"),
            }
        )
        == 4
    )


def test_grace_window() -> None:
    at = datetime(2027, 1, 15, 1, 0, tzinfo=UTC)
    grace = timedelta(hours=2)
    assert due_decision(at, at - timedelta(seconds=1), grace) == "wait"
    assert due_decision(at, at + timedelta(hours=2), grace) == "send"
    assert due_decision(at, at + timedelta(hours=2, seconds=1), grace) == "missed"


def test_draft_window() -> None:
    assert draft_due(date(2027, 1, 8), date(2027, 1, 1), 7)
    assert not draft_due(date(2027, 1, 9), date(2027, 1, 1), 7)
    assert not draft_due(date(2026, 12, 31), date(2027, 1, 1), 7)


def _at(day: str, hour: int = 1) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_subscription_quota_is_one_send_per_beijing_day() -> None:
    planned = [PlannedSend("春节", None, _at("2027-02-06"))]
    assert check_quota("subscription", planned, [PlannedSend("除夕", None, _at("2027-02-05"))]).ok
    # 17:00 UTC on the 5th is already the 6th in Beijing.
    report = check_quota("subscription", planned, [PlannedSend("别的", None, _at("2027-02-05", 17))])
    assert not report.ok and "别的" in report.problems[0]


def test_service_quota_counts_sends_reaching_the_same_follower_in_the_month() -> None:
    others = [PlannedSend(f"t{i}", None if i % 2 else 5, _at(f"2027-02-0{i + 1}")) for i in range(3)]
    assert check_quota("service", [PlannedSend("新", 5, _at("2027-02-20"))], others).ok
    assert not check_quota(
        "service",
        [PlannedSend("新", 5, _at("2027-02-20"))],
        [*others, PlannedSend("t9", 5, _at("2027-02-09"))],
    ).ok
    assert check_quota(
        "service",
        [PlannedSend("新", 6, _at("2027-02-20"))],
        [*others, PlannedSend("t9", 5, _at("2027-02-09"))],
    ).ok  # tag 5 does not reach tag 6
    assert check_quota(
        "service",
        [PlannedSend("新", 5, _at("2027-03-01"))],
        [*others, PlannedSend("t9", 5, _at("2027-02-09"))],
    ).ok  # next month


def test_templates_fill_the_zodiac_in_each_script() -> None:
    assert render("{生肖}年吉祥，{年份}", date(2026, 2, 17), "hans") == "马年吉祥，2026"
    assert render("{生肖}年吉祥", date(2026, 2, 17), "hant") == "馬年吉祥"
    assert render("{生肖}", date(2026, 2, 16), "hans") == "蛇"  # 除夕 still belongs to the old year


def test_reasons_are_actionable() -> None:
    assert "45028" in explain_error(WeChatApiError(45028, "has no masssend quota rid: x"))
    assert "clientmsgid" in explain_error(WeChatTransportError("timeout"))
    assert "access_token" in explain_error(WeChatApiError(40001, "invalid credential"))
    assert "rid" not in explain_error(WeChatApiError(12345, "odd rid: 1-2-3"))
    assert "广告" in explain_job_status("err(10001)")


def test_shipped_config_has_both_scripts_for_every_festival() -> None:
    from calendars.festivals import FESTIVAL_NAMES

    config = load_greeting_config()
    assert set(config.festivals) == set(FESTIVAL_NAMES)
    for name, greeting in config.festivals.items():
        assert greeting.hans != greeting.hant, name
    assert "快乐" not in config.festivals["清明"].hans


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("send_time: 9:00", "send_time"),
        ("timezone: Mars/Base", "timezone"),
        ("festivals: {春节: {hans: 春}}", "hant"),
        ("custom: [{name: 纪念日, month: 13, day: 1}]", "month 13"),
        ("audience: [{tag_id: 1, colour: red}]", "colour"),
    ],
)
def test_config_errors_name_the_field(text: str, field: str) -> None:
    with pytest.raises(GreetingConfigError, match=field):
        parse_greeting_config(text)


def test_cli_upcoming_json_lists_the_years_festivals() -> None:
    from greetings.cli import greetings

    result = CliRunner().invoke(greetings, ["upcoming", "--year", "2027", "--json"])
    assert result.exit_code == 0, result.output
    rows = [{"festival": r["festival"], "date": r["date"]} for r in json.loads(result.output)]
    assert {"festival": "春节", "date": "2027-02-06"} in rows
    assert {"festival": "除夕", "date": "2027-02-05"} in rows
    assert [row["date"] for row in rows] == sorted(row["date"] for row in rows)
    assert len(rows) == 10
