"""Reads config/holidays.yaml, where staff enter a year's State Council holiday notice.

The file is edited by hand by non-developers, so every mistake is reported
with its line and the field path (``years.2027.holidays[3]``) instead of a
stack trace, and anything ambiguous is refused rather than guessed.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from calendars.working_days import DayStatus, WorkingCalendar

_DATE_PATTERN: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_PATTERN: Final = re.compile(r"\d{1,4}")
_YEAR_FIELDS: Final = frozenset({"official", "holidays", "workdays"})
_LIST_STATUS: Final[dict[str, DayStatus]] = {"holidays": "holiday", "workdays": "workday"}


class HolidayConfigError(ValueError):
    """The holiday file is malformed; the message names file, line and field."""


def load_holidays(path: str | Path) -> WorkingCalendar:
    """Build a WorkingCalendar from the holiday YAML at ``path``."""
    source = Path(path)
    text = source.read_text(encoding="utf-8")
    return parse_holidays(text, source=str(source))


def parse_holidays(text: str, source: str = "<holidays>") -> WorkingCalendar:
    """Parse holiday YAML text; separate from the file read so it is testable without I/O."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        started = f" (in what starts at line {context.line + 1})" if context is not None else ""
        raise HolidayConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}{started}") from None
    return _Parser(source).calendar(root)


class _Parser:
    def __init__(self, source: str) -> None:
        self._source = source

    def _fail(self, node: Node, field: str, message: str) -> HolidayConfigError:
        return HolidayConfigError(f"{self._source}:{node.start_mark.line + 1}: {field}: {message}")

    def calendar(self, root: Node | None) -> WorkingCalendar:
        if root is None or _is_null(root):
            return WorkingCalendar()
        entries = self._mapping(root, "(top level)")
        unknown = [key for key in entries if key != "years"]
        if unknown:
            key_node = entries[unknown[0]][0]
            raise self._fail(key_node, unknown[0], "unknown key; only 'years' is allowed at the top level")
        if "years" not in entries:
            return WorkingCalendar()
        years_node = entries["years"][1]
        if _is_null(years_node):
            return WorkingCalendar()
        overrides: dict[date, DayStatus] = {}
        official_years: set[int] = set()
        for year_text, (key_node, value_node) in self._mapping(years_node, "years").items():
            year = self._year(key_node, year_text)
            if self._year_block(year, value_node, overrides):
                official_years.add(year)
        return WorkingCalendar(overrides, official_years)

    def _year_block(self, year: int, node: Node, overrides: dict[date, DayStatus]) -> bool:
        """Add one year's days to ``overrides``; return whether the year is marked official."""
        field = f"years.{year}"
        if _is_null(node):
            return False
        entries = self._mapping(node, field)
        for key, (key_node, _) in entries.items():
            if key not in _YEAR_FIELDS:
                raise self._fail(
                    key_node,
                    f"{field}.{key}",
                    f"unknown key; expected one of {', '.join(sorted(_YEAR_FIELDS))}",
                )
        official = False
        if "official" in entries:
            official = self._bool(entries["official"][1], f"{field}.official")
        seen: dict[date, str] = {}
        for list_name, status in _LIST_STATUS.items():
            if list_name not in entries:
                continue
            list_node = entries[list_name][1]
            for index, item in enumerate(self._sequence(list_node, f"{field}.{list_name}")):
                item_field = f"{field}.{list_name}[{index}]"
                day = self._date(item, item_field)
                if day.year != year:
                    raise self._fail(item, item_field, f"{day.isoformat()} is not in {year}")
                if day in seen:
                    raise self._fail(item, item_field, f"{day.isoformat()} is already listed in {seen[day]}")
                seen[day] = f"{field}.{list_name}"
                overrides[day] = status
        if official and not any(status == "holiday" for status in (overrides[d] for d in seen)):
            node_for_error = entries["official"][1]
            raise self._fail(
                node_for_error,
                f"{field}.official",
                "a year marked official must list its holidays "
                "(otherwise every statutory holiday would count as a workday)",
            )
        return official

    def _mapping(self, node: Node, field: str) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self._fail(node, field, "expected a mapping of 'key: value' lines")
        result: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise self._fail(key_node, field, "keys must be plain words or numbers")
            key = str(key_node.value)
            if key in result:
                raise self._fail(key_node, f"{field}.{key}", "appears twice")
            result[key] = (key_node, value_node)
        return result

    def _sequence(self, node: Node, field: str) -> list[Node]:
        if _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            raise self._fail(node, field, "expected a list, e.g. [2027-02-05, 2027-02-06]")
        return list(node.value)

    def _year(self, node: Node, text: str) -> int:
        if not _YEAR_PATTERN.fullmatch(text) or not 1 <= int(text) <= 9999:
            raise self._fail(node, f"years.{text}", "a year must be a number between 1 and 9999")
        return int(text)

    def _bool(self, node: Node, field: str) -> bool:
        if isinstance(node, ScalarNode) and str(node.value).lower() in ("true", "false"):
            return str(node.value).lower() == "true"
        raise self._fail(node, field, "must be true or false")

    def _date(self, node: Node, field: str) -> date:
        text = str(node.value) if isinstance(node, ScalarNode) else ""
        if not _DATE_PATTERN.fullmatch(text):
            raise self._fail(node, field, f"{text or 'this entry'!r} is not a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self._fail(node, field, f"{text} is not a real calendar date") from None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"
