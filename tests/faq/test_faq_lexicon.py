"""The analyser must bring every way of saying a thing to the same concept."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer


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
        ("护照落在出租车上了", "#lost"),  # left behind
        ("包被人划了护照全没了", "#lost"),
        ("想再多待一个月", "#extend"),  # staying on longer is an extension, as "stay longer" is
        ("能不能多留一阵", "#extend"),
        ("我是美国公民，华裔第二代", "#foreigner"),  # Chinese descent, not the Chinese citizen abroad (华侨)
        ("a canadian of chinese descent", "#foreigner"),
        ("我在牙买加开超市", "#abroad"),  # a country beyond the big emigrant destinations
        ("moved to sri lanka", "#abroad"),
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


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("moving back to china", "#settle"),  # every word of a phrase inflected, not only the last
        ("my passports expired", "#expire"),
        ("naturalised in canada", "#foreigner"),  # British spelling of the listed "naturalize"
        ("my fiancée", "#spouse"),  # accent folded
        ("we came back", "#return"),  # irregular past, from english_irregular
        ("a hukou question", "#hukou"),
        ("my hometown qingtian", "#domestic"),  # a Chinese place spelled in pinyin reaches its Chinese form
    ],
)
def test_english_inflections_and_spellings_reach_the_concept(analyzer: Analyzer, text: str, concept: str) -> None:
    assert concept in analyzer.analyze(text).units


@pytest.mark.parametrize(
    "text",
    ["I'm a Canadian citizen", "我是加拿大籍", "入了美国国籍"],
)
def test_a_country_with_a_nationality_word_is_a_foreign_national(analyzer: Analyzer, text: str) -> None:
    units = analyzer.analyze(text).units
    assert "#foreigner" in units and "#nationality" not in units


def test_lower_case_us_is_the_pronoun_and_capital_us_the_country(analyzer: Analyzer) -> None:
    assert "#abroad" not in analyzer.analyze("can you help us").units
    assert "#abroad" in analyzer.analyze("my US passport").units


def test_a_sound_match_never_joins_the_tail_of_one_stop_word_to_the_next(analyzer: Analyzer) -> None:
    # 可以|怎样 sounds like 遗赠 (a bequest) across the word boundary
    assert "#inherit" not in analyzer.analyze("人在美国可以怎样做").units
    assert "#visa" in analyzer.analyze("前正").units  # a whole stop word plus a stray character still counts


def test_a_number_with_its_measure_word_is_never_heard_as_a_word(analyzer: Analyzer) -> None:
    # 一元 is "yi yuan" like 医院, but a numeral before a measure word counts something
    assert "#medical" not in analyzer.analyze("一元二次方程怎么解").units
    assert "#medical" in analyzer.analyze("一院怎么挂号").units  # a numeral alone may be a misheard 医
    assert "#medical" in analyzer.analyze("城乡居民一保去哪里办").units


@pytest.mark.parametrize(
    ("text", "foreign"),
    [
        ("美国商标怎么注册", True),  # the US system, not China's
        ("how to apply for a US green card", True),
        ("德国的私人医保哪家公司好", True),
        ("在美国护照丢了怎么办", False),  # where the user is
        ("我在西班牙马德里开餐馆", False),  # a city in the country where the user is
        ("毕业后拿了工签在伦敦上班", False),  # jieba's 签在: the marker is still there
        ("我来英国读研三年了", False),
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


def test_articles_and_possessives_inside_an_english_phrase_are_skipped(analyzer: Analyzer) -> None:
    assert "#returnee_family" in analyzer.analyze("relatives of an overseas chinese").units
    assert "#extend" in analyzer.analyze("can i extend my stay").units
    assert "#inherit" in analyzer.analyze("she left a will").units  # a listed phrase keeps its article
    assert "#inherit" not in analyzer.analyze("i will go").units


def test_a_latin_word_inside_chinese_is_not_cut_on_lexicon_words(analyzer: Analyzer) -> None:
    units = analyzer.analyze("需要一份power of attorney给我妈").units
    assert "#poa" in units and "#dispute" not in units  # not p|owe|r
    assert "#business_visa" in analyzer.analyze("办m签证").units  # mixed lexicon forms stay whole


def test_a_returned_overseas_chinese_is_not_a_relative_of_one(analyzer: Analyzer) -> None:
    # 归侨 (the person who came back) and 侨眷 (relatives in China) are different statuses with twin entries
    assert "#returnee" in analyzer.analyze("归侨证明怎么开").units
    assert "#returnee_family" not in analyzer.analyze("归侨证明怎么开").units
    assert "#returnee" not in analyzer.analyze("侨眷证明怎么开").units
    assert {"#returnee", "#returnee_family"} <= set(analyzer.analyze("归侨侨眷权益").units)


def test_office_hours_are_not_a_job(analyzer: Analyzer) -> None:
    assert "#job" not in analyzer.analyze("你们几点上班").units
    assert "#job" in analyzer.analyze("我想来上班").units


def test_data_alone_is_not_privacy(analyzer: Analyzer) -> None:
    assert "#privacy" not in analyzer.analyze("excel怎么做数据透视表").units
    assert "#privacy" in analyzer.analyze("个人数据会不会泄露").units


def test_when_is_a_question_of_time_only_as_a_question(analyzer: Analyzer) -> None:
    assert "#how_long" in analyzer.analyze("when can i get it").units
    assert "#how_long" not in analyzer.analyze("my father left me money when he died").units


def test_certification_beside_a_pension_is_the_yearly_survival_check(analyzer: Analyzer) -> None:
    assert "#survival_cert" in analyzer.analyze("社保那边说没做认证要停发了").units
    assert "#notarize" not in analyzer.analyze("我妈每年都要做养老金认证").units
    assert "#notarize" in analyzer.analyze("出生证要认证").units  # no pension: a notary's
    assert "#notarize" in analyzer.analyze("养老金认证要公证吗").units  # 公证 names the notary
