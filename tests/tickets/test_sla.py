"""Reply due time: close of business of the second working day after arrival (arrival day never counted).

Expected dates are worked out by hand from 国务院办公厅关于2026年部分节假日安排的通知:
春节 2月15日-23日 off, 2月14日(六)、2月28日(六) worked; 中秋 9月25日-27日 off;
国庆 10月1日-7日 off, 9月20日(日)、10月10日(六) worked.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendars.holiday_config import parse_holidays
from calendars.working_days import WorkingCalendar
from tickets.sla import BEIJING, DueTime, due_time, format_due_zh, working_time_left

CAL = WorkingCalendar()


def bj(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


DUE_TABLE = [
    # National Day 2026 and the 调休 around it
    (bj(2026, 9, 19), bj(2026, 9, 21, 17, 30), "Sat; 9月20日 Sunday is a 调休 working day"),
    (bj(2026, 9, 24), bj(2026, 9, 29, 17, 30), "Thu before 中秋 weekend 9/25-27"),
    (bj(2026, 9, 29), bj(2026, 10, 8, 17, 30), "Tue: 9/30, then 10/8"),
    (bj(2026, 9, 30, 9, 0), bj(2026, 10, 9, 17, 30), "Wed before the holiday"),
    (bj(2026, 9, 30, 23, 59), bj(2026, 10, 9, 17, 30), "late Wed, same answer"),
    (bj(2026, 10, 1), bj(2026, 10, 9, 17, 30), "National Day itself"),
    (bj(2026, 10, 4), bj(2026, 10, 9, 17, 30), "mid-holiday"),
    (bj(2026, 10, 7, 23, 59), bj(2026, 10, 9, 17, 30), "last holiday evening"),
    (bj(2026, 10, 8), bj(2026, 10, 10, 17, 30), "Thu: due on the 调休 Saturday"),
    (bj(2026, 10, 9), bj(2026, 10, 12, 17, 30), "Fri: Sat 10/10 counts, Sun does not"),
    (bj(2026, 10, 10, 12, 0), bj(2026, 10, 13, 17, 30), "arrival on the 调休 Saturday"),
    # Spring Festival 2026
    (bj(2026, 2, 12), bj(2026, 2, 14, 17, 30), "Thu: due on the 调休 Saturday 2/14"),
    (bj(2026, 2, 13, 18, 0), bj(2026, 2, 24, 17, 30), "Fri evening before the 9-day break"),
    (bj(2026, 2, 14, 16, 0), bj(2026, 2, 25, 17, 30), "arrival on the 调休 Saturday"),
    (bj(2026, 2, 17), bj(2026, 2, 25, 17, 30), "正月初一"),
    (bj(2026, 2, 26), bj(2026, 2, 28, 17, 30), "Thu: due on the 调休 Saturday 2/28"),
    (bj(2026, 2, 27), bj(2026, 3, 2, 17, 30), "Fri: Sat 2/28, then Mon"),
    # Ordinary weeks
    (bj(2026, 3, 6, 20, 0), bj(2026, 3, 10, 17, 30), "Friday evening"),
    (bj(2026, 3, 8, 11, 0), bj(2026, 3, 10, 17, 30), "Sunday"),
    (bj(2026, 3, 11, 0, 1), bj(2026, 3, 13, 17, 30), "00:01 Wednesday"),
    (bj(2026, 3, 11, 23, 59), bj(2026, 3, 13, 17, 30), "23:59 Wednesday: arrival day never counts"),
    (bj(2026, 3, 10, 18, 0), bj(2026, 3, 12, 17, 30), "after close of business"),
    (bj(2026, 3, 10, 8, 0), bj(2026, 3, 12, 17, 30), "before opening"),
]


@pytest.mark.parametrize(("received", "expected", "why"), DUE_TABLE, ids=[row[2] for row in DUE_TABLE])
def test_due_time_table(received: datetime, expected: datetime, why: str) -> None:
    result = due_time(received, CAL)
    assert result == DueTime(due=expected, provisional=False), why
    assert result.due.tzinfo is BEIJING


def test_arrival_is_converted_to_beijing_first() -> None:
    # 16:30 UTC on Tuesday is 00:30 Wednesday in Beijing.
    assert due_time(datetime(2026, 3, 10, 16, 30, tzinfo=UTC), CAL).due == bj(2026, 3, 13, 17, 30)
    assert due_time(datetime(2026, 3, 10, 15, 59, tzinfo=UTC), CAL).due == bj(2026, 3, 12, 17, 30)
    # Tuesday 20:00 in New York (EDT since 3/8) is Wednesday 08:00 in Beijing.
    new_york = datetime(2026, 3, 10, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    assert due_time(new_york, CAL).due == bj(2026, 3, 13, 17, 30)


def test_turn_of_2026_2027_is_provisional() -> None:
    # 12/31 is a published 2026 working day; 2027 is not yet published, so
    # 元旦 and the weekend are our guess and the answer says so.
    assert due_time(bj(2026, 12, 30), CAL) == DueTime(due=bj(2027, 1, 4, 17, 30), provisional=True)
    # Both counted days are in 2026: firm, even though the next day would not be.
    assert due_time(bj(2026, 12, 29), CAL) == DueTime(due=bj(2026, 12, 31, 17, 30), provisional=False)
    assert due_time(bj(2027, 3, 3), CAL).provisional


def test_provisional_looks_at_counted_days_only() -> None:
    # The due day itself is counted: a guess there makes the answer provisional.
    # (Hypothetical, non-official 2027 entry making 1月1日 a workday.)
    calendar = parse_holidays("years:\n  2027:\n    workdays: [2027-01-01]\n")
    assert due_time(bj(2026, 12, 30), calendar) == DueTime(due=bj(2027, 1, 1, 17, 30), provisional=True)
    # The arrival day is never counted, so its year being a guess does not matter:
    # 2003 predates chinesecalendar's data, 2004 is published.
    assert CAL.is_provisional(date(2003, 12, 31))
    assert not due_time(bj(2003, 12, 31), CAL).provisional


def test_yaml_overrides_change_the_due_time() -> None:
    # Hypothetical entries standing in for a future notice, not real dates.
    calendar = parse_holidays(
        """\
