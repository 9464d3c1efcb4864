"""English messages between near twins when only one twin has an English 相似问 (faq.matcher._twin_scores)."""

from __future__ import annotations

import pytest

from faq.calibration import load_calibration
from faq.index import in_chinese
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from faq.whereabouts import TWIN_SCORE_SHARE

ENGLISH_PHRASING = "I lost my Chinese passport abroad, what should I do?"
ENTRIES = [
    FaqEntry(
        "lost-abroad",
        "出入境",
        "在国外护照丢了或被偷了，怎么办？",
        ("人在国外护照丢失要先报警吗", "请问护照在海外遗失了怎么补办", ENGLISH_PHRASING),
        "a",
        ("护照", "丢失", "补发"),
    ),
    FaqEntry(
        "lost-home",
        "出入境",
        "回国期间在国内把护照丢了，怎么挂失、补办才能出境？",
        (
            "在国内护照找不到了，下周要回国外怎么办",
            "回国探亲把护照弄丢了还能出国吗",
            "护照在国内被偷了怎么报失",
            "住在亲戚家时护照丢了",
        ),
        "a",
        ("护照", "国内丢失", "挂失"),
    ),
    FaqEntry(
        "renew-abroad", "出入境", "在国外护照快到期了，怎么换发新护照？", ("人在海外护照过期了怎么办",), "a", ("护照",)
    ),
    FaqEntry("bank", "生活", "华侨回国怎么开银行账户？", ("用护照能在国内开银行卡吗",), "a", ("银行", "开户")),
    FaqEntry("hukou", "户籍", "华侨回国定居怎么落户？", ("定居回国 户口怎么恢复",), "a", ("落户",)),
]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher.build(ENTRIES, calibration=load_calibration())


def test_an_entry_in_chinese_leaves_out_its_english_phrasings(matcher: FaqMatcher) -> None:
    index = matcher.index
    abroad = index.entries[index.by_id["lost-abroad"]]
    chinese = in_chinese(abroad)
    assert chinese is not None
    assert len(chinese.phrasings) == len(abroad.phrasings) - 1
    assert all(not p.normalized.isascii() for p in chinese.phrasings)
    # an entry with no English phrasing (or nothing but English) has no other form
    assert in_chinese(index.entries[index.by_id["lost-home"]]) is None
    assert set(index.in_chinese) == {index.by_id["lost-abroad"]}


@pytest.mark.parametrize(
    "text",
    [
        "Someone stole my passport while I was staying with my cousins in Fuzhou, and I live in Italy. What now?",
        "I lost my passport while staying with my grandmother in Ningbo. I live in Spain.",
    ],
)
def test_where_the_user_is_decides_the_twins_of_an_english_message(matcher: FaqMatcher, text: str) -> None:
    """The user is in China: the twin set in China leads, although only the one set abroad has an English
    phrasing (which alone made it lead by far, too far for where the user is to decide)."""
    why = matcher.explain(text)
    assert why.candidates[0].faq_id == "lost-home"
    assert matcher.decide(text).faq_id in (None, "lost-home")


def test_a_message_abroad_keeps_the_twin_set_abroad(matcher: FaqMatcher) -> None:
    why = matcher.explain("I live in Canada and my passport was stolen in Toronto last night. What should I do?")
    assert why.candidates[0].faq_id == "lost-abroad"


def test_the_twins_of_an_english_message_are_compared_on_their_chinese_wording(matcher: FaqMatcher) -> None:
    text = "I lost my passport while staying with my grandmother in Ningbo. I live in Spain."
    query = matcher._analyze(text)
    positions, rows = matcher._candidates(text, query)
    probabilities = [matcher.calibration.probability(row) for row in rows]
    order = sorted(range(len(positions)), key=lambda i: -probabilities[i])
    reach = [positions[i] for i in order[:3]]
    own = [probabilities[i] for i in order[:3]]
    compared = matcher._twin_scores(query, reach, probabilities, order)
    assert matcher.index.entries[reach[0]].entry.id == "lost-abroad"  # by its English phrasing
    # by their own scores the twin is far behind (its rival leads by the English phrasing alone); on the Chinese
    # wording it is within reach, and closer than on its own
    assert own[1] < 0.2 * own[0]
    assert compared[1] >= TWIN_SCORE_SHARE * compared[0] and compared[1] / compared[0] > own[1] / own[0]
    # a Chinese message is compared on the scores it has
    chinese = matcher._analyze("住在宁波亲戚家时护照丢了")
    assert matcher._twin_scores(chinese, reach, probabilities, order) == own
