"""Festival dates 2025-2035 against a table built from published sources, not from lunar-python.

Sources for the pinned table:
- 春节, 端午, 中秋, 重阳: the Hong Kong Observatory derived lunisolar tables shipped
  in the `holidays` project (vacanza/holidays, holidays/calendars/chinese.py),
  which are maintained independently of lunar-python.
- 2026 春节/除夕: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04) gives
  2月15日 as 农历腊月二十八, so 除夕 is 2月16日 (腊月廿九) and 春节 2月17日.
- 清明: Xinhua (2025-04) quoting the Purple Mountain Observatory for 2024-2026
  (4日15:02, 4日20:49, 5日02:40 Beijing time); later years from a published
  table cross-checked by the ~5h49m yearly drift of the term.
- 七夕 2025-2030: two independent published tables agreeing with each other;
  2031-2035 are pinned from the library and only sanity-checked below.
- 元宵 = 春节 + 14 days and 除夕 = 春节 - 1 day by definition of the lunar month.
Several of these years have a new moon within 15 minutes of Beijing midnight
(2026 重阳, 2027 春节, 2030 春节, 2034 中秋), so they exercise the boundary.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from calendars.festivals import (
    FESTIVAL_NAMES,
    CustomFestival,
    Festival,
    FestivalYearOutOfRange,
    festival_date,
    festivals_in_year,
)

SPRING_FESTIVAL = {
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}
QINGMING = {
    2025: date(2025, 4, 4),
    2026: date(2026, 4, 5),
    2027: date(2027, 4, 5),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 4),
    2030: date(2030, 4, 5),
    2031: date(2031, 4, 5),
    2032: date(2032, 4, 4),
    2033: date(2033, 4, 4),
    2034: date(2034, 4, 5),
    2035: date(2035, 4, 5),
}
DRAGON_BOAT = {
    2025: date(2025, 5, 31),
    2026: date(2026, 6, 19),
    2027: date(2027, 6, 9),
    2028: date(2028, 5, 28),
    2029: date(2029, 6, 16),
    2030: date(2030, 6, 5),
    2031: date(2031, 6, 24),
    2032: date(2032, 6, 12),
    2033: date(2033, 6, 1),
    2034: date(2034, 6, 20),
    2035: date(2035, 6, 10),
}
QIXI = {
    2025: date(2025, 8, 29),
    2026: date(2026, 8, 19),
    2027: date(2027, 8, 8),
    2028: date(2028, 8, 26),
    2029: date(2029, 8, 16),
    2030: date(2030, 8, 5),
    2031: date(2031, 8, 24),
    2032: date(2032, 8, 12),
    2033: date(2033, 8, 1),
    2034: date(2034, 8, 20),
    2035: date(2035, 8, 10),
}
MID_AUTUMN = {
    2025: date(2025, 10, 6),
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
    2031: date(2031, 10, 1),
    2032: date(2032, 9, 19),
    2033: date(2033, 9, 8),
    2034: date(2034, 9, 27),
    2035: date(2035, 9, 16),
}
DOUBLE_NINTH = {
    2025: date(2025, 10, 29),
    2026: date(2026, 10, 18),
    2027: date(2027, 10, 8),
    2028: date(2028, 10, 26),
    2029: date(2029, 10, 16),
    2030: date(2030, 10, 5),
    2031: date(2031, 10, 24),
    2032: date(2032, 10, 12),
    2033: date(2033, 10, 1),
    2034: date(2034, 10, 20),
    2035: date(2035, 10, 9),
}
NEW_YEARS_EVE = {
    2025: date(2025, 1, 28),
    2026: date(2026, 2, 16),
    2027: date(2027, 2, 5),
    2028: date(2028, 1, 25),
    2029: date(2029, 2, 12),
    2030: date(2030, 2, 2),
    2031: date(2031, 1, 22),
    2032: date(2032, 2, 10),
    2033: date(2033, 1, 30),
    2034: date(2034, 2, 18),
    2035: date(2035, 2, 7),
}
LANTERN = {
    2025: date(2025, 2, 12),
    2026: date(2026, 3, 3),
    2027: date(2027, 2, 20),
    2028: date(2028, 2, 9),
    2029: date(2029, 2, 27),
    2030: date(2030, 2, 17),
    2031: date(2031, 2, 6),
    2032: date(2032, 2, 25),
    2033: date(2033, 2, 14),
    2034: date(2034, 3, 5),
    2035: date(2035, 2, 22),
}

PINNED = {
    "除夕": NEW_YEARS_EVE,
    "春节": SPRING_FESTIVAL,
    "元宵": LANTERN,
    "清明": QINGMING,
    "端午": DRAGON_BOAT,
    "七夕": QIXI,
    "中秋": MID_AUTUMN,
    "重阳": DOUBLE_NINTH,
}

CASES = [(name, year, expected) for name, table in PINNED.items() for year, expected in table.items()]


@pytest.mark.parametrize(("name", "year", "expected"), CASES, ids=[f"{n}-{y}" for n, y, _ in CASES])
def test_lunar_and_solar_term_festivals_match_published_dates(name: str, year: int, expected: date) -> None:
    assert festival_date(name, year) == expected


def test_pinned_table_is_internally_consistent() -> None:
    # Guards against typos in the table itself: the derived festivals keep
    # their fixed distance from 春节, and a lunar month is 29 or 30 days so
    # 七夕 (7/7) to 中秋 (8/15) is 37 or 38 days.
    for year in range(2025, 2036):
        assert LANTERN[year] - SPRING_FESTIVAL[year] == timedelta(days=14)
        assert SPRING_FESTIVAL[year] - NEW_YEARS_EVE[year] == timedelta(days=1)
        assert (MID_AUTUMN[year] - QIXI[year]).days in (37, 38)


@pytest.mark.parametrize("year", range(2025, 2036))
def test_fixed_solar_festivals(year: int) -> None:
    assert festival_date("元旦", year) == date(year, 1, 1)
    assert festival_date("国庆", year) == date(year, 10, 1)


def test_qingming_uses_beijing_date_not_utc() -> None:
    # 2026 清明 falls at 02:40 Beijing time on 4月5日, i.e. 18:40 UTC on 4月4日.
    assert festival_date("清明", 2026) == date(2026, 4, 5)


def test_new_years_eve_can_be_the_29th_of_the_twelfth_month() -> None:
    # 2026 notice: 2月15日 is 腊月二十八, so 除夕 (2月16日) is 廿九, not 三十.
    assert festival_date("除夕", 2026) == date(2026, 2, 16)


def test_override_table_wins_over_computation() -> None:
    pinned = {("中秋", 2057): date(2057, 9, 14)}
    assert festival_date("中秋", 2057, overrides=pinned) == date(2057, 9, 14)
    assert festival_date("中秋", 2057) == date(2057, 9, 13)
    assert festival_date("春节", 2057, overrides=pinned) == date(2057, 2, 4)


def test_festivals_in_year_is_sorted_and_complete() -> None:
    festivals = festivals_in_year(2026)
    assert [f.name for f in festivals] == [
        "元旦",
        "除夕",
        "春节",
        "元宵",
        "清明",
        "端午",
        "七夕",
        "中秋",
        "国庆",
        "重阳",
    ]
    assert sorted(f.name for f in festivals) == sorted(FESTIVAL_NAMES)
    assert Festival("中秋", date(2026, 9, 25)) in festivals


def test_same_day_festivals_keep_a_stable_order() -> None:
    # 2031: 中秋 falls on 国庆.
    festivals = festivals_in_year(2031)
    october_first = [f.name for f in festivals if f.date == date(2031, 10, 1)]
    assert october_first == ["中秋", "国庆"]


def test_custom_festivals_are_merged_in_date_order() -> None:
    custom = [
        CustomFestival("侨联成立纪念日", 9, 1),
        CustomFestival("腊八", 12, 8, lunar=True),
        CustomFestival("闰日活动", 2, 29),
    ]
    festivals = festivals_in_year(2026, custom)
    by_name = {f.name: f.date for f in festivals}
    assert by_name["侨联成立纪念日"] == date(2026, 9, 1)
    assert by_name["腊八"] == date(2026, 1, 26)  # 腊八 of the lunar year that began in 2025
    assert "闰日活动" not in by_name  # 2026 has no 2月29日
    assert festivals == sorted(festivals, key=lambda f: f.date)
    assert any(f.name == "闰日活动" for f in festivals_in_year(2028, custom))


def test_late_lunar_dates_can_occur_twice_or_never_in_a_gregorian_year() -> None:
    laba = CustomFestival("腊八", 12, 8, lunar=True)
    assert laba.dates_in(2022) == [date(2022, 1, 10), date(2022, 12, 30)]
    assert laba.dates_in(2023) == []


def test_custom_lunar_day_thirty_falls_back_to_month_end() -> None:
    # 腊月 of lunar year 2025 has 29 days (除夕 2026 is 廿九).
    assert CustomFestival("年三十", 12, 30, lunar=True).dates_in(2026) == [date(2026, 2, 16)]


@pytest.mark.parametrize(
    ("month", "day", "lunar"),
    [(0, 1, False), (13, 1, False), (2, 30, False), (4, 31, False), (1, 31, True), (1, 0, True)],
)
def test_invalid_custom_festivals_are_refused(month: int, day: int, lunar: bool) -> None:
    with pytest.raises(ValueError):
        CustomFestival("x", month, day, lunar)


def test_unknown_festival_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown festival"):
        festival_date("圣诞", 2026)
    with pytest.raises(ValueError, match="unknown festival"):
        festival_date("中秋节", 2026)  # names are exactly the short forms


@pytest.mark.parametrize("year", [1, 1899, 2101, 9999])
def test_lunar_festivals_outside_trusted_range_raise_cleanly(year: int) -> None:
    with pytest.raises(FestivalYearOutOfRange):
        festival_date("春节", year)
    with pytest.raises(FestivalYearOutOfRange):
        festival_date("清明", year)
    assert festival_date("国庆", year) == date(year, 10, 1)


@pytest.mark.parametrize("year", [0, -5, 10000])
def test_impossible_years_raise_value_error(year: int) -> None:
    with pytest.raises(ValueError):
        festival_date("元旦", year)


def test_range_edges_compute() -> None:
    assert festival_date("春节", 1900) == date(1900, 1, 31)
    assert festival_date("春节", 2100) == date(2100, 2, 9)
