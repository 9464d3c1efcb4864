"""Who the user is, stated in passing in English: a foreign passport the user holds (faq.status_cues)."""

from __future__ import annotations

import pytest

from faq.analysis import Analyzer
from faq.status_cues import CHINESE, FOREIGN, holds_chinese_passport, holds_foreign_passport, nationality_of
from faq.whereabouts import entry_sides, twin_to_lead


@pytest.mark.parametrize(
    ("tokens", "i", "width", "held"),
    [
        (["i", "hold", "a", "singapore", "passport"], 3, 1, True),
        (["as", "a", "canadian", "passport", "holder"], 2, 1, True),  # the noun says it is held
        (["came", "in", "on", "a", "new", "zealand", "passport"], 4, 2, True),
        (["with", "my", "canadian", "passport"], 2, 1, True),
        (["i", "lost", "my", "usa", "passport"], 3, 1, False),  # the passport is what the question is about
        (["i", "hold", "a", "singapore", "visa"], 3, 1, False),
        (["i", "hold", "a", "singapore"], 3, 1, False),
    ],
)
def test_holds_foreign_passport(tokens: list[str], i: int, width: int, held: bool) -> None:
    assert holds_foreign_passport(tokens, i, width) is held


def test_the_analysis_reads_a_held_foreign_passport_as_a_foreign_national() -> None:
    analyzer = Analyzer()
    assert "#foreigner" in analyzer.analyze("I hold a Singapore passport. Do I need a visa?").units
    assert "#foreigner" not in analyzer.analyze("I lost my US passport").units


@pytest.mark.parametrize(
    ("tokens", "i", "width", "held"),
    [
        (["i", "still", "hold", "a", "chinese passport"], 4, 1, True),
        (["our", "daughter", "holds", "a", "chinese", "passport"], 4, 2, True),
        (["my", "bag", "with", "my chinese passport"], 3, 1, False),  # carried, not a status
        (["i", "lost", "my chinese passport"], 2, 1, False),
        (["i", "hold", "a", "passport"], 3, 1, False),
        (["i", "am", "still", "a", "chinese passport", "holder"], 4, 1, True),
        (["we", "are", "chinese passport", "holders"], 2, 1, True),
        (["孩子", "拿", "chinese passport"], 2, 1, True),  # a Chinese verb of holding in a mixed message
        (["孩子", "拿", "了", "chinese passport"], 3, 1, True),
        (["孩子", "有", "chinese passport"], 2, 1, True),
        (["用", "chinese passport", "去", "银行"], 1, 1, False),  # acted with, not held as a status
    ],
)
def test_holds_chinese_passport(tokens: list[str], i: int, width: int, held: bool) -> None:
    assert holds_chinese_passport(tokens, i, width) is held


def test_a_held_chinese_passport_reads_as_a_chinese_citizen_and_keeps_the_passport() -> None:
    units = Analyzer().analyze("I still hold a Chinese passport but my hukou was cancelled").units
    assert "#chinese_citizen" in units and "#passport" in units


def test_stole_is_a_loss() -> None:
    assert "#lost" in Analyzer().analyze("Someone stole my bag in Paris").units


@pytest.mark.parametrize(
    ("text", "nationality"),
    [
        ("I'm still a Chinese passport holder and want to open a shop in Ningbo", CHINESE),
        ("我儿子是加拿大籍，想回国读书", FOREIGN),
        ("我是中国公民，孩子是美国籍，能在国内上学吗", FOREIGN),
        ("I'm a Chinese citizen, but my son holds a US passport. Can he go to school in Xiamen?", FOREIGN),
        ("怎么开银行账户", None),
        ("我的孩子是中國籍，想回莆田讀小學", CHINESE),  # 中国籍 states it, as 美国籍 does
        ("孩子是中国国籍，从国外回来想上小学", CHINESE),
    ],
)
def test_the_nationality_a_text_states_last(text: str, nationality: str | None) -> None:
    assert Analyzer().analyze(text).nationality == nationality


def test_nationality_of_units() -> None:
    assert nationality_of(["#foreigner", "#school", "#chinese_citizen"]) == CHINESE
    assert nationality_of(["#chinese_citizen", "#child", "#foreigner"]) == FOREIGN
    assert nationality_of(["#passport", "#nationality"]) is None


def test_an_entry_states_the_nationality_most_of_its_phrasings_state() -> None:
    analyzer = Analyzer()
    phrasings = ["我拿外国护照，已加入外籍，想回国开公司", "外籍华人回国投资办厂怎么注册", "回国开公司怎么注册"]
    said = [analyzer.analyze(p).nationality for p in phrasings]
    assert entry_sides(said, (CHINESE, FOREIGN)) == frozenset({FOREIGN})


def test_the_stated_nationality_decides_between_near_twins() -> None:
    """A twin whose phrasings state the nationality the message states takes the lead (FaqMatcher._scored)."""
    chinese = frozenset({"#company", "#register", "#chinese_citizen", "#return", "#abroad"})
    foreign = frozenset({"#company", "#register", "#foreigner", "#return", "#passport"})
    sides = [frozenset({FOREIGN}), frozenset({CHINESE})]
    assert twin_to_lead(CHINESE, sides, [foreign, chinese], [0.6, 0.3]) == 1
    assert twin_to_lead(FOREIGN, sides, [foreign, chinese], [0.6, 0.3]) == 0


@pytest.mark.parametrize(
    ("text", "expires"),
    [
        ("入了美国籍，手上的中国护照还没过期，还能用吗", False),
        ("中国护照还有五年才到期，能不能先留着用", False),
        ("护照没有过期，想问能不能提前换", False),
        ("护照下个月才到期，现在能换吗", True),  # not far off: 才 without a time still left
        ("护照快过期了还没换", True),  # the negation comes after
    ],
)
def test_a_negated_or_far_off_expiry_is_no_expiry(text: str, expires: bool) -> None:
    assert ("#expire" in Analyzer().analyze(text).units) is expires
