"""Working days, checked against 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电, 2025-11-04):

元旦 1月1日-3日 (1月4日周日上班); 春节 2月15日-23日 (2月14日周六、2月28日周六上班);
清明 4月4日-6日; 劳动节 5月1日-5日 (5月9日周六上班); 端午 6月19日-21日;
中秋 9月25日-27日; 国庆 10月1日-7日 (9月20日周日、10月10日周六上班).
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from calendars.statutory_holidays import statutory_holidays
from calendars.working_days import CalendarOverflowError, DayStatus, WorkingCalendar

CAL = WorkingCalendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


NOTICE_2026_HOLIDAYS = [
    *_days(date(2026, 1, 1), date(2026, 1, 3)),
    *_days(date(2026, 2, 15), date(2026, 2, 23)),
    *_days(date(2026, 4, 4), date(2026, 4, 6)),
    *_days(date(2026, 5, 1), date(2026, 5, 5)),
    *_days(date(2026, 6, 19), date(2026, 6, 21)),
    *_days(date(2026, 9, 25), date(2026, 9, 27)),
    *_days(date(2026, 10, 1), date(2026, 10, 7)),
]
NOTICE_2026_MAKEUP_WORKDAYS = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def test_2026_matches_the_state_council_notice_day_by_day() -> None:
    holidays = set(NOTICE_2026_HOLIDAYS)
    makeup = set(NOTICE_2026_MAKEUP_WORKDAYS)
    for day in _days(date(2026, 1, 1), date(2026, 12, 31)):
        expected = day in makeup or (day.weekday() < 5 and day not in holidays)
        assert CAL.is_working_day(day) is expected, day
        assert CAL.is_provisional(day) is False


@pytest.mark.parametrize("day", NOTICE_2026_MAKEUP_WORKDAYS)
def test_tiaoxiu_weekend_days_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_working_day(day)


def test_next_working_day_skips_national_day_and_lands_on_tiaoxiu_saturday() -> None:
    assert CAL.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)  # 调休 Saturday
    assert CAL.next_working_day(date(2026, 10, 10)) == date(2026, 10, 12)


def test_add_working_days() -> None:
    assert CAL.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert CAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert CAL.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert CAL.add_working_days(date(2026, 3, 2), 10) == date(2026, 3, 16)


def test_year_without_published_schedule_is_provisional_statutory_guess() -> None:
    # 2027 is not in chinesecalendar 1.11; 春节 2027 is 2月6日 (Saturday), 除夕 2月5日.
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))
    assert CAL.is_provisional(date(2027, 3, 1))
    assert not CAL.is_working_day(date(2027, 1, 1))  # 元旦, Friday
    assert not CAL.is_working_day(date(2027, 2, 5))  # 除夕, Friday
    assert not CAL.is_working_day(date(2027, 2, 8))  # 正月初三, Monday
    assert CAL.is_working_day(date(2027, 2, 9))  # 初四, Tuesday
    assert not CAL.is_working_day(date(2027, 4, 5))  # 清明, Monday
    assert CAL.is_working_day(date(2027, 5, 3))  # Monday: 劳动节 is only 5月1日-2日 by statute
    assert not CAL.is_working_day(date(2027, 6, 9))  # 端午, Wednesday
    assert not CAL.is_working_day(date(2027, 9, 15))  # 中秋, Wednesday
    assert not CAL.is_working_day(date(2027, 10, 1))
    assert CAL.is_working_day(date(2027, 10, 4))  # no 调休 guessed: Monday is a working day
    assert not CAL.is_working_day(date(2027, 10, 9))  # plain Saturday


def test_statutory_guess_agrees_with_published_years_under_the_2024_rules() -> None:
    # The 2024 revision applies from 2025: every statutory day must be a day
    # off in the published 2025 and 2026 schedules.
    for year in (2025, 2026):
        for day in statutory_holidays(year):
            assert chinese_calendar.is_holiday(day), day


def test_statutory_holiday_count() -> None:
    assert len(statutory_holidays(2027)) == 13  # 1+4+1+2+1+1+3
    assert len(statutory_holidays(2028)) == 12  # 中秋 2028 is 10月3日, inside 国庆
    assert statutory_holidays(1) == frozenset(
        {date(1, 1, 1), date(1, 5, 1), date(1, 5, 2), date(1, 10, 1), date(1, 10, 2), date(1, 10, 3)}
    )


def test_overrides_win_over_published_schedule() -> None:
    cal = WorkingCalendar({date(2026, 10, 10): "holiday", date(2026, 10, 11): "workday"})
    assert not cal.is_working_day(date(2026, 10, 10))
    assert cal.is_working_day(date(2026, 10, 11))
    assert cal.is_working_day(date(2026, 10, 9))


def test_official_year_uses_overrides_plus_plain_weekdays() -> None:
    # Hypothetical notice, for the mechanism only: 2027-02-08 listed as a workday
    # and only three days off around 春节.
    overrides: dict[date, DayStatus] = {
        date(2027, 2, 5): "holiday",
        date(2027, 2, 6): "holiday",
        date(2027, 2, 7): "holiday",
        date(2027, 2, 8): "workday",
    }
    guess = WorkingCalendar(overrides)
    official = WorkingCalendar(overrides, official_years={2027})
    assert guess.is_provisional(date(2027, 6, 9))
    assert not official.is_provisional(date(2027, 6, 9))
    # 端午 2027 is not listed in the official overrides, so it is an ordinary Wednesday.
    assert not guess.is_working_day(date(2027, 6, 9))
    assert official.is_working_day(date(2027, 6, 9))
    assert official.is_working_day(date(2027, 2, 8))
    assert official.is_provisional(date(2028, 1, 3))


def test_bad_override_status_is_refused() -> None:
    with pytest.raises(ValueError, match="holiday"):
        WorkingCalendar({date(2026, 1, 5): "off"})  # type: ignore[dict-item]


def test_every_day_from_2004_to_2040_answers() -> None:
    # Covers published years, the unpublished tail and both transitions.
    for day in _days(date(2004, 1, 1), date(2040, 12, 31)):
        assert isinstance(CAL.is_working_day(day), bool)
    assert CAL.is_provisional(date(2003, 12, 31))
    assert not CAL.is_provisional(date(2004, 1, 1))


@pytest.mark.parametrize(
    "day",
    [
        date.min,
        date(1, 1, 2),
        date(1899, 12, 31),
        date(1900, 1, 31),
        date(2100, 2, 9),
        date(2101, 1, 1),
        date.max,
    ],
)
def test_absurd_dates_never_crash(day: date) -> None:
    assert isinstance(CAL.is_working_day(day), bool)
    assert CAL.is_provisional(day)


def test_arithmetic_at_the_ends_of_time() -> None:
    assert CAL.next_working_day(date.min) == date(1, 1, 2)  # 0001-01-01 is 元旦, a Monday
    assert CAL.previous_working_day(date.max) == date(9999, 12, 30)  # 9999-12-31 is a Friday
    with pytest.raises(CalendarOverflowError):
        CAL.next_working_day(date.max)
    with pytest.raises(CalendarOverflowError):
        CAL.previous_working_day(date.min)
    with pytest.raises(CalendarOverflowError):
        CAL.add_working_days(date(9999, 12, 30), 5)


def test_endless_holiday_overrides_are_reported_not_looped() -> None:
    start = date(2026, 3, 1)
    cal = WorkingCalendar({start + timedelta(days=i): "holiday" for i in range(1, 400)})
    with pytest.raises(ValueError, match="check holiday overrides"):
        cal.next_working_day(start)
