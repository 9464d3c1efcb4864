"""Writing a KB file (YAML, CSV or XLSX): what `faq export` and the console's download produce.

Reading and validating (faq/kb.py) is the other direction; both share its column set, so a written file
reads back to the same entries.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from faq.kb import COLUMNS, STAFF_COLUMNS, FaqEntry, entry_to_row, kb_format


def _entry_to_yaml(entry: FaqEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "similar": list(entry.similar),
        "answer": entry.answer,
    }
    if entry.keywords:
        data["keywords"] = list(entry.keywords)
    if entry.reviewed:
        data["reviewed"] = entry.reviewed
    return data


def dump_kb(
    entries: Sequence[FaqEntry],
    path: str | Path,
    extra_rows: Sequence[Mapping[str, str]] | None = None,
    extra_columns: Sequence[str] = STAFF_COLUMNS,
) -> None:
    """Write the KB; ``extra_rows`` (one per entry, text by ``extra_columns``) follow the KB's own columns in
    a table, and in YAML appear where not empty."""
    path = Path(path)
    fmt = kb_format(path)
    extras: Sequence[Mapping[str, str]] = extra_rows if extra_rows is not None else [{} for _ in entries]
    if len(extras) != len(entries):
        raise ValueError("extra_rows must hold one row per entry")
    columns = [*COLUMNS, *extra_columns]
    if fmt == "yaml":
        items = [
            {**_entry_to_yaml(e), **{c: extra[c] for c in extra_columns if extra.get(c)}}
            for e, extra in zip(entries, extras, strict=True)
        ]
        text = yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=1000)
        path.write_text(text, encoding="utf-8")
    elif fmt == "csv":
        # With a BOM, Excel on Windows reads the file as UTF-8 instead of the local code page (mojibake).
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for entry, extra in zip(entries, extras, strict=True):
                writer.writerow({**entry_to_row(entry), **{c: extra.get(c, "") for c in extra_columns}})
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "faq"
        sheet.append(columns)
        for entry, extra in zip(entries, extras, strict=True):
            row = {**entry_to_row(entry), **{c: extra.get(c, "") for c in extra_columns}}
            sheet.append([row[c] for c in columns])
        # Text cells, so what staff type into them later (a 文号 like "2024-1", a date) stays as typed.
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                cell.number_format = "@"
        workbook.save(path)
