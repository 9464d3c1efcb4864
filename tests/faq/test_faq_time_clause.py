"""Time clauses (faq.time_clause): an act dated before the asked one is background, one dated after it is ahead."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import CONFIG_DIR
from faq.analysis import Analyzer
from faq.counterpart import APPLIED, BEFORE_TRIP, USED_ABROAD, CounterpartReader, counterparts
from faq.kb import load_kb
from faq.matcher import FaqMatcher
from faq.normalize import normalize_text
from faq.status_cues import CHINESE, FOREIGN
from faq.time_clause import EARLIER, LATER, parse_time_clauses, time_clauses
from faq.vocabulary_file import VocabularyError
from faq.whereabouts import ABROAD, CHINA


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


SHIPPED_CLAUSES = (CONFIG_DIR / "time_clauses.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "word"),
    [
        # an empty pattern matches at every character: every message would be a chain of 先 … 再 clauses
        ("first_markers: [先]", "first_markers: ['']", "first_markers: ''"),
        ("then_markers: [再,", "then_markers: ['，', 再,", "then_markers: '，'"),
        # English openers and clause ends are looked up one word at a time
        ("after_openers: [after, once]", "after_openers: [after, once, as soon as]", "'as soon as'"),
        ("english_clause_ends: [can,", "english_clause_ends: [how come, can,", "'how come'"),
        ("before_openers: [before]", "before_openers: [before, 之前]", "'之前'"),
        # a closer or an opener dates one way only
        ("before_closers: [之前", "before_closers: [后, 之前", "'后' is in both after_closers and before_closers"),
        ("before_openers: [before]", "before_openers: [before, once]", "'once' is in both"),
    ],
)
def test_words_the_reader_cannot_use_are_refused(old: str, new: str, word: str) -> None:
    assert old in SHIPPED_CLAUSES
    with pytest.raises(VocabularyError) as raised:
        parse_time_clauses(SHIPPED_CLAUSES.replace(old, new, 1), Path("time_clauses.yaml"))
    assert "time_clauses.yaml: the time clause file is invalid" in str(raised.value)
    assert word in str(raised.value)


def test_the_shipped_file_is_accepted() -> None:
    parse_time_clauses(SHIPPED_CLAUSES, Path("time_clauses.yaml"))


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
        # D2: China's document before a trip is dealt with in China, before it: not used abroad; only an entry
        # about China's own document of that kind answers it
        ("飞澳洲之前要换新的中国护照吗", "passport" + BEFORE_TRIP),
        ("Before I fly to Germany, can I renew my Chinese driving licence?", "driving_licence" + BEFORE_TRIP),
        ("想先在国内换好中国驾照再去加拿大", "driving_licence" + BEFORE_TRIP),
        # a trip only planned, and a document renewed or expiring: the one held now, where the user is
        ("我下周要回新西兰，中国签证快过期了怎么办", "visa" + BEFORE_TRIP),
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


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "side"),
    [
        # a move in a before-clause is still ahead: the user is on the other side now
        ("飞澳洲之前想在国内换本新护照", CHINA),
        ("去德国读书前，身份证要不要换", CHINA),
        ("回国之前要准备哪些材料", ABROAD),
        ("想先在国内换好身份证再去加拿大", CHINA),
        # leaving China (#exit, no place named) in a before-clause is a trip abroad still ahead
        ("出国前护照过期了怎么办", CHINA),
        ("出國前身份證過期了怎麼辦", CHINA),
        # a move in an after-clause is made: the user is where it leads
        ("回国以后护照找不到了", CHINA),
        ("到了新西兰以后护照丢了", ABROAD),
    ],
)
def test_a_move_ahead_leaves_the_user_where_they_are(analyzer: Analyzer, text: str, side: str) -> None:
    assert analyzer.analyze(text, focus=True).whereabouts == side


@pytest.mark.parametrize(
    ("text", "nationality"),
    [
        # a naturalisation still ahead leaves the user a Chinese national; one done makes them a foreign one
        ("入籍前要不要先把国内房子卖了", CHINESE),
        ("申请澳洲国籍之前户口怎么办", CHINESE),
        ("Before I become a Canadian citizen, should I sell my flat in Fuzhou", CHINESE),
        ("入籍以后国内的房子怎么办", FOREIGN),
        ("加入英国国籍后户口怎么办", FOREIGN),
        ("我是英国籍，入境前要办什么", FOREIGN),  # a nationality stated, not a naturalisation
        # stated nationality: a foreign one followed by 华人 is descent; a foreign passport held is a foreign national
        ("我是韩籍华人，回国用什么证件", FOREIGN),
        ("我拿的是新西兰护照，回国要签证吗", FOREIGN),
        ("我持新加坡护照", FOREIGN),
        ("我有荷兰护照，想在国内买房", FOREIGN),
        ("拿新加坡或马来西亚护照回国要签证吗", FOREIGN),
        ("新西兰护照丢了怎么办", None),  # a passport asked about, held by nobody said
    ],
)
def test_the_stated_nationality(analyzer: Analyzer, text: str, nationality: str | None) -> None:
    assert analyzer.analyze(text, focus=True).nationality == nationality


def test_a_foreign_passport_held_is_no_foreign_system(analyzer: Analyzer) -> None:
    assert not analyzer.analyze("我拿的是新西兰护照，回国坐高铁用什么证件").foreign_attribute
    assert analyzer.analyze("新西兰护照怎么续").foreign_attribute


@pytest.fixture(scope="module")
def shipped() -> FaqMatcher:
    return FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # D1: the naturalisation is background; the question is the Chinese 户口, which the KB answers
        ("加入英国国籍以后，老家的户口要怎么处理", "hukou-cancel"),
        # D2: a foreign national in China whose Chinese visa runs out before the trip home
        ("下周要回新西兰了，签证到期了能在这边延期吗", "stay-extension"),
        # stated nationality: a foreign national of Chinese descent, a foreign passport held
        ("我是日籍华人，回国坐高铁住酒店用什么证件", "foreigner-id-documents"),
        ("我拿的是美国护照，回国坐高铁用什么证件", "foreigner-id-documents"),
    ],
)
def test_the_shipped_kb_answers(shipped: FaqMatcher, text: str, expected: str) -> None:
    decision = shipped.decide(text)
    assert (decision.decision, decision.faq_id) == ("answer", expected)


def test_an_entry_covers_chinas_document_before_a_trip_unless_it_is_about_anothers(reader: CounterpartReader) -> None:
    assert "passport" + BEFORE_TRIP in reader.covered_kinds(["探亲回来护照到期了能在国内换吗"])
    assert "passport" + BEFORE_TRIP not in reader.covered_kinds(["在国外护照快到期了怎么换"])  # set abroad
    assert "driving_licence" + BEFORE_TRIP not in reader.covered_kinds(["国外驾照能换成中国驾照吗"])


def test_chinas_licence_before_a_trip_is_not_answered_by_the_foreign_licence_entry(shipped: FaqMatcher) -> None:
    """The KB has no entry about renewing China's licence: the foreign-licence conversion entry is only offered."""
    decision = shipped.decide("出发去加拿大前，要不要先把国内驾照换新")
    assert (decision.decision, decision.suggestions) == ("suggest", ("driving-license",))


