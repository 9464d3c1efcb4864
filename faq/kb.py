"""The FAQ knowledge base: entries, validation and reading the YAML / CSV / XLSX formats (writing: faq/kb_writer.py).

Staff edit the KB in Excel as often as in YAML, so every format shares one column set
and one validator.  Validation collects *all* problems before failing: a person fixing a
spreadsheet wants the full list of rows to repair, not one error per upload attempt.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

COLUMNS: tuple[str, ...] = ("id", "category", "question", "similar", "answer", "keywords", "reviewed")
# Columns only people read, which the matcher ignores: the hand-written Traditional answer and the policy source.
# A file carries them so an export and re-import loses nothing (knowledge/kb_files.py validates and stores them);
# any command that loads a KB file accepts them.
STAFF_COLUMNS: tuple[str, ...] = (
    "answer_hant",
    "source_authority",
    "source_title",
    "source_number",
    "source_url",
    "source_effective_on",
    "source_expires_on",
)
REQUIRED_COLUMNS: frozenset[str] = frozenset({"id", "category", "question", "answer"})
_LIST_COLUMNS: frozenset[str] = frozenset({"similar", "keywords"})
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REVIEWED = re.compile(r"^(\d{4})-(\d{2})$")
_LIST_SPLIT = re.compile(r"[\n|]")
# libyaml's loader is ~10x faster on a 10,000-entry KB; same safe subset of YAML.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FaqEntry:
    id: str
    category: str
    question: str
    similar: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    reviewed: str | None = None

    def phrasings(self) -> tuple[str, ...]:
        """Every way the KB author says this question; the matcher indexes all of them."""
        return (self.question, *self.similar)


@dataclass(frozen=True)
class KbProblem:
    """One problem, located the way the person fixing the file counts.

    A YAML file is counted in entries (第3条); a spreadsheet in the row numbers Excel shows (表格第4行,
    the header being row 1). One file never mixes the two, so "与…重复" points the same way.
    """

    row: int  # 1-based entry number (YAML list item, or table data row); 0 = the file or table header as a whole
    field: str
    message: str
    sheet_row: int | None = None  # the row number Excel shows (header is row 1), for CSV/XLSX

    def __str__(self) -> str:
        if self.sheet_row == 1:
            where = "表头"
        elif self.sheet_row:
            where = f"表格第{self.sheet_row}行"
        elif self.row:
            where = f"第{self.row}条"
        else:
            return self.message
        return f"{where} [{self.field}]: {self.message}"


def _located(index: int, sheet_offset: int | None) -> str:
    return f"表格第{index + sheet_offset}行" if sheet_offset is not None else f"第{index}条"


class KbValidationError(ValueError):
    """Raised once with every problem found, so a bad upload is fixed in one round."""

    def __init__(self, problems: Sequence[KbProblem]) -> None:
        self.problems: tuple[KbProblem, ...] = tuple(problems)
        super().__init__("知识库校验失败：\n" + "\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class _BrokenRow:
    """A table row that could not even be turned into fields; kept so row numbers stay right."""

    reason: str


_BLANK = object()  # a spreadsheet spacer row: skipped, but still counted so row numbers match


def _split_list(value: Any) -> tuple[str, ...] | None:
    """Accept a YAML list or a cell with values separated by newlines or `|`; None = unusable."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = value
    elif isinstance(value, str):
        items = _LIST_SPLIT.split(value)
    else:
        return None
    out: list[str] = []
    for item in items:
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            return None
        text = str(item).strip()
        if text:
            out.append(text)
    return tuple(out)


def _text(value: Any) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return None


