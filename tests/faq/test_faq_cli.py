from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from faq.cli import faq
from faq.kb import load_kb

MINI_KB = Path(__file__).with_name("data") / "mini_kb.yaml"


def _run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(faq, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _qiaobot_faq(*args: str) -> str:
    """``qiaobot faq …`` as bot/cli.py mounts it: import and export come from knowledge.cli."""
    from bot.cli import main

    result = CliRunner().invoke(main, ["faq", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_ask_json_reads_stdin_one_message_per_line() -> None:
    out = _run("ask", "--kb", str(MINI_KB), "--json", "-", stdin="在国外护照丢了怎么办\n\n护照\n谢谢\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["q"] for r in rows] == ["在国外护照丢了怎么办", "护照", "谢谢"]
    assert rows[0]["decision"] == "answer" and rows[0]["faq_id"] == "passport-lost-abroad"
    assert rows[1]["decision"] == "suggest" and rows[1]["suggestions"]
    assert rows[2]["decision"] == "handover"
    assert set(rows[0]) == {"q", "decision", "faq_id", "suggestions", "score", "out_of_scope"}


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


def test_ask_explain_says_why(tmp_path: Path) -> None:
    out = _run("ask", "--kb", str(MINI_KB), "--explain", "在国外护照丢了怎么办")
    assert out.startswith("answer passport-lost-abroad")
    assert "why: gate" in out and "answer the best candidate" in out
    assert "read as:" in out and "#passport" in out
    assert "1. " in out and "cov_query=" in out
    rows = [
        json.loads(line)
        for line in _run(
            "ask", "--kb", str(MINI_KB), "--explain", "--json", "-", stdin="护照\n谢谢\n红烧肉怎么做\n"
        ).splitlines()
    ]
    assert rows[0]["decision"] == "suggest" and "broad word" in rows[0]["reason"]
    assert rows[1]["decision"] == "handover" and "small talk" in rows[1]["reason"] and rows[1]["candidates"] == []
    assert rows[2]["decision"] == "handover" and rows[2]["reason"] == "no entry shares anything with the message"
    assert rows[2]["units"] == ["红烧肉"] and rows[2]["gate"] is None
    assert all(set(c) == {"faq_id", "question", "probability", "features"} for c in rows[0]["candidates"])


def test_eval_several_suites(tmp_path: Path) -> None:
    queries = tmp_path / "q.yaml"
    queries.write_text(
        "- {q: 在国外护照丢了怎么办, expect: passport-lost-abroad, style: colloquial}\n"
        "- {q: 护照, expect: passport-lost-abroad, style: keywords}\n"
        "- {q: 红烧肉怎么做, expect: null, style: out_of_scope}\n",
        encoding="utf-8",
    )
    other = tmp_path / "other.yaml"
    other.write_text("- {q: 中国承认双重国籍吗, expect: dual-nationality, style: keywords}\n", encoding="utf-8")
    suites = ["--suite", f"{MINI_KB}:{queries}", "--suite", f"{MINI_KB}:{other}"]
    text = _run("eval", *suites)
    assert text.count("== ") == 2 and "first%" in text
    assert text.splitlines()[-1].startswith(f"{MINI_KB}:{other}")
    report = json.loads(_run("eval", *suites, "--json"))
    first, second = report["suites"]
    assert first["suite"] == f"{MINI_KB}:{queries}" and second["overall"]["answered_correct_pct"] == 100.0
    assert first["by_style"]["keywords"]["hit_answered_or_suggested_pct"] == 100.0  # suggested, not answered
    assert first["by_style"]["keywords"]["answered_correct_pct"] == 0.0
    assert first["overall"]["right_first_pct"] == 50.0  # "护照" alone ranks another passport entry first


def test_eval_refuses_a_bad_suite(tmp_path: Path) -> None:
    result = CliRunner().invoke(faq, ["eval", "--suite", f"{MINI_KB}"])
    assert result.exit_code != 0 and "KB_FILE:QUERIES_FILE" in result.output
    result = CliRunner().invoke(faq, ["eval"])
    assert result.exit_code != 0 and "--suite" in result.output


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database the commands find through the settings, as `qiaobot faq` does."""
    from config.settings import get_settings
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    upgrade(url)
    monkeypatch.setenv("QIAOBOT_DATABASE_URL", url)
    monkeypatch.setenv("QIAOBOT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_import_validates_everything_before_writing(tmp_path: Path, database: str) -> None:
    from faq.store import load_entries, replace_entries

    before = load_kb(MINI_KB)[:1]
    replace_entries(before, url=database)
    bad = tmp_path / "bad.csv"
    bad.write_text("id,category,question,answer\nok,出入境,问题,答案\nBAD ID,出入境,,答案\n", encoding="utf-8")
    from bot.cli import main

    result = CliRunner().invoke(main, ["faq", "import", str(bad)])
    assert result.exit_code != 0
    assert "表格第3行" in result.output and "question" in result.output
    assert load_entries(database) == before  # nothing imported, nothing lost

    out = _qiaobot_faq("import", str(MINI_KB))
    assert load_entries(database) == load_kb(MINI_KB)
    assert str(len(load_kb(MINI_KB))) in out
    assert "建立索引并检查本库" in out and "判定参数：conservative" in out  # 10 entries: too few to fit
    assert len(list((tmp_path / "faq-cache" / "calibration").glob("*.json"))) == 1  # ready for every process


def test_export_from_kb_file_converts_format(tmp_path: Path) -> None:
    target = tmp_path / "kb.xlsx"
    _qiaobot_faq("export", "--kb", str(MINI_KB), str(target))
    assert load_kb(target) == load_kb(MINI_KB)


def test_export_uses_database_without_kb(tmp_path: Path, database: str) -> None:
    from faq.store import replace_entries

    replace_entries(load_kb(MINI_KB)[:2], url=database)
    target = tmp_path / "kb.csv"
    _qiaobot_faq("export", str(target))
    assert load_kb(target) == load_kb(MINI_KB)[:2]