def test_a_trip_ahead_is_not_answered_with_the_entry_set_abroad(shipped: FaqMatcher) -> None:
    """The renewal abroad and the renewal in China are both offered; neither is answered."""
    decision = shipped.decide("飞澳洲之前想在国内换本新护照")
    assert decision.decision == "suggest"
    assert set(decision.suggestions) == {"passport-renew-abroad", "passport-domestic"}


@pytest.mark.parametrize(
    ("text", "ahead"),
    [
        ("出国前护照过期了怎么办", True),
        ("出境之前身份证要换吗", True),
        ("飞澳洲之前想在国内换本新护照", True),
        # leaving made, or not dated
        ("出国后护照过期了怎么办", False),
        ("出国需要什么手续", False),
    ],
)
def test_leaving_china_ahead(analyzer: Analyzer, text: str, ahead: bool) -> None:
    assert analyzer.analyze(text, focus=True).leaving_ahead is ahead


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("出国前护照过期了怎么办", "passport-renew-abroad"),
        ("出国前身份证过期了怎么办", "id-card-overseas"),
        ("出國前身份證過期了怎麼辦", "id-card-overseas"),
    ],
)
def test_a_document_kept_up_before_leaving_china_is_offered_not_answered_by_the_entry_set_abroad(
    shipped: FaqMatcher, text: str, offered: str
) -> None:
    """The user is in China until they leave: the entry about renewing abroad is a choice, not the answer."""
    decision = shipped.decide(text)
    assert decision.decision == "suggest"
    assert decision.suggestions[0] == offered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # no document kept up: what is asked before leaving is still the entry's ("存好使馆的紧急电话")
        ("出国前想先存好使馆的紧急电话，领事保护热线是多少", "consular-protection"),
        # leaving China made: the user is abroad
        ("出国后护照过期了怎么办", "passport-renew-abroad"),
    ],
)
def test_other_acts_around_leaving_china_are_answered(shipped: FaqMatcher, text: str, expected: str) -> None:
    decision = shipped.decide(text)
    assert (decision.decision, decision.faq_id) == ("answer", expected)
