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


@pytest.mark.parametrize(
    ("text", "foreign"),
    [
        ("美国商标怎么注册", True),  # the US system, not China's
        ("how to apply for a US green card", True),
        ("德国的私人医保哪家公司好", True),
        ("在美国护照丢了怎么办", False),  # where the user is
        ("我是新西兰籍，想回国探亲", False),  # nationality, not a system
        ("我跟我男朋友他是加拿大人", False),
        ("拿了加拿大passport之后，中国passport还能用吗", False),  # about China after all
    ],
)
def test_foreign_attribute(analyzer: Analyzer, text: str, foreign: bool) -> None:
    assert analyzer.analyze(text).foreign_attribute is foreign


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("lost my passport in Beijing", "#domestic"),
        ("想入僑聯，要咩條件", "#federation"),
        ("我個仔係澳洲籍", "#child"),
        ("大陸門號要怎麼保留", "#phone_number"),
        ("想在国内领证", "#marriage"),
        ("settling back in china", "#settle"),
    ],
)
def test_regional_and_colloquial_vocabulary(analyzer: Analyzer, text: str, concept: str) -> None:
    assert concept in analyzer.analyze(text).units


def test_text_ngrams_need_no_lexicon() -> None:
    from faq.index import text_ngrams

    assert text_ngrams("宅基地 确权 ok hukou") == frozenset({"宅基", "基地", "确权", "ok", "hukou"})
    assert text_ngrams("") == frozenset()
