"""The vocabulary file staff edit: the shipped one loads, a broken one is refused naming line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import FAQ_VOCABULARY_PATH
from faq.analysis import Analyzer, Lexicon
from faq.vocabulary import VocabularyError, load_vocabulary, parse_vocabulary

GOOD = """\
concepts:
  passport: [护照, passport]
  visa: [签证, visa]
china_anchors: [passport]
stopwords: [的, 了]
fillers: [请问]
greetings: [你好]
thanks: [谢谢]
byes: [再见]
opinion_cues: [你觉得]
"""


def _problems(text: str) -> tuple[str, ...]:
    with pytest.raises(VocabularyError) as caught:
        parse_vocabulary(text, Path("vocab.yaml"))
    assert "vocab.yaml" in str(caught.value)
    return caught.value.problems


def test_the_shipped_file_loads() -> None:
    words = load_vocabulary(FAQ_VOCABULARY_PATH)
    assert "护照" in words.concepts["passport"]
    assert "passport" in words.china_anchors
    assert "的" in words.stopwords and "请问" in words.fillers
    assert "谢谢" in words.thanks and "再见" in words.byes and "你好" in words.greetings


def test_a_good_file_becomes_the_analysers_concepts() -> None:
    words = parse_vocabulary(GOOD.replace("visa: [签证, visa]", "visa: [签证, visa, 签注]"), Path("v.yaml"))
    analyzer = Analyzer(Lexicon(words.concepts, words.stopwords))
    assert "#visa" in analyzer.analyze("签注").units
    assert analyzer.analyze("的了").units == ()


def test_an_unquoted_yes_is_refused_with_its_line_and_key() -> None:
    text = GOOD.replace("visa: [签证, visa]", "visa:\n    - 签证\n    - no")
    (problem,) = _problems(text)
    assert problem.startswith("line 5: concepts.visa:")
    assert "item 2" in problem and "quotes" in problem


def test_every_problem_is_reported_at_once() -> None:
    text = (
        GOOD.replace("passport: [护照, passport]", "passport: [护照, 护照]")
        .replace("china_anchors: [passport]", "china_anchors: [passport, pasport]")
        .replace("stopwords: [的, 了]", "stopwords: 的")
        + "Concepts: {}\n"
    )
    problems = _problems(text)
    assert any(p.startswith("line 2: concepts.passport:") and "twice" in p for p in problems)
    assert any(p.startswith("line 4: china_anchors:") and "'pasport'" in p for p in problems)
    assert any(p.startswith("line 5: stopwords:") and "list" in p for p in problems)
    assert any(p.startswith("line 11: Concepts:") and "unknown key" in p for p in problems)
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("concepts: {}\n", "line 1: concepts: missing or empty"),
        ("concepts:\n  Passport: [护照]\n", "line 2: concepts.Passport: a concept id"),
        ("concepts:\n  passport: []\n", "line 2: concepts.passport: needs at least one word"),
        ("concepts:\n  passport: [护照, '  ']\n", "line 2: concepts.passport: item 2 is empty"),
        ("concepts:\n  passport: [护照\n", "line 3: not valid YAML"),
        ("- 护照\n", "line 1: the file must be a mapping"),
    ],
)
def test_malformed_files_fail_loudly(text: str, expected: str) -> None:
    problems = _problems(text)
    assert problems[0].startswith(expected), problems


def test_an_unreadable_file_is_a_vocabulary_error(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="cannot be read"):
        load_vocabulary(tmp_path / "missing.yaml")


def test_english_irregular_forms_are_checked() -> None:
    text = GOOD + "english_irregular:\n  came: come\n  went: Go\n  paid: paid\n  gone: came\n"
    problems = _problems(text)
    assert any("english_irregular.went" in p and "lower-case" in p for p in problems)
    assert any("english_irregular.paid" in p and "itself" in p for p in problems)
    assert any("english_irregular.gone" in p and "itself mapped" in p for p in problems)
    good = parse_vocabulary(GOOD + "english_irregular:\n  came: come\n", Path("v.yaml"))
    assert good.english_irregular == {"came": "come"}


def test_situation_and_generic_concepts_must_be_defined() -> None:
    text = GOOD + "situation_concepts: [passport, abroad]\ngeneric_concepts: [visa, where]\nquestion_cues: [吗, how]\n"
    problems = _problems(text)
    assert any(p.startswith("line 11: situation_concepts:") and "'abroad'" in p for p in problems)
    assert any(p.startswith("line 12: generic_concepts:") and "'where'" in p for p in problems)
    words = parse_vocabulary(GOOD + "situation_concepts: [passport]\nquestion_cues: [吗, how]\n", Path("v.yaml"))
    assert words.situation_concepts == frozenset({"passport"}) and words.question_cues == ("吗", "how")
