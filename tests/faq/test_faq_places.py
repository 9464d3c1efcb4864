"""Places in China as data (faq.places): validated, and merged into the vocabulary's #domestic."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import CHINA_PLACES_PATH, FAQ_VOCABULARY_PATH
from faq.places import load_china_places, parse_china_places, with_china_places
from faq.vocabulary import VocabularyError, load_vocabulary, vocabulary

_PATH = Path("china_places.yaml")


def test_the_shipped_file_loads_and_reaches_the_vocabulary() -> None:
    places = load_china_places(CHINA_PLACES_PATH)
    assert {"惠安", "安溪", "青田", "台山", "canton"} <= set(places)
    domestic = set(vocabulary().concepts["domestic"])
    assert set(places) <= domestic


def test_a_county_is_known_in_chinese_and_by_its_pinyin() -> None:
    from faq.analysis import Analyzer

    analyzer = Analyzer()
    assert "#domestic" in analyzer.analyze("我老家在惠安").units
    assert "#domestic" in analyzer.analyze("my girlfriend is from Hui'an").units
    assert "#domestic" in analyzer.analyze("my land in Anxi").units


def test_parse_lists_names_in_order() -> None:
    text = "provinces:\n  fujian: [福建, 惠安]\n  zhejiang: [青田, wenzhou city]\n"
    assert parse_china_places(text, _PATH) == ("福建", "惠安", "青田", "wenzhou city")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("provinces:\n  fujian: [惠安]\n  other: [惠安]\n", "line 3: '惠安' is listed twice (first on line 2)"),
        ("provinces:\n  fujian: [Canton]\n", "line 2: provinces.fujian: 'Canton' is neither"),
        ("provinces:\n  fujian: [安]\n", "is neither a Chinese name"),
        ("provinces:\n  Fujian: [惠安]\n", "line 2: a province id is lower-case"),
        ("provinces:\n  fujian: []\n", "a non-empty list of place names"),
        ("places:\n  fujian: [惠安]\n", "line 1: unknown key 'places'"),
        ("- 惠安\n", "must be a mapping"),
    ],
)
def test_a_malformed_file_names_each_problem(text: str, problem: str) -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_china_places(text, _PATH)
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_a_place_the_vocabulary_lists_abroad_is_refused() -> None:
    base = load_vocabulary(FAQ_VOCABULARY_PATH)
    with pytest.raises(VocabularyError, match="listed as abroad"):
        with_china_places(base, ("马尼拉",))


def test_merging_adds_each_place_once() -> None:
    base = load_vocabulary(FAQ_VOCABULARY_PATH)
    merged = with_china_places(base, ("惠安", "厦门"))  # 厦门 is in the vocabulary already
    domestic = merged.concepts["domestic"]
    assert domestic.count("厦门") == 1 and domestic[-1] == "惠安"
    assert len(domestic) == len(base.concepts["domestic"]) + 1


def _cjk_pairs() -> list[tuple[str, str]]:
    """(foreign name, China place inside it) for every Chinese #abroad name holding a China place name."""
    places = [p for p in load_china_places(CHINA_PLACES_PATH) if not p.isascii()]
    abroad = [a for a in load_vocabulary(FAQ_VOCABULARY_PATH).concepts["abroad"] if not a.isascii()]
    return [(a, p) for a in abroad for p in places if p in a and p != a]


def test_the_vocabulary_has_foreign_names_holding_a_china_place() -> None:
    # the check below must have something to check: 北海道 holds 北海, 南安普顿 holds 南安
    assert {("北海道", "北海"), ("南安普顿", "南安")} <= set(_cjk_pairs())


@pytest.mark.parametrize(("foreign", "place"), _cjk_pairs())
def test_a_foreign_name_holding_a_china_place_reads_abroad(foreign: str, place: str) -> None:
    from faq.analysis import Analyzer

    analyzer = Analyzer()
    units = analyzer.analyze(f"我在{foreign}旅游，护照丢了").units
    assert "#abroad" in units and "#domestic" not in units, (foreign, place, units)
    assert "#domestic" in analyzer.analyze(f"我在{place}旅游，护照丢了").units


def test_hokkaido_is_abroad_for_where_the_user_is() -> None:
    from faq.analysis import Analyzer
    from faq.whereabouts import ABROAD, CHINA

    analyzer = Analyzer()
    assert analyzer.analyze("我在北海道旅游，护照丢了").whereabouts == ABROAD
    assert analyzer.analyze("我在北海旅游，护照丢了").whereabouts == CHINA


@pytest.mark.parametrize("name", ["香港", "澳门", "台湾", "香港岛", "台湾省", "hong kong"])
def test_hong_kong_macao_and_taiwan_are_refused_as_mainland_places(name: str) -> None:
    base = load_vocabulary(FAQ_VOCABULARY_PATH)
    with pytest.raises(VocabularyError, match="hk_macau_tw") as raised:
        with_china_places(base, ("惠安", name))
    assert "China places file" in str(raised.value)
    assert len(raised.value.problems) == 1


def test_the_error_names_the_china_places_file() -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_china_places("- 惠安\n", _PATH)
    assert "china_places.yaml: the China places file is invalid" in str(raised.value)
    assert "FAQ vocabulary" not in str(raised.value)


def test_an_unquoted_yes_or_number_gets_the_quotes_hint() -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_china_places("provinces:\n  fujian: [惠安, yes, 12]\n", _PATH)
    assert any("put it in quotes" in p and "yes/no" in p for p in raised.value.problems), raised.value.problems
    assert any("put it in quotes" in p and "a number" in p for p in raised.value.problems), raised.value.problems
