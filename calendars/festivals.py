"""Gregorian dates of the traditional Chinese festivals the hotline greets users on.

Lunar festivals follow the mainland calendar (Purple Mountain Observatory rules,
GB/T 33661-2017), computed by lunar-python in Beijing time. A lunar month starts
on the Beijing date of its new moon, so a new moon a few minutes either side of
midnight decides the festival's day; when the published calendar and the
library ever disagree for such a year, the published date goes into
``DATE_OVERRIDES`` and wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal, get_args

from lunar_python import Lunar, LunarMonth, Solar

FestivalName = Literal["元旦", "除夕", "春节", "元宵", "清明", "端午", "七夕", "中秋", "重阳", "国庆"]

FESTIVAL_NAMES: Final[tuple[FestivalName, ...]] = get_args(FestivalName)

# lunar-python switches to the Julian calendar before 1582 and its tables are
# only checked against published calendars for modern years; outside this
# range a lunar date is refused rather than silently wrong.
LUNAR_YEARS: Final = range(1900, 2101)

# (festival, Gregorian year) -> date, for years where the published calendar
# differs from the computed one (new moon or 清明 within minutes of Beijing
# midnight). Checked 2025-2035 against the Hong Kong Observatory derived
# tables: no disagreement, so nothing is needed yet. Known close calls, for
# whoever re-checks: 2026 重阳 (九月初一 new moon 23:50), 2027 春节 (23:56),
# 2030 春节 (00:07), 2034 中秋 (八月初一 00:13), 2057 重阳 (00:00).
DATE_OVERRIDES: Final[Mapping[tuple[str, int], date]] = MappingProxyType({})

_LUNAR_MONTH_DAY: Final[Mapping[FestivalName, tuple[int, int]]] = MappingProxyType(
    {
        "春节": (1, 1),
        "元宵": (1, 15),
        "端午": (5, 5),
        "七夕": (7, 7),
        "中秋": (8, 15),
        "重阳": (9, 9),
    }
)

_SOLAR_MONTH_DAY: Final[Mapping[FestivalName, tuple[int, int]]] = MappingProxyType({"元旦": (1, 1), "国庆": (10, 1)})


class FestivalYearOutOfRange(ValueError):
    """A lunar festival was asked for a year the lunar tables are not trusted for."""


@dataclass(frozen=True)
class Festival:
    name: str
    date: date


@dataclass(frozen=True)
class CustomFestival:
    """A recurring day staff want greeted, e.g. 侨联成立纪念日 or 腊八 (lunar).

    A lunar day 30 in a 29-day month falls on that month's last day (the way
    除夕 does); a solar 2月29日 is skipped in common years.
    """

    name: str
    month: int
    day: int
    lunar: bool = False

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("custom festival needs a name")
        if not 1 <= self.month <= 12:
            raise ValueError(f"{self.name}: month {self.month} is not 1-12")
        if self.lunar:
            if not 1 <= self.day <= 30:
                raise ValueError(f"{self.name}: lunar day {self.day} is not 1-30")
        else:
            date(2024, self.month, self.day)  # 2024 is leap: accepts 2月29日, raises on 2月30日

    def dates_in(self, year: int) -> list[date]:
        """Its dates within Gregorian ``year``: usually one, but a lunar day late in
        the twelfth month can fall twice (early January and late December) or not at all.
        """
        if not self.lunar:
            try:
                return [date(year, self.month, self.day)]
            except ValueError:
                return []
        _require_lunar_year(year)
        found = []
        for lunar_year in (year - 1, year):
            if lunar_year not in LUNAR_YEARS:
                continue
            day = min(self.day, _lunar_month_length(lunar_year, self.month))
            when = _lunar_to_solar(lunar_year, self.month, day)
            if when.year == year:
                found.append(when)
        return found


def _require_lunar_year(year: int) -> None:
    if year not in LUNAR_YEARS:
        raise FestivalYearOutOfRange(
            f"lunar festival dates are only available for {LUNAR_YEARS.start}-{LUNAR_YEARS.stop - 1}, not {year}"
        )


def _lunar_to_solar(lunar_year: int, month: int, day: int) -> date:
    solar: Solar = Lunar.fromYmd(lunar_year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_month_length(lunar_year: int, month: int) -> int:
    """Days (29 or 30) in the regular, non-leap ``month`` of ``lunar_year``."""
    lunar_month = LunarMonth.fromYm(lunar_year, month)
    if lunar_month is None:  # cannot happen for a regular month inside LUNAR_YEARS
        raise FestivalYearOutOfRange(f"no lunar month {month} in {lunar_year}")
    return int(lunar_month.getDayCount())


def _qingming(year: int) -> date:
    # April 15 always lies in the lunar year that began in the same Gregorian
    # year, whose solar-term table holds that spring's 清明. lunar-python gives
    # term times in Beijing time, which is the date that counts (2026: 4月5日
    # 02:40 Beijing is still 4月4日 in UTC).
    term: Solar = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


@lru_cache(maxsize=2048)
def _computed_date(name: FestivalName, year: int) -> date:
    if name in _SOLAR_MONTH_DAY:
        month, day = _SOLAR_MONTH_DAY[name]
        return date(year, month, day)
    _require_lunar_year(year)
    if name == "清明":
        return _qingming(year)
    if name == "除夕":
        # The last day of the twelfth month is whichever of 廿九/三十 precedes 正月初一.
        return _computed_date("春节", year) - timedelta(days=1)
    month, day = _LUNAR_MONTH_DAY[name]
    return _lunar_to_solar(year, month, day)


def festival_date(
    name: str,
    year: int,
    *,
    overrides: Mapping[tuple[str, int], date] = DATE_OVERRIDES,
) -> date:
    """Date of festival ``name`` in Gregorian ``year`` (除夕 is the eve of that year's 春节).

    Raises ValueError for an unknown name, FestivalYearOutOfRange for a lunar
    festival outside ``LUNAR_YEARS``.
    """
    if name not in FESTIVAL_NAMES:
        raise ValueError(f"unknown festival {name!r}; expected one of {', '.join(FESTIVAL_NAMES)}")
    known: FestivalName = name  # narrowed to the Literal by the membership test above
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is outside 1-9999")
    pinned = overrides.get((known, year))
    if pinned is not None:
        return pinned
    return _computed_date(known, year)


def festivals_in_year(
    year: int,
    custom: Sequence[CustomFestival] = (),
    *,
    overrides: Mapping[tuple[str, int], date] = DATE_OVERRIDES,
) -> list[Festival]:
    """All standard festivals plus ``custom`` ones falling in ``year``, by date then name order."""
    found = [Festival(name, festival_date(name, year, overrides=overrides)) for name in FESTIVAL_NAMES]
    for extra in custom:
        found.extend(Festival(extra.name, when) for when in extra.dates_in(year))
    rank: dict[str, int] = {name: i for i, name in enumerate(FESTIVAL_NAMES)}
    return sorted(found, key=lambda f: (f.date, rank.get(f.name, len(rank)), f.name))
