from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from faq.cli import faq
from faq.kb import FaqEntry, load_kb

MINI_KB = Path(__file__).with_name("data") / "mini_kb.yaml"


def _run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(faq, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_ask_json_reads_stdin_one_message_per_line() -> None:
    out = _run("ask", "--kb", str(MINI_KB), "--json", "-", stdin="在国外护照丢了怎么办\n\n护照\n谢谢\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["q"] for r in rows] == ["在国外护照丢了怎么办", "护照", "谢谢"]
    assert rows[0]["decision"] == "answer" and rows[0]["faq_id"] == "passport-lost-abroad"
    assert rows[1]["decision"] == "suggest" and rows[1]["suggestions"]
    assert rows[2]["decision"] == "handover"
    assert set(rows[0]) == {"q", "decision", "faq_id", "suggestions", "score"}


def test_ask_readable_line() -> None:
    out = _run("ask", "--kb", str(MINI_KB), "中国承认双重国籍吗")
    assert out.startswith("answer") and "dual-nationality" in out


def test_eval_text_and_json(tmp_path: Path) -> None:
    queries = tmp_path / "q.yaml"
    queries.write_text(
        "- {q: 在国外护照丢了怎么办, expect: passport-lost-abroad, style: colloquial}\n"
        "- {q: 红烧肉怎么做, expect: null, style: out_of_scope}\n",
        encoding="utf-8",
    )
    report = json.loads(_run("eval", "--kb", str(MINI_KB), "--queries", str(queries), "--json"))
    assert report["overall"]["answered_correct_pct"] == 100.0
    assert report["overall"]["oos_answered"] == 0
    assert set(report["by_style"]) == {"colloquial", "out_of_scope"}
    text = _run("eval", "--kb", str(MINI_KB), "--queries", str(queries))
    assert "ALL" in text and "p99" in text


def test_import_validates_everything_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faq import store as faq_store

    written: list[Sequence[FaqEntry]] = []

    def fake_replace(entries: Sequence[FaqEntry]) -> int:
        written.append(entries)
        return len(entries)

    monkeypatch.setattr(faq_store, "replace_entries", fake_replace)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,category,question,answer\nok,出入境,问题,答案\nBAD ID,出入境,,答案\n", encoding="utf-8")
    result = CliRunner().invoke(faq, ["import", str(bad)])
    assert result.exit_code != 0
    assert "第2条" in result.output and "question" in result.output
    assert written == []  # nothing imported

    out = _run("import", str(MINI_KB))
    assert len(written) == 1 and len(written[0]) == len(load_kb(MINI_KB))
    assert str(len(written[0])) in out


def test_export_from_kb_file_converts_format(tmp_path: Path) -> None:
    target = tmp_path / "kb.xlsx"
    _run("export", "--kb", str(MINI_KB), str(target))
    assert load_kb(target) == load_kb(MINI_KB)


def test_export_uses_database_without_kb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from faq import store as faq_store

    monkeypatch.setattr(faq_store, "load_entries", lambda: load_kb(MINI_KB)[:2])
    target = tmp_path / "kb.csv"
    _run("export", str(target))
    assert len(load_kb(target)) == 2
