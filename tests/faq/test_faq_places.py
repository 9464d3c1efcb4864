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
