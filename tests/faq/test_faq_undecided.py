"""A short message is undecided only when each of the two best entries says all its words in one phrasing
(faq.matcher._says_all), not when one entry merely holds them scattered over different phrasings."""

from __future__ import annotations

import pytest

from faq.calibration import load_calibration
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher

UNDECIDED = "the two best entries both contain every word"
ENTRIES = [
    FaqEntry("renew-abroad", "出入境", "在国外护照快到期了，怎么换发？", ("国外护照过期了怎么换",), "a", ("护照换发",)),
    FaqEntry("lost-abroad", "出入境", "在国外护照丢了怎么办？", ("国外护照被偷了怎么补办",), "a", ("护照补办",)),
    FaqEntry("join", "热线服务", "怎么加入侨联，成为会员？", ("想入会怎么申请", "侨联 入会"), "a", ("入会", "会员")),
    FaqEntry(
        "legal-abroad",
        "法律",
        "人在国外，国内有官司怎么委托处理？",
        ("海外华侨在国内有纠纷，可以找侨联帮忙吗？", "不回国能参加国内的庭审吗？"),
        "a",
        ("委托代理",),
    ),
    FaqEntry("school", "教育", "华侨子女回国怎么入学？", ("孩子回国上学怎么办",), "a", ("入学",)),
]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher.build(ENTRIES, calibration=load_calibration())


def test_two_entries_that_each_say_every_word_leave_the_choice_to_the_user(matcher: FaqMatcher) -> None:
    why = matcher.explain("国外护照")
    assert UNDECIDED in why.reason
    decision = matcher.decide("国外护照")
    assert decision.decision == "suggest"
    assert set(decision.suggestions[:2]) == {"renew-abroad", "lost-abroad"}


def test_words_scattered_over_an_entrys_phrasings_do_not_make_it_a_rival(matcher: FaqMatcher) -> None:
    """The word "参加" (join) is in one of legal-abroad's phrasings and "侨联" in another: no phrasing of it
    asks to join the federation, so it is no reason to withhold the join entry."""
    why = matcher.explain("入会 侨联")
    assert why.candidates[0].faq_id == "join"
    assert UNDECIDED not in why.reason
