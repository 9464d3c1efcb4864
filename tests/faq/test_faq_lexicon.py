"""The analyser must bring every way of saying a thing to the same concept."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer, english_variants


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("护照", "#passport"),
        ("護照", "#passport"),
        ("passport", "#passport"),
        ("PASSPORTS", "#passport"),
        ("户照", "#passport"),  # voice-to-text homophone, found by pinyin
        ("签证", "#visa"),
        ("visa", "#visa"),
        ("前正", "#visa"),  # homophone made of a stop word and a stray character
        ("绿卡", "#permanent_residence"),
        ("永居", "#permanent_residence"),
        ("PR", "#permanent_residence"),
        ("green card", "#permanent_residence"),
        ("回乡证", "#hk_permit"),
        ("港澳通行证", "#hk_permit"),
        ("惠乡正", "#hk_permit"),
        ("领事馆", "#consulate"),
        ("consulate", "#consulate"),
        ("embassy", "#consulate"),
        ("户口", "#hukou"),
        ("hukou", "#hukou"),
        ("双重国籍", "#dual_nationality"),
        ("dual citizenship", "#dual_nationality"),
        ("驾照", "#driving"),
        ("driver's license", "#driving"),
        ("唔见咗", "#lost"),  # Cantonese
        ("stolen", "#lost"),
        ("renewed", "#renew"),  # inflection stripped
    ],
)
def test_variants_reach_the_concept(analyzer: Analyzer, text: str, concept: str) -> None:
    assert concept in analyzer.analyze(text).units


def test_longest_form_wins(analyzer: Analyzer) -> None:
    units = analyzer.analyze("永久居留身份证到期").units
    assert "#prc_card" in units and "#id_card" not in units


def test_stop_words_and_fillers_leave_no_units(analyzer: Analyzer) -> None:
    assert analyzer.analyze("你好请问一下那个怎么办呢").units == ()


def test_english_word_is_not_cut_into_lexicon_pieces(analyzer: Analyzer) -> None:
    units = analyzer.analyze("driver").units
    assert "r" not in units


def test_unknown_words_are_kept_as_content(analyzer: Analyzer) -> None:
    units = analyzer.analyze("护照照片背景颜色").units
    assert "#passport" in units
    assert any(not u.startswith("#") for u in units)


def test_pinyin_signal_is_computed_on_content(analyzer: Analyzer) -> None:
    a = analyzer.analyze("我的户照丢了")
    b = analyzer.analyze("我的护照丢了")
    assert a.pinyin == b.pinyin and a.pinyin_bigrams == b.pinyin_bigrams


@pytest.mark.parametrize(("word", "stem"), [("renews", "renew"), ("cities", "city"), ("expired", "expire")])
def test_english_variants(word: str, stem: str) -> None:
    assert stem in english_variants(word)
