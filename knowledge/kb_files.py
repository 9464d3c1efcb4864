"""The KB as a file (YAML, CSV, XLSX) with everything staff keep on an entry: the matcher's columns
(``faq.kb``) plus the hand-written Traditional answer and the policy source, so an export and re-import
keeps every field. The same validator and the same row numbering as the KB's own columns; every problem of
the file is found before anything is written."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from faq.kb import (
    STAFF_COLUMNS,
    KbProblem,
    KbValidationError,
    parse_kb_rows,
    read_kb_rows,
    sheet_offset_of,
)
from faq.kb_writer import dump_kb
from knowledge.content import EntryContent, PolicySource

# The columns after the KB's own: (column, what staff call it, the longest value the database keeps).
_TEXT_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("answer_hant", "繁體答案", None),
    ("source_authority", "发布机关", 200),
    ("source_title", "文件名称", 300),
    ("source_number", "文号", 120),
    ("source_url", "政策链接", 1000),
)
_DATE_COLUMNS: tuple[tuple[str, str], ...] = (("source_effective_on", "生效日期"), ("source_expires_on", "失效日期"))
EXTRA_COLUMNS: tuple[str, ...] = STAFF_COLUMNS
if set(EXTRA_COLUMNS) != {c for c, _, _ in _TEXT_COLUMNS} | {c for c, _ in _DATE_COLUMNS}:  # pragma: no cover
    raise RuntimeError("knowledge.kb_files validates a different column set from faq.kb.STAFF_COLUMNS")
_DAY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass(frozen=True)
class KbFile:
    contents: list[EntryContent]
    has_extras: bool  # the file has the extra columns at all (an older file may not: then it says nothing of them)


def extra_row(content: EntryContent) -> dict[str, str]:
    source = content.source
    return {
        "answer_hant": content.answer_hant,
        "source_authority": source.authority,
        "source_title": source.title,
        "source_number": source.number,
        "source_url": source.url,
        "source_effective_on": source.effective_on.isoformat() if source.effective_on else "",
        "source_expires_on": source.expires_on.isoformat() if source.expires_on else "",
    }


def write_kb_file(contents: Sequence[EntryContent], path: str | Path) -> None:
    dump_kb([c.to_faq_entry() for c in contents], path, [extra_row(c) for c in contents], EXTRA_COLUMNS)


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value).strip()


def _day(value: Any) -> tuple[date | None, str | None]:
    """A cell's date: text YYYY-MM-DD (or with / or .), or a date Excel stored as one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    match = _DAY.match(str(value).strip())
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))), None
        except ValueError:
            pass
    return None, f"应为 YYYY-MM-DD 格式的日期，收到 {str(value).strip()!r}"


def _extras(row: Mapping[str, Any]) -> tuple[str, PolicySource, list[tuple[str, str]]]:
    """The row's Traditional answer and policy source, and its problems as (column, message)."""
    problems: list[tuple[str, str]] = []
    texts: dict[str, str] = {}
    for column, label, limit in _TEXT_COLUMNS:
        text = _text(row.get(column))
        if text is None:
            problems.append((column, f"{label}应为文本"))
            text = ""
        elif limit is not None and len(text) > limit:
            problems.append((column, f"{label}最长 {limit} 个字符，收到 {len(text)} 个"))
        texts[column] = text
    url = texts["source_url"]
    if url and not url.startswith(("https://", "http://")):
        problems.append(("source_url", f"政策链接应以 https:// 或 http:// 开头，收到 {url!r}"))
    days: dict[str, date | None] = {}
    for column, label in _DATE_COLUMNS:
        day, error = _day(row.get(column))
        if error:
            problems.append((column, f"{label}{error}"))
        days[column] = day
    effective, expires = days["source_effective_on"], days["source_expires_on"]
    if effective and expires and expires <= effective:
        problems.append(("source_expires_on", "失效日期应晚于生效日期"))
    source = PolicySource(
        authority=texts["source_authority"],
        title=texts["source_title"],
        number=texts["source_number"],
        url=url,
        effective_on=effective,
        expires_on=expires,
    )
    return texts["answer_hant"], source, problems


def read_kb_file(path: str | Path) -> KbFile:
    """Every entry of the file with its extras, or KbValidationError naming every problem (by entry for YAML,
    by the row Excel shows for a table)."""
    rows = read_kb_rows(path, EXTRA_COLUMNS)
    offset = sheet_offset_of(path)
    problems: list[KbProblem] = []
    try:
        entries = parse_kb_rows(rows, sheet_offset=offset, extra_columns=EXTRA_COLUMNS)
    except KbValidationError as exc:
        problems.extend(exc.problems)
        entries = []
    extras: list[tuple[str, PolicySource]] = []
    seen_columns: set[str] = set()
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            continue  # a blank or broken row: faq.kb counts and reports it
        seen_columns.update(str(k) for k in row)
        answer_hant, source, found = _extras(row)
        problems.extend(
            KbProblem(index, column, message, None if offset is None else index + offset) for column, message in found
        )
        extras.append((answer_hant, source))
    if problems:
        problems.sort(key=lambda p: (p.row, p.sheet_row or 0))
        raise KbValidationError(problems)
    contents = [
        replace(EntryContent.from_faq_entry(entry), answer_hant=answer_hant, source=source)
        for entry, (answer_hant, source) in zip(entries, extras, strict=True)
    ]
    # A table's rows carry every header column (blank cells included), a YAML entry only the keys it has.
    return KbFile(contents, has_extras=bool(seen_columns & set(EXTRA_COLUMNS)))