def _check_reviewed(value: Any) -> tuple[str | None, str | None]:
    """Return (normalised value, error message)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    text = str(value).strip()
    match = _REVIEWED.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None, f"审核日期应为 YYYY-MM 格式，收到 {text!r}"
    return text, None


def parse_kb_rows(
    rows: Sequence[Any], *, sheet_offset: int | None = None, extra_columns: Sequence[str] = STAFF_COLUMNS
) -> list[FaqEntry]:
    """Validate raw rows (dicts from any format) and build entries, or raise KbValidationError.

    ``sheet_offset``: for a table, entry ``n`` is sheet row ``n + sheet_offset``; every problem and every
    reference to another row then uses sheet rows. ``extra_columns`` are allowed and left to the caller.
    """
    known = (*COLUMNS, *extra_columns)
    problems: list[KbProblem] = []
    entries: list[FaqEntry] = []
    first_row: dict[str, int] = {}

    def problem(index: int, field: str, message: str) -> KbProblem:
        return KbProblem(index, field, message, None if sheet_offset is None else index + sheet_offset)

    for index, row in enumerate(rows, start=1):
        if row is _BLANK:
            continue
        if isinstance(row, _BrokenRow):
            problems.append(problem(index, "*", row.reason))
            continue
        if not isinstance(row, Mapping):
            problems.append(problem(index, "*", f"该行不是字段表（收到 {type(row).__name__}）"))
            continue
        row_problems: list[KbProblem] = []
        unknown = sorted(str(k) for k in row if str(k) not in known)
        for key in unknown:
            row_problems.append(problem(index, key, "未知的字段"))
        values: dict[str, str] = {}
        for column in ("id", "category", "question", "answer"):
            text = _text(row.get(column))
            if text is None:
                row_problems.append(problem(index, column, "应为文本"))
            elif not text and column in REQUIRED_COLUMNS:
                row_problems.append(problem(index, column, "不能为空"))
            values[column] = text or ""
        faq_id = values["id"]
        if faq_id and not _SLUG.match(faq_id):
            row_problems.append(
                problem(index, "id", f"id 只能用小写字母、数字和连字符（如 passport-lost），收到 {faq_id!r}")
            )
        elif faq_id in first_row:
            duplicate_of = _located(first_row[faq_id], sheet_offset)
            row_problems.append(problem(index, "id", f"id {faq_id!r} 与{duplicate_of}重复"))
        elif faq_id:
            first_row[faq_id] = index
        lists: dict[str, tuple[str, ...]] = {}
        for column in _LIST_COLUMNS:
            parsed = _split_list(row.get(column))
            if parsed is None:
                row_problems.append(problem(index, column, "应为文本列表（用换行或 | 分隔）"))
                parsed = ()
            lists[column] = parsed
        reviewed, reviewed_error = _check_reviewed(row.get("reviewed"))
        if reviewed_error:
            row_problems.append(problem(index, "reviewed", reviewed_error))
        if row_problems:
            problems.extend(row_problems)
            continue
        entries.append(
            FaqEntry(
                id=faq_id,
                category=values["category"],
                question=values["question"],
                similar=lists["similar"],
                answer=values["answer"],
                keywords=lists["keywords"],
                reviewed=reviewed,
            )
        )
    if problems:
        raise KbValidationError(problems)
    return entries


def entry_to_row(entry: FaqEntry) -> dict[str, Any]:
    """Flat row for CSV/XLSX: lists joined by newlines, which Excel shows as one cell."""
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "similar": "\n".join(entry.similar),
        "answer": entry.answer,
        "keywords": "\n".join(entry.keywords),
        "reviewed": entry.reviewed or "",
    }


def _broken(message: str) -> KbValidationError:
    return KbValidationError([KbProblem(0, "*", message)])


def _read_yaml(path: Path) -> list[Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _broken(f"YAML 无法解析：{exc}") from exc
    if data is None:
        return []
    if isinstance(data, Mapping) and isinstance(data.get("entries"), list):
        data = data["entries"]
    if not isinstance(data, list):
        raise _broken("YAML 顶层应为条目列表")
    return data


def _rows_from_table(
    header: Sequence[Any], body: Iterable[Sequence[Any]], extra_columns: Sequence[str] = STAFF_COLUMNS
) -> list[Any]:
    """Turn a header + data rows into dicts; a row wider than the header is reported as broken."""
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
    _check_header(names, extra_columns)
    rows: list[Any] = []
    for cells in body:
        values = list(cells)
        while len(values) > len(names) and (values[-1] is None or str(values[-1]).strip() == ""):
            values.pop()
        if all(v is None or str(v).strip() == "" for v in values):
            rows.append(_BLANK)  # blank spacer rows are normal in spreadsheets
            continue
        if len(values) > len(names):
            rows.append(_BrokenRow(f"该行有 {len(values)} 个单元格，但表头只有 {len(names)} 列"))
            continue
        rows.append({name: value for name, value in zip(names, values, strict=False) if name})
    return rows


def _check_header(names: Sequence[str], extra_columns: Sequence[str] = STAFF_COLUMNS) -> None:
    """A missing or misspelt column is one problem of the header, not one per row ("不能为空" × 69)."""
    known = (*COLUMNS, *extra_columns)
    problems = [
        KbProblem(0, column, f"缺少列 {column}", sheet_row=1)
        for column in COLUMNS
        if column in REQUIRED_COLUMNS and column not in names
    ]
    problems += [
        KbProblem(0, name, f"未知的列 {name}（可用的列：{', '.join(known)}）", sheet_row=1)
        for name in names
        if name and name not in known
    ]
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    problems += [KbProblem(0, name, f"列 {name} 出现了不止一次", sheet_row=1) for name in duplicated]
    if problems:
        raise KbValidationError(problems)


def _read_csv(path: Path, extra_columns: Sequence[str] = STAFF_COLUMNS) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _broken("CSV 须为 UTF-8 编码") from exc
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return []
    return _rows_from_table(table[0], table[1:], extra_columns)


def _read_xlsx(path: Path, extra_columns: Sequence[str] = STAFF_COLUMNS) -> list[Any]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        raise _broken(f"XLSX 无法打开：{exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not table:
        return []
    return _rows_from_table(table[0], table[1:], extra_columns)


def kb_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise ValueError(f"不支持的知识库格式 {suffix!r}（支持 .yaml/.yml/.csv/.xlsx）")


def read_kb_rows(path: str | Path, extra_columns: Sequence[str] = STAFF_COLUMNS) -> list[Any]:
    """Raw rows as found in the file, before validation (format chosen by extension). A table's header may
    name ``extra_columns`` besides the KB's own."""
    path = Path(path)
    fmt = kb_format(path)
    if fmt == "yaml":
        return _read_yaml(path)
    if fmt == "csv":
        return _read_csv(path, extra_columns)
    return _read_xlsx(path, extra_columns)


def sheet_offset_of(path: str | Path) -> int | None:
    """How the file counts its rows for problems: None for YAML (entries), 1 for a table (header row)."""
    return None if kb_format(Path(path)) == "yaml" else 1


def load_kb(path: str | Path) -> list[FaqEntry]:
    rows = read_kb_rows(path)
    return parse_kb_rows(rows, sheet_offset=sheet_offset_of(path))
