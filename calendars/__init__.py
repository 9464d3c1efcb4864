"""Festival dates and Chinese working days: pure date logic, no I/O beyond the holiday YAML loader."""

from calendars.festivals import (
    FESTIVAL_NAMES,
    CustomFestival,
    Festival,
    FestivalName,
    FestivalYearOutOfRange,
    festival_date,
    festivals_in_year,
)
from calendars.holiday_config import HolidayConfigError, load_holidays, parse_holidays
from calendars.statutory_holidays import statutory_holidays
from calendars.working_days import CalendarOverflowError, DayStatus, WorkingCalendar

__all__ = [
    "FESTIVAL_NAMES",
    "CalendarOverflowError",
    "CustomFestival",
    "DayStatus",
    "Festival",
    "FestivalName",
    "FestivalYearOutOfRange",
    "HolidayConfigError",
    "WorkingCalendar",
    "festival_date",
    "festivals_in_year",
    "load_holidays",
    "parse_holidays",
    "statutory_holidays",
]
