"""Tables as Excel workbooks (openpyxl) and as CSV with a UTF-8 byte-order mark (Excel on Windows reads a
CSV without one as the local code page and shows Chinese as mojibake).

Text from users and staff goes into cells, so a cell must never become a formula (CSV/formula injection,
OWASP "CSV Injection"): in a workbook every text cell is stored as text, never as a formula; in CSV, where a
spreadsheet decides for itself, text starting with = + - @ (or a tab or carriage return) gets a leading
apostrophe, as OWASP recommends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

Value = str | int | float | date | datetime | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


@dataclass
class Table:
    title: str  # the sheet's name (at most 31 characters in Excel)
    header: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    widths: dict[int, int] = field(default_factory=dict)  # column index → width in characters
    percent_columns: frozenset[int] = frozenset()  # columns holding rates (0–1), shown as percentages


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet will read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local(value: Value, tz: tzinfo) -> Value:
    # Excel has no time zones: times are written as the hotline's local wall-clock time.
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    return value


def _sheet_cell(sheet: Worksheet, value: Value, percent: bool) -> WriteOnlyCell:
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.data_type = "s"  # text, even when it starts with "=": never a formula
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif percent and isinstance(value, float):
        cell.number_format = "0.0%"
    return cell


def to_xlsx(tables: Sequence[Table], tz: tzinfo) -> bytes:
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        for index, width in table.widths.items():
            sheet.column_dimensions[_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = []
        for name in table.header:
            cell = _sheet_cell(sheet, name, False)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append(
                [_sheet_cell(sheet, _local(v, tz), i in table.percent_columns) for i, v in enumerate(row)]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _csv_text(value: Value, percent: bool, tz: tzinfo) -> str:
    value = _local(value, tz)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.1%}" if percent else f"{value:g}"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv(table: Table, tz: tzinfo) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(name) for name in table.header])
    for row in table.rows:
        writer.writerow([_csv_text(v, i in table.percent_columns, tz) for i, v in enumerate(row)])
    return out.getvalue().encode("utf-8-sig")
