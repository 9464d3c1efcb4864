"""Time clauses (faq.time_clause): an act dated before the asked one is background, one dated after it is ahead."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.counterpart import APPLIED, USED_ABROAD, CounterpartReader, counterparts
from faq.normalize import normalize_text
from faq.time_clause import EARLIER, LATER, parse_time_clauses, time_clauses
from faq.vocabulary_file import VocabularyError


def _spans(text: str) -> list[tuple[str, str]]:
    normalized = normalize_text(text)
    return [(normalized[s.start : s.end], s.kind) for s in time_clauses().spans(normalized)]


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("加入英国国籍以后，老家的宅基地怎么办", [("加入英国国籍", EARLIER)]),
        ("飞澳洲之前要换新护照吗", [("飞澳洲", LATER)]),
        ("退休后回国养老，需要什么手续", [("退休", EARLIER)]),
        # a clause of its own: the one after the comma is not dated
        ("我入籍了，之后想回国", []),
        # no act before the closer: "formerly", "afterwards"; words with 后 or 前 that close nothing
        ("以前在国外住过，现在回来了", []),
        ("然后要去哪里办", []),
        ("目前在国内，打算提前前往日本", []),
        # two clauses in one: each starts after the one before
        ("入籍后回国前要办什么", [("入籍", EARLIER), ("回国", LATER)]),
        # English: from the opener to the main clause
        ("After I naturalise in Ireland will my hukou be cancelled", [("i naturalise in ireland", EARLIER)]),
        ("Once we become Dutch citizens what happens to our Chinese ID cards", [("we become dutch citizens", EARLIER)]),
        ("Can I renew my Chinese passport here before I fly back to Sydney", [("i fly back to sydney", LATER)]),
        # 先 X 再 Y: X first, Y ahead
        ("想先在国内换好身份证再去加拿大", [("在国内换好身份证", EARLIER), ("去加拿大", LATER)]),
        ("先生您好，再问一下", []),
    ],
)
def test_time_clauses(text: str, spans: list[tuple[str, str]]) -> None:
    assert _spans(text) == spans


@pytest.mark.parametrize(
    ("text", "word", "planned"),
    [
        ("我下周要回新西兰 护照", "回", True),
        ("准备明年去德国", "去", True),
        ("我去过德国", "去", False),
        ("i am going to fly to germany", "to germany", True),
        ("i flew to germany", "to germany", False),
    ],
)
def test_a_plan_before_an_act(text: str, word: str, planned: bool) -> None:
    assert time_clauses().planned(text, text.index(word)) is planned


def test_a_bad_file_is_refused_with_its_path() -> None:
    with pytest.raises(VocabularyError) as raised:
        parse_time_clauses("after_closers: []\n", Path("time_clauses.yaml"))
    assert "time_clauses.yaml: the time clause file is invalid" in str(raised.value)


@pytest.fixture(scope="module")
def reader() -> CounterpartReader:
    return counterparts()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # D1: a foreign document obtained in an after-clause is held, not asked for
        ("加入英国国籍以后，老家的宅基地怎么办", None),
        ("申请到日本永住之后，中国驾照还能用吗", None),
        ("once I get a Canadian green card, can my Chinese ID card still be used", None),
        # ... but asked for outside one, or in the main clause after it
        ("申请英国国籍要住满几年", "nationality" + APPLIED),
        ("退休后想申请澳洲养老签证", "visa" + APPLIED),
        # 拿到 obtains; its 到 is no place and no trip
        ("我上个月拿到新西兰护照，中国护照怎么处理", None),
        ("怎么拿到德国绿卡", "permanent_residence" + APPLIED),
        # D2: China's document before a trip is dealt with in China, before it
        ("飞澳洲之前要换新的中国护照吗", None),
        ("Before I fly to Germany, can I renew my Chinese driving licence?", None),
        ("想先在国内换好中国驾照再去加拿大", None),
        # a trip only planned, and a document renewed or expiring: the one held now, where the user is
        ("我下周要回新西兰，中国签证快过期了怎么办", None),
        ("下个月回德国，签证到期了能延期吗", None),
        # a trip made (or its act set there), or a visa for the trip: unchanged
        ("去加拿大自驾，中国驾照要办什么公证", "driving_licence" + USED_ABROAD),
        ("出国以后中国医保还能用吗", None),  # 出国 names no country: nothing to compare
        ("飞澳洲之前要办签证吗", "visa"),  # the destination's visa, obtained for the trip
        ("我下个月要去美国，中国驾照在美国能开车吗", "driving_licence" + USED_ABROAD),
    ],
)
def test_time_clauses_in_counterparts(reader: CounterpartReader, text: str, kind: str | None) -> None:
    assert reader.asked_foreign_kind(text) == kind
