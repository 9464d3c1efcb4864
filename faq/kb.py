"""The FAQ knowledge base: entries, validation and the YAML / CSV / XLSX formats.

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
    row: int  # 1-based entry number, as a person counts YAML list items or spreadsheet data rows
    field: str
    message: str
    sheet_row: int | None = None  # the row number Excel shows (header is row 1), for CSV/XLSX

    def __str__(self) -> str:
        where = f"（表格第{self.sheet_row}行）" if self.sheet_row else ""
        return f"第{self.row}条{where} [{self.field}]: {self.message}"


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


def parse_kb_rows(rows: Sequence[Any]) -> list[FaqEntry]:
    """Validate raw rows (dicts from any format) and build entries, or raise KbValidationError."""
    problems: list[KbProblem] = []
    entries: list[FaqEntry] = []
    first_row: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        if row is _BLANK:
            continue
        if isinstance(row, _BrokenRow):
            problems.append(KbProblem(index, "*", row.reason))
            continue
        if not isinstance(row, Mapping):
            problems.append(KbProblem(index, "*", f"该行不是字段表（收到 {type(row).__name__}）"))
            continue
        row_problems: list[KbProblem] = []
        unknown = sorted(str(k) for k in row if str(k) not in COLUMNS)
        for key in unknown:
            row_problems.append(KbProblem(index, key, "未知的列"))
        values: dict[str, str] = {}
        for column in ("id", "category", "question", "answer"):
            text = _text(row.get(column))
            if text is None:
                row_problems.append(KbProblem(index, column, "应为文本"))
            elif not text and column in REQUIRED_COLUMNS:
                row_problems.append(KbProblem(index, column, "不能为空"))
            values[column] = text or ""
        faq_id = values["id"]
        if faq_id and not _SLUG.match(faq_id):
            row_problems.append(
                KbProblem(index, "id", f"id 只能用小写字母、数字和连字符（如 passport-lost），收到 {faq_id!r}")
            )
        elif faq_id in first_row:
            row_problems.append(KbProblem(index, "id", f"id {faq_id!r} 与第{first_row[faq_id]}行重复"))
        elif faq_id:
            first_row[faq_id] = index
        lists: dict[str, tuple[str, ...]] = {}
        for column in _LIST_COLUMNS:
            parsed = _split_list(row.get(column))
            if parsed is None:
                row_problems.append(KbProblem(index, column, "应为文本列表（用换行或 | 分隔）"))
                parsed = ()
            lists[column] = parsed
        reviewed, reviewed_error = _check_reviewed(row.get("reviewed"))
        if reviewed_error:
            row_problems.append(KbProblem(index, "reviewed", reviewed_error))
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


def _broken(message: str) -> KbValidationError:
    return KbValidationError([KbProblem(1, "*", message)])


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


def _rows_from_table(header: Sequence[Any], body: Iterable[Sequence[Any]]) -> list[Any]:
    """Turn a header + data rows into dicts; a row wider than the header is reported as broken."""
    names = [str(h).strip() if h is not None else "" for h in header]
    while names and not names[-1]:
        names.pop()
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


def _read_csv(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _broken("CSV 须为 UTF-8 编码") from exc
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return []
    return _rows_from_table(table[0], table[1:])


def _read_xlsx(path: Path) -> list[Any]:
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
    return _rows_from_table(table[0], table[1:])


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise ValueError(f"不支持的知识库格式 {suffix!r}（支持 .yaml/.yml/.csv/.xlsx）")


def read_kb_rows(path: str | Path) -> list[Any]:
    """Raw rows as found in the file, before validation (format chosen by extension)."""
    path = Path(path)
    fmt = _format(path)
    if fmt == "yaml":
        return _read_yaml(path)
    if fmt == "csv":
        return _read_csv(path)
    return _read_xlsx(path)


def load_kb(path: str | Path) -> list[FaqEntry]:
    rows = read_kb_rows(path)
    try:
        return parse_kb_rows(rows)
    except KbValidationError as exc:
        if _format(Path(path)) == "yaml":
            raise
        located = [KbProblem(p.row, p.field, p.message, sheet_row=p.row + 1) for p in exc.problems]
        raise KbValidationError(located) from None


def dump_kb(entries: Sequence[FaqEntry], path: str | Path) -> None:
    path = Path(path)
    fmt = _format(path)
    if fmt == "yaml":
        text = yaml.safe_dump([_entry_to_yaml(e) for e in entries], allow_unicode=True, sort_keys=False, width=1000)
        path.write_text(text, encoding="utf-8")
    elif fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
            writer.writeheader()
            for entry in entries:
                writer.writerow(entry_to_row(entry))
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "faq"
        sheet.append(list(COLUMNS))
        for entry in entries:
            row = entry_to_row(entry)
            sheet.append([row[c] for c in COLUMNS])
        workbook.save(path)
