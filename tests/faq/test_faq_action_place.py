"""Where the act a message asks about happens: a named foreign country ("我在马来西亚买房") is not what an entry set
in China answers."""

from __future__ import annotations

import pytest

from config.settings import CONFIG_DIR
from faq.action_place import acts_abroad, between_foreign_places
from faq.analysis import Analyzer
from faq.kb import load_kb
from faq.matcher import FaqMatcher


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def _tokens(*items: tuple[str, str, int]) -> list[tuple[str, frozenset[str], int]]:
    return [(token, frozenset(c for c in concepts.split() if c), clause) for token, concepts, clause in items]


def test_an_act_right_after_a_named_foreign_place_happens_there() -> None:
    generic = frozenset({"#how_long", "#settle"})
    buying = _tokens(("我", "", 0), ("在", "", 0), ("马来西亚", "#abroad", 0), ("买房", "#buy", 0))
    assert acts_abroad(buying, generic)
    # a city after its country is one place; one modal word may stand before the act
    driving = _tokens(
        ("在", "", 0), ("美国", "#abroad", 0), ("加州", "#abroad", 0), ("能", "", 0), ("开车", "#driving", 0)
    )
    assert acts_abroad(driving, generic)
    # who or where the user is, or a bare how long, is no act
    assert not acts_abroad(_tokens(("在", "", 0), ("西班牙", "#abroad", 0), ("定居", "#settle", 0)), generic)
    # "在UK的tuition" names a thing there; a generic "国外" names no country; no marker, no place
    assert not acts_abroad(
        _tokens(("在", "", 0), ("uk", "#abroad", 0), ("的", "", 0), ("tuition", "#tuition", 0)), generic
    )
    assert not acts_abroad(_tokens(("在", "", 0), ("国外", "#abroad", 0), ("买房", "#buy", 0)), generic)
    assert not acts_abroad(_tokens(("美国", "#abroad", 0), ("买房", "#buy", 0)), generic)
    # the act must be in the place's clause
    assert not acts_abroad(_tokens(("在", "", 0), ("美国", "#abroad", 0), ("买房", "#buy", 1)), generic)


def test_a_town_the_vocabulary_does_not_know_after_its_country_is_part_of_the_place() -> None:
    generic = frozenset({"#how_long", "#settle"})
    town = _tokens(("在", "", 0), ("越南", "#abroad", 0), ("芒街", "", 0), ("买房", "#buy", 0))
    assert acts_abroad(town, generic)
    # only one such word, short and Chinese: a longer phrase or a Latin word between them is not a town
    two = _tokens(("在", "", 0), ("越南", "#abroad", 0), ("芒街", "", 0), ("那边", "", 0), ("买房", "#buy", 0))
    assert not acts_abroad(two, generic)
    latin = _tokens(("在", "", 0), ("越南", "#abroad", 0), ("hanoi", "", 0), ("买房", "#buy", 0))
    assert not acts_abroad(latin, generic)


def test_a_matter_between_two_foreign_places() -> None:
    moved = _tokens(
        ("美国", "#abroad", 0), ("的", "", 0), ("文件", "#document", 0), ("拿到", "", 0), ("加拿大", "#abroad", 0)
    )
    assert between_foreign_places(moved)
    # one place (a city right after its country), or a generic "国外" beside a country, is not two
    assert not between_foreign_places(_tokens(("美国", "#abroad", 0), ("加州", "#abroad", 0), ("驾照", "#driving", 0)))
    assert not between_foreign_places(_tokens(("国外", "#abroad", 0), ("的", "", 0), ("美国", "#abroad", 0)))


def test_anything_about_china_takes_it_back(analyzer: Analyzer) -> None:
    assert analyzer.analyze("我在马来西亚买房，外国人有什么限制", focus=True).acts_abroad
    assert not analyzer.analyze("我在马来西亚，想在国内买房", focus=True).acts_abroad
    assert not analyzer.analyze("我在日本打工的钱想汇回家里", focus=True).acts_abroad  # 汇回: back home
    assert not analyzer.analyze("我在美国买房，回国要申报吗", focus=True).acts_abroad
    assert not analyzer.analyze("我在意大利考了驾照，是中国国籍", focus=True).acts_abroad
    assert analyzer.analyze("I bought property in Spain, what taxes do foreigners pay?").acts_abroad
    assert not analyzer.analyze("I bought property in China, what taxes do foreigners pay?").acts_abroad
    assert analyzer.analyze("美国的文件拿到加拿大用，要认证吗", focus=True).acts_abroad
    assert not analyzer.analyze("美国的文件拿到国内用，要认证吗", focus=True).acts_abroad
    # Hong Kong is not a foreign country's: its permit applied for from Canada is the hotline's matter
    assert not analyzer.analyze("HK resident in Toronto, can I get a Home Return Permit from Canada?").acts_abroad


def test_being_a_chinese_citizen_keeps_the_act_where_it_is(analyzer: Analyzer) -> None:
    assert analyzer.analyze("Can a Chinese citizen buy property in Thailand?").acts_abroad
    assert analyzer.analyze("How do I register a company in Singapore as a Chinese citizen?").acts_abroad
    assert analyzer.analyze("我是中国公民，在泰国买房有限制吗", focus=True).acts_abroad
    # China's nationality itself, or China named, is still about China
    assert not analyzer.analyze("我们是中国人，在加拿大生的孩子算中国国籍吗", focus=True).acts_abroad
    assert not analyzer.analyze("Can a Chinese citizen buy a flat in China while living in Thailand?").acts_abroad


def test_an_entry_set_in_china_is_offered_not_answered() -> None:
    matcher = FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"))
    why = matcher.explain("我在马来西亚买房，外国人有什么限制")
    assert why.gate_probability is not None and why.gate_threshold is not None
    assert why.gate_probability >= why.gate_threshold  # the gate alone answers it with property-purchase
    assert why.decision is not None and why.decision.decision != "answer"
    assert "named foreign country" in why.reason
    # the same act in China is the entry's question
    home = matcher.decide("华侨在国内买房有什么限制")
    assert home.decision == "answer" and home.faq_id == "property-purchase"
