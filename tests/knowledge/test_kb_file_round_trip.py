"""`qiaobot faq export` then `faq import` keeps everything staff keep on an entry (the hand-written Traditional
answer, the policy source: authority, document, 文号, link, effective and expiry dates), in YAML, CSV and
XLSX, Chinese text and empty optional fields included; a malformed row is refused with the row named and
nothing imported. Through the real CLI against the test backend (SQLite here, PostgreSQL in the server round).
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from knowledge.content import EntryContent
from knowledge.store import published
from storage.db import async_session_factory, create_db_engine

KB: list[dict[str, Any]] = [
    {
        "id": "passport-lost-abroad",
        "category": "出入境",
        "question": "在国外护照丢了怎么办？",
        "similar": ["护照在国外被偷了", "lost my passport abroad"],
        "keywords": ["护照", "补发"],
        "answer": "请先向当地警方报案，再通过“中国领事”APP申请补发。\n第二行：如需帮助请回复“人工”。",
        "reviewed": "2026-11",
        "answer_hant": "請先向當地警方報案，再透過「中國領事」App申請補發。\n第二行：如需協助請回覆「人工」。",
        "source_authority": "外交部领事司",
        "source_title": "《中国领事保护和协助指南（2023年版）》",
        "source_number": "外领发〔2023〕12号",
        "source_url": "https://cs.mfa.gov.cn/zggmzhw/lsbh/lbsc_660514/",
        "source_effective_on": "2023-06-01",
        "source_expires_on": "2027-12-31",
    },
    {
        "id": "dual-nationality",
        "category": "国籍与身份",
        "question": "中国承认双重国籍吗？",
        "similar": ["可以有两个国籍吗"],
        "answer": "《中华人民共和国国籍法》第三条规定，中国不承认中国公民具有双重国籍。",
        "source_authority": "全国人民代表大会",
        "source_title": "中华人民共和国国籍法",
        "source_effective_on": "1980-09-10",
    },
    {  # nothing optional: no 相似问, keywords, review month, Traditional answer or source
        "id": "hotline-reply-time",
        "category": "热线服务",
        "question": "留言后多久回复？",
        "answer": "我们会在2个工作日内答复，遇法定节假日顺延。",
    },
]
OTHER_KB: list[dict[str, Any]] = [
    {"id": "other-entry", "category": "其他", "question": "别的问题？", "answer": "别的答案。"}
]


@pytest.fixture
def cli_database(database_url: str, clean_backend: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test backend as `qiaobot` finds it through the settings."""
    from config.settings import get_settings

    monkeypatch.setenv("QIAOBOT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def _faq(*args: str) -> Result:
    from bot.cli import main

    return CliRunner().invoke(main, ["faq", *args])


def _ok(*args: str) -> str:
    result = _faq(*args)
    assert result.exit_code == 0, result.output
    return result.output


def _published(url: str) -> list[EntryContent]:
    async def read() -> list[EntryContent]:
        engine = create_db_engine(url)
        try:
            async with async_session_factory(engine)() as session:
                return (await published(session))[1]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _yaml(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def stored(cli_database: str, tmp_path: Path) -> list[EntryContent]:
    _ok("import", str(_yaml(tmp_path / "kb.yaml", KB)))
    contents = _published(cli_database)
    lost = contents[0]
    assert lost.answer_hant.startswith("請先向當地警方報案") and lost.source.number == "外领发〔2023〕12号"
    assert lost.source.effective_on == date(2023, 6, 1) and lost.source.expires_on == date(2027, 12, 31)
    assert contents[2].source.empty and contents[2].answer_hant == "" and contents[2].similar == ()
    return contents


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".xlsx"])
def test_export_then_import_keeps_every_field(stored, cli_database, tmp_path, suffix) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / f"export{suffix}"
    assert "已导出 3 条" in _ok("export", str(exported))
    _ok("import", str(_yaml(tmp_path / "other.yaml", OTHER_KB)))
    assert [c.id for c in _published(cli_database)] == ["other-entry"]
    out = _ok("import", str(exported))
    assert "新增 3 条" in out and "删除 1 条" in out
    assert _published(cli_database) == stored
    _ok("export", "--kb", str(exported), str(tmp_path / f"again{suffix}"))  # file to file keeps them too
    _ok("import", str(tmp_path / f"again{suffix}"))
    assert _published(cli_database) == stored
    assert "未变 3 条" in _ok("import", "--dry-run", str(exported))


def _rewrite(path: Path, row: int, changes: dict[str, str]) -> None:
    """Change data row ``row`` (1-based) of an exported file as a person editing it would."""
    if path.suffix == ".yaml":
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries[row - 1].update(changes)
        path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        rows[row - 1].update(changes)
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    else:
        from openpyxl import load_workbook

        workbook = load_workbook(path)
        sheet = workbook.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        for name, value in changes.items():
            sheet.cell(row=row + 1, column=header.index(name) + 1, value=value)
        workbook.save(path)


@pytest.mark.parametrize(("suffix", "where"), [(".yaml", "第2条"), (".csv", "表格第3行"), (".xlsx", "表格第3行")])
def test_a_malformed_row_is_named_and_nothing_is_imported(stored, cli_database, tmp_path, suffix, where) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / f"export{suffix}"
    _ok("export", str(exported))
    _rewrite(exported, 1, {"answer": "改过的答案，不应导入。", "source_authority": "国家移民管理局"})
    _rewrite(exported, 2, {"source_effective_on": "2024-13-01", "source_url": "cs.mfa.gov.cn/x"})
    result = _faq("import", str(exported))
    assert result.exit_code != 0
    assert f"{where} [source_effective_on]: 生效日期应为 YYYY-MM-DD 格式的日期，收到 '2024-13-01'" in result.output
    assert f"{where} [source_url]: 政策链接应以 https:// 或 http:// 开头" in result.output
    assert _published(cli_database) == stored  # nothing half-imported: row 1's good change is not in either


def test_an_excel_date_cell_and_a_file_without_the_extra_columns(stored, cli_database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "export.xlsx"
    _ok("export", str(exported))
    from openpyxl import load_workbook

    workbook = load_workbook(exported)
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("source_expires_on") + 1, value=datetime(2030, 1, 31))  # typed in Excel
    workbook.save(exported)
    _ok("import", str(exported))
    assert _published(cli_database)[1].source.expires_on == date(2030, 1, 31)

    # An older sheet with only the KB's own columns says nothing of the extras: they are kept, not wiped.
    plain = tmp_path / "plain.csv"
    with plain.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "category", "question", "answer"])
        writer.writerows([[e["id"], e["category"], e["question"], e["answer"]] for e in KB[:2]])
    out = _ok("import", str(plain))
    assert "保留各条问答已有的繁體答案和政策依据" in out and "删除 1 条" in out
    after = _published(cli_database)
    assert after[0].answer_hant == stored[0].answer_hant and after[0].source == stored[0].source
