"""Best guess at a year's public holidays before the State Council publishes its notice.

《全国年节及纪念日放假办法》 (revised 2024, in force from 2025) fixes which days
are holidays; the yearly notice then adds 调休 (bridging days and make-up
workdays) that cannot be predicted. So this guess is the statutory days only,
and every answer built on it is marked provisional by the caller.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from calendars.festivals import LUNAR_YEARS, festival_date

# 春节 runs 除夕 to 正月初三: four days from the eve.
_SPRING_FESTIVAL_DAYS = 4


@lru_cache(maxsize=256)
def statutory_holidays(year: int) -> frozenset[date]:
    """Statutory public holidays of Gregorian ``year`` under the 2024 rules.

    For years outside the lunar tables only the fixed-date holidays are known;
    the lunar ones (and 清明) are left out rather than guessed.
    """
    days = {
        date(year, 1, 1),  # 元旦
        date(year, 5, 1),  # 劳动节
        date(year, 5, 2),
        date(year, 10, 1),  # 国庆节
        date(year, 10, 2),
        date(year, 10, 3),
    }
    if year in LUNAR_YEARS:
        eve = festival_date("除夕", year)
        days.update(eve + timedelta(days=i) for i in range(_SPRING_FESTIVAL_DAYS))
        days.add(festival_date("清明", year))
        days.add(festival_date("端午", year))
        days.add(festival_date("中秋", year))
    return frozenset(days)
