"""The 2023 template rules as our senders apply them: whatever we fit passes the check the fake applies."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from wechat.template_fields import data_problems, fit, template_data, time_value, value_problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("thing1", "超时：留言 Q20261201-0001 已于12月3日（周四）17:30到期仍未答复（负责人：未分配）。"),
        ("thing2", "🎉 新留言\n请尽快处理 ✅"),
        ("phrase3", "已答复"),
    ],
)
def test_fitted_values_pass_the_check(key: str, value: str) -> None:
    fitted = fit(key, value)
    assert value_problem(key, fitted) is None, fitted
    assert "\n" not in fitted and "🎉" not in fitted


def test_long_text_is_clipped_with_an_ellipsis_at_twenty() -> None:
    fitted = fit("thing1", "一二三四五六七八九十" * 3)
    assert len(fitted) == 20 and fitted.endswith("…")
    assert fit("thing1", "短") == "短"


def test_template_data_maps_slots_to_fields_without_first_remark_or_colour() -> None:
    data = template_data(
        {"number": "character_string1", "status": "thing2", "time": "time3"},
        {"number": "Q20261201-0001", "status": "已答复，点击查看全文", "time": "2026年12月1日 14:30", "extra": "x"},
    )
    assert data == {
        "character_string1": {"value": "Q20261201-0001"},
        "thing2": {"value": "已答复，点击查看全文"},
        "time3": {"value": "2026年12月1日 14:30"},
    }
    assert data_problems(data) == []


def test_time_value_is_a_time_field_in_the_local_zone() -> None:
    at = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
    value = time_value(at, ZoneInfo("Asia/Shanghai"))
    assert value == "2026年12月1日 14:30"
    assert value_problem("time3", value) is None


def test_deprecated_and_unknown_fields_are_problems() -> None:
    assert data_problems({"first": {"value": "您好"}, "remark": {"value": "谢谢"}}) == [
        "data.first.value invalid",
        "data.remark.value invalid",
    ]
    assert value_problem("first", "x") is not None and "2023" in (value_problem("first", "x") or "")
    assert value_problem("phrase1", "已答复了吗呢") is not None  # more than 5
    assert value_problem("phrase1", "ok") is not None  # not Chinese
    assert value_problem("number2", "12.5") is None and value_problem("number2", "十二") is not None
