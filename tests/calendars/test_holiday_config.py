"""config/holidays.yaml parsing: what staff type must either load or be rejected with line and field."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from calendars.holiday_config import HolidayConfigError, load_holidays, parse_holidays

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "holidays.yaml"

# Hypothetical 2027 entries, only to exercise the loader; not the real notice.
VALID = """\
years:
  2027:
    official: true
    holidays: [2027-01-01, 2027-02-05, 2027-02-06]
    workdays:
      - 2027-02-13
  2028:
    holidays: [2028-01-03]
"""


def test_shipped_file_loads_and_invents_no_dates() -> None:
    calendar = load_holidays(SHIPPED)
    assert calendar.overrides == {}
    assert calendar.official_years == frozenset()
    # Any date (YYYY-MM-DD) in the shipped file may only appear in comments.
    for line in SHIPPED.read_text(encoding="utf-8").splitlines():
        code = line.split("#", 1)[0]
        assert not re.search(r"\d{4}-\d{2}-\d{2}", code), line


def test_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(VALID, encoding="utf-8")
    calendar = load_holidays(path)
    assert calendar.overrides == {
        date(2027, 1, 1): "holiday",
        date(2027, 2, 5): "holiday",
        date(2027, 2, 6): "holiday",
        date(2027, 2, 13): "workday",
        date(2028, 1, 3): "holiday",
    }
    assert calendar.official_years == frozenset({2027})
    assert calendar.is_working_day(date(2027, 2, 13))
    assert not calendar.is_provisional(date(2027, 7, 1))
    assert calendar.is_provisional(date(2028, 7, 3))
    assert not calendar.is_working_day(date(2028, 1, 3))


@pytest.mark.parametrize("text", ["", "# only comments\n", "years:\n", "years: {}\n", "years:\n  2027:\n"])
def test_empty_forms_give_an_empty_calendar(text: str) -> None:
    calendar = parse_holidays(text)
    assert calendar.overrides == {}
    assert calendar.official_years == frozenset()


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            "years:\n  2027:\n    holidays: [2027-02-30]\n",
            3,
            "years.2027.holidays[0]",
            "not a real calendar date",
        ),
        (
            "years:\n  2027:\n    holidays:\n      - 2027-02-05\n      - 2/6\n",
            5,
            "years.2027.holidays[1]",
            "YYYY-MM-DD",
        ),
        ("years:\n  2027:\n    holidays: [2028-01-01]\n", 3, "years.2027.holidays[0]", "is not in 2027"),
        (
            "years:\n  2027:\n    holidays: [2027-02-05]\n    workdays: [2027-02-05]\n",
            4,
            "years.2027.workdays[0]",
            "already listed in years.2027.holidays",
        ),
        ("years:\n  2027:\n    holiday: [2027-02-05]\n", 3, "years.2027.holiday", "unknown key"),
        ("years:\n  2027:\n    official: yes please\n", 3, "years.2027.official", "true or false"),
        (
            "years:\n  2027:\n    official: true\n    workdays: [2027-02-13]\n",
            3,
            "years.2027.official",
            "must list",
        ),
        ("years:\n  next:\n    holidays: []\n", 2, "years.next", "between 1 and 9999"),
        ("years:\n  0:\n    holidays: []\n", 2, "years.0", "between 1 and 9999"),
        ("years:\n  2027: {}\n  2027: {}\n", 3, "years.2027", "appears twice"),
        ("years:\n  2027:\n    holidays: 2027-02-05\n", 3, "years.2027.holidays", "expected a list"),
        ("years: [2027]\n", 1, "years", "expected a mapping"),
        ("year:\n  2027: {}\n", 1, "year", "unknown key"),
    ],
)
def test_mistakes_name_line_and_field(text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(HolidayConfigError) as caught:
        parse_holidays(text, source="holidays.yaml")
    error = str(caught.value)
    assert error.startswith(f"holidays.yaml:{line}: {field}: "), error
    assert message in error


def test_broken_yaml_syntax_names_the_line() -> None:
    # An unclosed list is only noticed at the end of the file; the message
    # also points back at where the list started.
    with pytest.raises(HolidayConfigError, match=r"^holidays.yaml:4: not valid YAML.*starts at line 3"):
        parse_holidays("years:\n  2027:\n    holidays: [2027-02-05\n", source="holidays.yaml")
    with pytest.raises(HolidayConfigError, match=r"^holidays.yaml:2: not valid YAML"):
        parse_holidays("years:\n\t2027: {}\n", source="holidays.yaml")


def test_load_reports_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text("years:\n  2027:\n    holidays: [2027-13-01]\n", encoding="utf-8")
    with pytest.raises(HolidayConfigError, match=re.escape(f"{path}:3: years.2027.holidays[0]")):
        load_holidays(path)
