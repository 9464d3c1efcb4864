"""What `qiaobot faq import` tells the person fixing a spreadsheet, and what an export looks like to Excel."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from faq.kb import COLUMNS, KbValidationError, load_kb
from faq.kb_changes import KbChanges
from faq.kb_writer import dump_kb

MINI_KB = Path(__file__).parent / "data" / "mini_kb.yaml"
ROOT = Path(__file__).resolve().parents[2]
QIAOBOT = str(Path(sys.executable).parent / "qiaobot")


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _row(n: int) -> list[str]:
    return [f"entry-{n}", "出入境", f"问题{n}", "", f"答案{n}"]


def test_a_spreadsheet_duplicate_names_both_sheet_rows(tmp_path: Path) -> None:
    rows = [_row(n) for n in range(1, 12)]
    rows[10][0] = "entry-4"  # data row 11 = sheet row 12 repeats data row 4 = sheet row 5
    path = _csv(tmp_path / "kb.csv", ["id", "category", "question", "similar", "answer"], rows)
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    assert str(caught.value).splitlines()[1:] == ["表格第12行 [id]: id 'entry-4' 与表格第5行重复"]


def test_a_yaml_duplicate_counts_entries(tmp_path: Path) -> None:
    entries = [
        dict(zip(("id", "category", "question", "similar", "answer"), _row(n), strict=True)) for n in range(1, 12)
    ]
    entries[10]["id"] = "entry-4"
    path = tmp_path / "kb.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    assert str(caught.value).splitlines()[1:] == ["第11条 [id]: id 'entry-4' 与第4条重复"]


def test_a_missing_column_is_one_problem_not_one_per_row(tmp_path: Path) -> None:
    path = _csv(tmp_path / "kb.csv", ["id", "category", "question", "similar"], [_row(n)[:4] for n in range(1, 70)])
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    assert [str(p) for p in caught.value.problems] == ["表头 [answer]: 缺少列 answer"]


def test_a_misspelt_column_is_named_once_with_the_right_names(tmp_path: Path) -> None:
    header = ["id", "category", "question", "similar", "answr"]
    path = _csv(tmp_path / "kb.csv", header, [_row(n) for n in range(1, 30)])
    with pytest.raises(KbValidationError) as caught:
        load_kb(path)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0] == "表头 [answer]: 缺少列 answer"
    assert problems[1].startswith("表头 [answr]: 未知的列 answr（可用的列：id, category")
    assert len(problems) == 2


def test_changes_between_two_kbs() -> None:
    before = load_kb(MINI_KB)
    after = [before[0], before[1].__class__(**{**before[1].__dict__, "answer": "新的答案"}), *before[3:]]
    extra = before[0].__class__(**{**before[0].__dict__, "id": "brand-new"})
    changes = KbChanges.between(before, [*after, extra])
    assert changes.added == ("brand-new",)
    assert changes.changed == (before[1].id,)
    assert changes.removed == (before[2].id,)
    assert changes.unchanged == len(before) - 2
    assert changes.summary() == f"新增 1 条，修改 1 条，删除 1 条，未变 {len(before) - 2} 条"


def test_csv_export_starts_with_a_utf8_bom_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    dump_kb(load_kb(MINI_KB), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode())
    assert load_kb(path) == load_kb(MINI_KB)


@pytest.mark.skipif(not Path(QIAOBOT).exists(), reason="needs the installed qiaobot command")
def test_import_says_what_it_added_changed_and_removed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOBOT_")}
    env["QIAOBOT_VAR_DIR"] = str(tmp_path / "var")

    def qiaobot(*args: str) -> str:
        result = subprocess.run([QIAOBOT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    qiaobot("db", "upgrade")
    entries = load_kb(MINI_KB)
    first = qiaobot("faq", "import", str(MINI_KB))
    assert f"已导入 {len(entries)} 条：新增 {len(entries)} 条，修改 0 条，删除 0 条，未变 0 条" in first

    edited = tmp_path / "edited.csv"
    qiaobot("faq", "export", str(edited))
    assert edited.read_bytes().startswith(b"\xef\xbb\xbf")  # the CLI export too
    rows = list(csv.DictReader(io.StringIO(edited.read_text(encoding="utf-8-sig"))))
    rows[0]["answer"] = "改过的答案"
    removed = rows.pop(1)["id"]
    rows.append({**rows[-1], "id": "added-entry"})
    with edited.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))  # the export's columns, extras included
        writer.writeheader()
        writer.writerows(rows)
    second = qiaobot("faq", "import", str(edited))
    assert f"新增 1 条，修改 1 条，删除 1 条，未变 {len(entries) - 2} 条" in second
    assert "新增：added-entry" in second and f"删除：{removed}" in second and f"修改：{entries[0].id}" in second
