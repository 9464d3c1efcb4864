"""China's own document of a kind, without a trip (faq.counterpart CHINAS_OWN): not answered by an entry whose own
wording is about another country's document of that kind, still answered by one about China's."""

from __future__ import annotations

import pytest

from faq.counterpart import CHINAS_OWN, CounterpartGuard, CounterpartReader, counterparts
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from faq.normalize import normalize_text


@pytest.fixture(scope="module")
def reader() -> CounterpartReader:
    return counterparts()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我的中国驾照下个月到期，去哪里换证", "driving_licence" + CHINAS_OWN),
        ("国内驾照丢了能补吗", "driving_licence" + CHINAS_OWN),
        ("还没出国，想先把中国驾照续一下", "driving_licence" + CHINAS_OWN),  # abroad named, no country: no trip
        ("My Chinese driving licence has expired, where do I renew it?", "driving_licence" + CHINAS_OWN),
        ("中国护照的照片有什么要求", "passport" + CHINAS_OWN),
        # another country's of the kind beside it, even held: the question is about converting that one
        ("手上有一本加拿大驾照，能换中国驾照吗", None),
        ("国外驾照和中国驾照有什么区别", None),
        # the result of converting another document ("convert 成中国驾照")
        ("想把驾照换成中国驾照", None),
        # a nationality is who someone is, not a document asked about
        ("我儿子是中国国籍，在国外长大，回来读书要什么手续", None),
        ("驾照过期了怎么办", None),  # unqualified: the KB's own, nothing to guard
    ],
)
def test_chinas_own_document_asked(reader: CounterpartReader, text: str, kind: str | None) -> None:
    assert reader.chinas_own_in(normalize_text(text)) == kind


def test_chinas_own_is_read_only_when_no_foreign_or_trip_kind_is(reader: CounterpartReader) -> None:
    assert reader.asked_foreign_kind("中国驾照过期了怎么换") is None  # asked_in keeps its contract
    guard = CounterpartGuard(reader, [[normalize_text("外国驾照回国能换中国驾照吗")]])
    assert guard.asked(normalize_text("中国驾照过期了怎么换")) == "driving_licence" + CHINAS_OWN
    assert guard.asked(normalize_text("中国驾照在日本能开车吗")) != "driving_licence" + CHINAS_OWN  # used abroad


def test_an_entry_speaks_of_chinas_own_document(reader: CounterpartReader) -> None:
    def own(*phrasings: str) -> frozenset[str]:
        return reader.coverage(phrasings)[1]

    assert own("驾照快到期了去哪里换") == {"driving_licence" + CHINAS_OWN}  # unqualified: China's in the KB
    assert own("人在海外，护照过期了怎么换发") == {"passport" + CHINAS_OWN}  # set abroad still counts
    assert own("拿了美国护照以后，原来的中国护照要交回吗") == {"passport" + CHINAS_OWN}  # the US one is held
    assert own("海外驾照怎么转成国内驾照") == frozenset()  # about the foreign licence
    assert own("持外国护照回国探亲要办什么签证") == {"visa" + CHINAS_OWN}  # the passport is who the user is


def test_only_an_entry_about_the_foreign_kind_conflicts(reader: CounterpartReader) -> None:
    groups = [["外国驾照回国能换中国驾照吗"], ["国内驾照到期了怎么换"], ["华侨子女回国上学要什么材料"]]
    guard = CounterpartGuard(reader, [[normalize_text(p) for p in g] for g in groups])
    asked = "driving_licence" + CHINAS_OWN
    assert guard.conflicts(asked, 0)  # speaks of the licence only as another country's
    assert not guard.conflicts(asked, 1)  # China's own licence
    assert not guard.conflicts(asked, 2)  # silent about licences: nothing to hold it back


ENTRIES = [
    FaqEntry(
        "foreign-licence",
        "生活",
        "国外驾照能换成中国驾照吗？怎么办理？",
        ("外国驾照回国能直接开车吗", "美国驾照怎么换国内驾照"),
        "a",
        ("驾照", "换证"),
    ),
    FaqEntry(
        "passport-abroad", "出入境", "在国外护照快到期了，怎么换发？", ("人在海外护照过期了怎么办",), "a", ("护照",)
    ),
    FaqEntry("school", "教育", "华侨子女回国上学要什么手续？", ("孩子在国外长大回来读书怎么办",), "a", ("入学",)),
]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher.build(ENTRIES)


@pytest.mark.parametrize("text", ["我的中国驾照过期了，要怎么换新的", "出国之前需要先把国内驾照换新吗"])
def test_chinas_licence_is_offered_not_answered_by_the_foreign_licence_entry(matcher: FaqMatcher, text: str) -> None:
    decision = matcher.decide(text)
    assert decision.decision != "answer"
    assert decision.suggestions[:1] == ("foreign-licence",)


def test_the_foreign_licence_entry_still_answers_a_conversion_into_chinas(matcher: FaqMatcher) -> None:
    decision = matcher.decide("我有一本澳洲驾照，回国想换成中国驾照怎么办理")
    assert decision.decision == "answer" and decision.faq_id == "foreign-licence"


def test_an_entry_about_chinas_own_document_still_answers(matcher: FaqMatcher) -> None:
    decision = matcher.decide("人在海外，中国护照快到期了怎么换发")
    assert decision.decision == "answer" and decision.faq_id == "passport-abroad"


def test_explain_says_chinas_own(matcher: FaqMatcher) -> None:
    why = matcher.explain("我的中国驾照过期了，要怎么换新的")
    assert "driving_licence (China's own)" in why.reason and "only as another country's" in why.reason
