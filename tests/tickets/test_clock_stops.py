"""Working time for a stopped clock: measured and added over weekends and holidays, in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from calendars.working_days import WorkingCalendar
from tickets.clock_stops import add_working_time, working_days_since, working_time_between
from tickets.sla import BEIJING

CAL = WorkingCalendar()
# Friday 2026-11-27 15:00 Beijing.
FRIDAY_3PM = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def test_working_time_skips_the_weekend() -> None:
    monday_9am = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert working_time_between(FRIDAY_3PM, monday_9am, CAL) == timedelta(hours=9 + 9)
    assert working_time_between(monday_9am, FRIDAY_3PM, CAL) == timedelta()


def test_adding_working_time_lands_after_the_weekend() -> None:
    # The rest of Friday is 9 hours: they end at Friday midnight, Beijing time.
    assert add_working_time(FRIDAY_3PM, timedelta(hours=9), CAL) == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    # One hour more is the first hour of Monday (Beijing).
    assert add_working_time(FRIDAY_3PM, timedelta(hours=10), CAL) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert add_working_time(FRIDAY_3PM, timedelta(), CAL) == FRIDAY_3PM


def test_what_was_left_at_the_pause_is_left_after_the_reply() -> None:
    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 17:30
    left = working_time_between(FRIDAY_3PM, due, CAL)
    resumed_at = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # the user replies Wednesday 10:00
    new_due = add_working_time(resumed_at, left, CAL)
    assert working_time_between(resumed_at, new_due, CAL) == left
    assert new_due > due


def test_working_days_since_does_not_count_the_first_day_or_weekends() -> None:
    assert working_days_since(FRIDAY_3PM, FRIDAY_3PM + timedelta(hours=2), CAL) == 0
    # Monday and Tuesday have ended by Wednesday morning.
    assert working_days_since(FRIDAY_3PM, datetime(2026, 12, 2, 1, 0, tzinfo=UTC), CAL) == 2
    # 2026-10-01..07 is the National Day holiday: no working day ends in it.
    before, after = datetime(2026, 9, 30, 2, 0, tzinfo=UTC), datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
    assert working_days_since(before, after, CAL) == 0


def test_the_median_time_to_answer_counts_working_time_without_the_wait() -> None:
    from tickets.stats import StatRow, summarize, working_hours

    monday_10am = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    plain = StatRow(FRIDAY_3PM, due, monday_10am, "answered", None)
    waited = StatRow(FRIDAY_3PM, due, monday_10am, "answered", None, waited_seconds=4 * 3600)
    assert summarize("x", [plain], monday_10am).median_answer_hours == 67.0  # wall clock, weekend included
    assert summarize("x", [plain], monday_10am, working_hours(CAL, BEIJING)).median_answer_hours == 19.0
    assert summarize("x", [waited], monday_10am, working_hours(CAL, BEIJING)).median_answer_hours == 15.0