years:
  2027:
    official: true
    holidays: [2027-01-01, 2027-01-02, 2027-01-03, 2027-01-04]
"""
    )
    assert due_time(bj(2026, 12, 30), calendar) == DueTime(due=bj(2027, 1, 5, 17, 30), provisional=False)
    staff_cancel_tiaoxiu = parse_holidays("years:\n  2026:\n    holidays: [2026-10-10]\n")
    assert due_time(bj(2026, 10, 8), staff_cancel_tiaoxiu).due == bj(2026, 10, 12, 17, 30)


def test_close_of_business_is_configurable() -> None:
    result = due_time(bj(2026, 3, 6, 20, 0), CAL, close_of_business=time(18, 0))
    assert result.due == bj(2026, 3, 10, 18, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_time(datetime(2026, 3, 10, 9, 0), CAL)
    with pytest.raises(ValueError, match="without tzinfo"):
        due_time(bj(2026, 3, 10), CAL, close_of_business=time(17, 30, tzinfo=UTC))


def test_absurd_arrival_times_raise_value_error_not_crash() -> None:
    with pytest.raises(ValueError):
        due_time(datetime.max.replace(tzinfo=UTC), CAL)
    with pytest.raises(ValueError):
        due_time(bj(9999, 12, 30), CAL)
    early = due_time(datetime.min.replace(tzinfo=UTC), CAL)
    assert early == DueTime(due=datetime(1, 1, 3, 17, 30, tzinfo=BEIJING), provisional=True)


def test_format_due_zh() -> None:
    due = bj(2026, 11, 25, 17, 30)
    assert format_due_zh(due, today=date(2026, 11, 23)) == "11月25日（周三）17:30"
    assert format_due_zh(bj(2027, 1, 4, 17, 30), today=date(2026, 12, 30)) == "2027年1月4日（周一）17:30"
    assert format_due_zh(due) == "2026年11月25日（周三）17:30"  # no today: year always shown
    # Rendered in Beijing time whatever zone the value carries.
    assert format_due_zh(due.astimezone(UTC), today=date(2026, 1, 1)) == "11月25日（周三）17:30"
    assert format_due_zh(bj(2026, 10, 10, 9, 5), today=date(2026, 10, 8)) == "10月10日（周六）09:05"
    with pytest.raises(ValueError):
        format_due_zh(datetime(2026, 11, 25, 17, 30))


def test_working_time_left_skips_non_working_days() -> None:
    # Friday 17:30 to Tuesday 17:30: Fri 6.5h + Mon 24h + Tue 17.5h; the weekend is not counted.
    left = working_time_left(bj(2026, 3, 6, 17, 30), bj(2026, 3, 10, 17, 30), CAL)
    assert left == timedelta(hours=48)
    # Over National Day only 10/8 and the first 17.5h of 10/9 count.
    left = working_time_left(bj(2026, 10, 1, 0, 0), bj(2026, 10, 9, 17, 30), CAL)
    assert left == timedelta(hours=41, minutes=30)
    assert working_time_left(bj(2026, 3, 11, 9, 0), bj(2026, 3, 11, 17, 30), CAL) == timedelta(hours=8, minutes=30)


def test_working_time_left_is_negative_once_overdue() -> None:
    assert working_time_left(bj(2026, 3, 10, 18, 0), bj(2026, 3, 10, 17, 30), CAL) == timedelta(minutes=-30)
    with pytest.raises(ValueError):
        working_time_left(datetime(2026, 3, 10, 18, 0), bj(2026, 3, 10, 17, 30), CAL)
