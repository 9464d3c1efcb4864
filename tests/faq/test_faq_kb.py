from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from faq.kb import FaqEntry, KbValidationError, load_kb, parse_kb_rows
from faq.kb_writer import dump_kb


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "passport-lost",
        "category": "出入境",
        "question": "护照丢了怎么办",
        "similar": ["护照被偷了"],
        "answer": "请联系使领馆。",
    }
    row.update(overrides)
    return row


def test_parse_accepts_lists_and_separated_strings() -> None:
    entries = parse_kb_rows([_row(similar="护照被偷了|护照不见了\n遗失护照", keywords="丢护照", reviewed="2024-03")])
    assert entries[0].similar == ("护照被偷了", "护照不见了", "遗失护照")
    assert entries[0].keywords == ("丢护照",)
    assert entries[0].reviewed == "2024-03"


def test_validation_reports_every_problem_with_row_and_field() -> None:
    rows = [
        _row(),
        _row(),  # duplicate id
        _row(id="Bad Slug"),
        _row(id="empty-question", question="  "),
        _row(id="no-answer", answer=None),
        _row(id="bad-date", reviewed="2024-13"),
        _row(id="extra-col", colour="red"),
        "not a row",
        _row(id="bad-similar", similar={"a": 1}),
    ]
    with pytest.raises(KbValidationError) as caught:
        parse_kb_rows(rows)
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {
        (2, "id"),
        (3, "id"),
        (4, "question"),
        (5, "answer"),
        (6, "reviewed"),
        (7, "colour"),
        (8, "*"),
        (9, "similar"),
    }
    message = str(caught.value)
    assert "第2条" in message and "与第1条重复" in message
    assert "第7条" in message and "colour" in message


def test_valid_rows_pass_unchanged() -> None:
    assert [e.id for e in parse_kb_rows([_row(), _row(id="other")])] == ["passport-lost", "other"]


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".xlsx"])
def test_round_trip(tmp_path: Path, suffix: str, mini_entries: list[FaqEntry]) -> None:
    path = tmp_path / f"kb{suffix}"
    dump_kb(mini_entries, path)
    assert load_kb(path) == mini_entries


def test_csv_errors_name_the_spreadsheet_row(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(
        "id,category,question,similar,answer\n"
        "ok-one,出入境,问题,,答案\n"
        ",,,,\n"  # spacer row still counts
        "BAD,出入境,问题,,答案\n"
        "too-wide,出入境,问题,,答案,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    problems = {(p.row, p.sheet_row, p.field) for p in caught.value.problems}
    assert problems == {(3, 4, "id"), (4, 5, "*")}
    assert "表格第4行" in str(caught.value)


def test_xlsx_unknown_column_is_reported(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "category", "question", "answer", "notes"])
    sheet.append(["a-b", "出入境", "问题", "答案", "备注"])
    path = tmp_path / "kb.xlsx"
    workbook.save(path)
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    assert [(p.sheet_row, p.field) for p in caught.value.problems] == [(1, "notes")]


def test_broken_files_raise_validation_error(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "kb.yaml"
    bad_yaml.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(KbValidationError):
        load_kb(bad_yaml)
    bad_xlsx = tmp_path / "kb.xlsx"
    bad_xlsx.write_bytes(b"\x00\x01 not a zip")
    with pytest.raises(KbValidationError):
        load_kb(bad_xlsx)
    with pytest.raises(ValueError, match="不支持"):
        load_kb(tmp_path / "kb.txt")
