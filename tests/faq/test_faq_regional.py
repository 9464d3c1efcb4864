"""Regional and Cantonese words meet the KB's mainland ones; a broken table is refused, naming the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.analysis import Analyzer
from faq.normalize import normalize_text
from faq.regional import RegionalWordsError, parse_regional_words


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我在義大利", "我在意大利"),  # Taiwan's name for Italy, which t2s leaves as 义大利
        ("身分證過期", "身份证过期"),
        ("我哋屋企人喺邊度", "我们家人在哪里"),  # written Cantonese
        ("投資糾紛可以仲裁嗎", "投资纠纷可以仲裁吗"),  # 仲裁 is kept whole, not read as 仲 (still)
    ],
)
def test_regional_words_become_mainland_ones(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_a_cantonese_message_reaches_the_concepts() -> None:
    units = Analyzer().analyze("阿爸喺福清過身，留低一間屋").units
    assert "#death" in units and "#domestic" in units


def _problems(data: object) -> tuple[str, ...]:
    with pytest.raises(RegionalWordsError) as caught:
        parse_regional_words(data, Path("regional.yaml"))
    assert "regional.yaml" in str(caught.value)
    return caught.value.problems


def test_every_bad_entry_is_reported_at_once() -> None:
    problems = _problems(
        {
            "words": [
                {"regional": "義大利", "mainland": "意大利"},  # not in Simplified: t2s runs first
                {"regional": "仲", "mainland": "仲"},
                {"regional": "冇", "mainland": "没有"},
                {"regional": "冇", "mainland": "无"},
                {"regional": "abc", "mainland": "没有"},
                {"mainland": "没有"},
            ],
            "keep": ["冇"],
        }
    )
    joined = "\n".join(problems)
    assert "entry 1" in joined and "Simplified" in joined
    assert "entry 2" in joined and "itself" in joined
    assert "entry 4" in joined and "twice" in joined
    assert "entry 5" in joined and "entry 6" in joined
    assert "keep, item 1" in joined
    assert len(problems) == 6


def test_a_good_table_rewrites_longest_first() -> None:
    table = parse_regional_words(
        {"words": [{"regional": "仲", "mainland": "还"}], "keep": ["仲裁"]}, Path("regional.yaml")
    )
    assert table.to_mainland("仲有仲裁") == "还有仲裁"


def test_a_problem_in_the_file_names_its_line(tmp_path: Path) -> None:
    from faq.regional import load_regional_words

    path = tmp_path / "regional.yaml"
    path.write_text(
        "words:\n  - {regional: 冇, mainland: 没有}\n  - {regional: 義大利, mainland: 意大利}\nkeep: [仲裁, abc]\n",
        encoding="utf-8",
    )
    with pytest.raises(RegionalWordsError) as caught:
        load_regional_words(path)
    problems = caught.value.problems
    assert any(p.startswith("line 3: words, entry 2") for p in problems)
    assert any(p.startswith("line 4: keep, item 2") for p in problems)
