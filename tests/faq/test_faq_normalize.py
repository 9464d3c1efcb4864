from __future__ import annotations

import pytest

from faq.normalize import normalize_text, strip_fillers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("護照過期了怎麼辦？", "护照过期了怎么办"),
        ("ＰＲ　能申请吗！", "pr 能申请吗"),  # full-width letters and space
        ("Passport, LOST!!!", "passport lost"),
        ("我的driver's license", "我的driver license"),
        ("电话是幺二三六七吗", "电话是12367吗"),
        ("about 8,000 US dollars", "about 8000 usa dollars"),  # one number; capital US is the country
        ("I won't, can't", "i will not can not"),
        ("Fiancée", "fiancee"),
        ("a trip to Xi'an and Hui’an, I'm O'Brien", "a trip to xian and huian i obrien"),  # pinyin syllables
        ("  \t\n ", ""),
        ("👍👍", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_short_chinese_numbers_are_not_turned_into_digits() -> None:
    assert normalize_text("住了一两年") == "住了一两年"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("你好请问护照丢了怎么办谢谢", "护照丢了怎么办"),
        ("嗯那个麻烦问一下签证延期", "嗯 签证延期"),  # lone 嗯 goes later, as a stop word
        ("hi please help thanks", "help"),
        ("外汇额度", "外汇额度"),  # 额 is a filler only on its own, never inside 额度
        ("this china", "this china"),  # English fillers only as whole words
    ],
)
def test_strip_fillers(raw: str, expected: str) -> None:
    assert strip_fillers(normalize_text(raw)) == expected
