"""Where the user is while asking (in China or abroad) decides between near-twin entries (faq.whereabouts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.analysis import Analyzer
from faq.whereabouts import (
    ABROAD,
    CHINA,
    TWIN_SCORE_SHARE_SURE,
    entry_sides,
    twin_ruled_out,
    twin_to_lead,
    twins,
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("我们全家在西班牙，现在回青田过年，女儿护照快到期了，在这边能换吗", CHINA),  # the story moves on
        ("我在多伦多，下个月要回国，护照只剩三个月，我在这边怎么换", ABROAD),  # a planned move has not happened
        ("回文成喝喜酒，护照找不到了。下周要回意大利上班，去哪里挂失", CHINA),
        ("我是住在泰国的华侨，这次回汕头扫墓，护照丢了，回泰国的机票是下周的，能不能在这边补办", CHINA),
        ("我爸在国内领退休金，去年来澳洲跟我们住，人不在国内怎么办", ABROAD),  # negated presence
        ("我定居在国外，回国期间能在国内换发护照吗", CHINA),
        ("在国外护照快到期了，怎么换发新护照", ABROAD),
        ("I'm visiting my parents in Fujian. Can I renew my passport here?", CHINA),
        ("How do I renew my Chinese passport while living abroad?", ABROAD),
        # where the user lives does not override where they are staying now
        ("My ID card was stolen while I was visiting relatives in Wenzhou. I live in Rome.", CHINA),
        ("I am staying in Fuzhou for two weeks though I live in Canada. Can I get a new ID card here?", CHINA),
        ("I live in Canada. What should I do?", ABROAD),
        # "fly back" with no place says nothing; a flight one is supposed to take has not happened yet
        ("I am back in Hangzhou for a month and must renew my passport before I fly back", CHINA),
        ("I'm back in Guangzhou for the summer. Can I renew it here in China before flying back?", CHINA),
        ("Back in Fuzhou now; I lost my passport and am heading back soon", CHINA),
        ("I am in Xiamen and I am supposed to fly back to Paris on Monday", CHINA),
        ("护照快到期了怎么换", None),
        ("等不及回去再弄", None),  # 回去: which way is back depends on who speaks
        ("我喺悉尼，本中國護照下個月到期，唔想飛返大陸換", ABROAD),  # a move that will not happen
        ("我们来巴黎玩，包被偷了，后天的飞机回上海，怎么办", ABROAD),
        # a place governed by someone else is where they are, not the user
        ("My uncle in Malaysia died and left something to my mother. I am in Toronto.", ABROAD),
        ("My uncle in Malaysia died and left my mother a house. What should she do?", None),
        ("My mother, who lives in Fuqing, needs a new ID card", None),
        ("Lost my Chinese passport while visiting family in Xiamen. I live in Manila.", CHINA),  # visiting them
        ("I am staying with my parents in Fuqing and my passport is about to expire", CHINA),
        # visiting a place is being there unless it is planned; a county known by its pinyin
        ("I'm a Chinese citizen currently visiting Chengdu. Can I renew my passport?", CHINA),
        ("I'm planning on visiting Chengdu next month. Can I renew my passport there?", ABROAD),
        ("I'm in Hui'an for the summer and my passport expired", CHINA),
        ("I am back in Anxi for a month. Can I renew my ID card?", CHINA),
        ("I live in Madrid and my son hopes to go back to Qingtian for school", ABROAD),  # a hope is a plan
        ("We are in Rome and our daughter wants to move back to Wenzhou", ABROAD),
        # a reading said in the present (现在, 这次, 人在 …) or of a completed move is not overridden by a plainer
        # one after it: a worry about the way back, a hearsay, a plan
        ("我现在在厦门，昨晚发现护照找不到了。请问在国内挂失要去哪里？会不会耽误我回英国？", CHINA),
        ("我在雅加达住了十几年，这次回厦门陪我妈过年，听说在国外换要等好久", CHINA),
        ("我人在巴黎，国内的房子想卖掉，在国内要找谁办", ABROAD),
        ("宝宝拿旅行证回厦门了，在新加坡办的出生纸要认证吗", CHINA),
        # where the user lived or used to be does not override where they are now, read before it
        ("这次回青田探亲，我在西班牙住了二十年", CHINA),
        ("回国探亲的时候护照丢了，我以前在国外都是去使馆办", CHINA),
        # a negation before the move, however far the place: "不用再回美國領館" is no move
        ("回鄉探親期間護照快到期了，能不能在國內辦，不用再回美國領館？", CHINA),
        # a move asked about ("回来还能换吗") has not happened: the user is still on the other side
        ("国内的驾照在国外过期了一年多，回来还能换吗？", ABROAD),
        ("我人在国外，回国要带什么材料", ABROAD),
        # jieba's one word "回老家" is a move and a place; a move the user must still make or one dated by a day
        # ahead (还得, 月底, 下礼拜四) has not happened; "have to go back" neither, "have come back" has
        ("回老家过年走亲戚，护照不知道落哪了，翻遍了都没有，月底还得回悉尼上班", CHINA),
        ("回老家办完喜酒，收拾东西发现护照不见了，机票是下礼拜四回悉尼的，这可咋整", CHINA),
        ("I live in San Jose and my passport runs out next spring. Do I have to go back to China to renew it?", ABROAD),
        ("I have come back to China and my passport expired", CHINA),
        # a move in an infinitive is still to be made
        ("My passport went missing in Kuala Lumpur. How do I get a document to go home to China?", ABROAD),
        ("I came back to China to renew my passport", CHINA),
    ],
)
def test_where_the_user_is(analyzer: Analyzer, text: str, side: str | None) -> None:
    assert analyzer.analyze(text).whereabouts == side


def test_an_entry_is_where_most_of_its_phrasings_are() -> None:
    assert entry_sides([ABROAD, ABROAD, CHINA, None]) == frozenset({ABROAD})
    assert entry_sides([ABROAD, CHINA]) == frozenset({ABROAD, CHINA})
    assert entry_sides([None, None]) == frozenset()


def test_the_twin_that_agrees_leads() -> None:
    home = frozenset({"#passport", "#renew", "#domestic", "#return", "#expire"})
    abroad = frozenset({"#passport", "#renew", "#abroad", "#consulate", "#expire"})
    bank = frozenset({"#bank", "#domestic", "#credential"})
    sides = [frozenset({ABROAD}), frozenset({CHINA})]
    assert twins(home, abroad) and not twins(home, bank)
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.3, 0.1]) == 1
    assert twin_to_lead(ABROAD, sides, [abroad, home], [0.3, 0.1]) == 0  # the first agrees already
    assert twin_to_lead(None, sides, [abroad, home], [0.3, 0.1]) == 0  # the message does not say
    assert twin_to_lead(CHINA, sides, [abroad, bank], [0.3, 0.1]) == 0  # not a twin
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.9, 0.05]) == 0  # too far behind to be its twin
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.9, 0.05], share=TWIN_SCORE_SHARE_SURE) == 1  # said surely
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.9, 0.005], share=TWIN_SCORE_SHARE_SURE) == 0
    assert twin_to_lead(CHINA, [frozenset(), frozenset({CHINA})], [abroad, home], [0.3, 0.1]) == 0
    # a twin must know what the first knows of the message's topic
    consulate = frozenset({"#consulate"})
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.3, 0.1], consulate | {"#passport"}) == 0
    assert twin_to_lead(CHINA, sides, [abroad, home], [0.3, 0.1], frozenset({"#passport", "#expire"})) == 1
    # set on both sides, an entry is no twin of either
    assert twin_to_lead(CHINA, [frozenset({ABROAD}), frozenset({ABROAD, CHINA})], [abroad, home], [0.3, 0.1]) == 0


def test_a_far_weaker_twin_leads_with_its_own_score() -> None:
    """A twin at under TWIN_SCORE_TAKEOVER of the first leads, but is judged on its own probability: offered
    first, not answered with the first's confidence."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml"), embedder=None)
    decision = matcher.decide("我人在美国，领事认证 公证 流程")
    assert decision.faq_id != "power-of-attorney"  # at p 0.106 against the notarisation entry's 0.991


def test_a_sure_place_contests_a_far_stronger_best_entry() -> None:
    """The story's words carry the renewal abroad far ahead (p 0.72 against 0.01), but the user says surely that
    they are back in China and ask there: neither twin is answered, both are offered, the one at home first."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml"), embedder=None)
    text = "我在澳洲住了二十年拿的永居，这次回泉州照顾我爸要住几个月，护照下个月到期了，能不能在泉州这边换本新的"
    decision = matcher.decide(text)
    assert decision.decision == "suggest"
    assert decision.suggestions[:2] == ("passport-domestic", "passport-renew-abroad")
    why = matcher.explain(text)
    assert "says surely where the user is" in why.reason
    # not said surely (where the user lives, no move back): the best entry is judged as before
    assert matcher.decide("我在澳洲住了二十年拿的永居，护照下个月到期了，能不能换本新的").faq_id != "passport-domestic"


@pytest.mark.parametrize(
    ("text", "sure"),
    [
        ("我人在Paris，Chinese driving license下个月expire，可以online申请延期换证吗？", True),  # 人在
        ("这次回厦门陪我妈过年，护照快到期了", True),
        ("今年起我回文成常住了，现在该怎么认证？", True),  # a completed move
        ("在国外怎么做养老金认证？认证后多久恢复发放", True),  # the place of the asking clause
        ("我在雅加达住了十几年，护照快到期了", False),  # where the user lives
        ("我在意大利，护照快到期了", False),
        ("护照快到期了怎么换", False),
    ],
)
def test_how_sure_the_reading_is(analyzer: Analyzer, text: str, sure: bool) -> None:
    assert analyzer.analyze(text, focus=True).whereabouts_sure is sure


def test_a_sure_reading_compares_twins_on_what_the_question_names(analyzer: Analyzer) -> None:
    """Said surely, where the user is decides between near twins on the question's own topic: not the story's
    past clauses nor a bare how / apply (generic concepts). Otherwise every topic concept of the message counts."""
    text = "我在意大利住的时候都是用领事APP做养老金认证，今年起我回文成常住了，现在怎么做养老金认证？"
    sure = analyzer.analyze(text, focus=True)
    assert sure.whereabouts_sure
    topic = analyzer.topic_concepts(sure)
    assert "#pension" in topic and "#consular_app" not in topic and "#how" not in topic
    assert not {"#apply"} & analyzer.topic_concepts(analyzer.analyze("我人在巴黎，驾照要申请延期", focus=True))
    plain = analyzer.analyze("我在意大利用领事APP做养老金认证，回文成以后怎么做", focus=True)
    assert not plain.whereabouts_sure
    assert "#consular_app" in analyzer.topic_concepts(plain)


def test_contested_twins_are_offered_side_by_side() -> None:
    """A contested lead carries the first's probability on both twins, so both belong at the head of
    the choices. When the twin was third, the swap leaves the runner-up (an unrelated entry far below both)
    between them: "现在人在国内，护照过期了" would offer passport-domestic, bank-account (p 0.17), then the renewal
    abroad (p 0.96)."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml"), embedder=None)
    text = "现在人在国内，护照过期了"
    why = matcher.explain(text)
    assert "says surely where the user is" in why.reason
    assert matcher.decide(text).suggestions[:2] == ("passport-domestic", "passport-renew-abroad")
    probabilities = [c.probability for c in why.candidates]
    assert probabilities == sorted(probabilities, reverse=True)  # the choices in the order of what explain shows


def test_a_place_not_said_surely_never_contests() -> None:
    """The contested rule's own test checks its negative with a message placed abroad, where no twin
    can lead at all, so dropping the whereabouts_sure condition goes unnoticed. Here the user is in China but not
    surely (回国探亲), and the home twin sits at 1.7 % of the first, inside the sure share, outside the plain one."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml"), embedder=None)
    text = "我在澳洲住了二十年拿的永居，回国探亲，护照下个月到期了，怎么换本新的"
    assert "says surely where the user is" not in matcher.explain(text).reason


def test_a_twin_the_message_rules_out() -> None:
    home = frozenset({"#passport", "#lost", "#domestic", "#return"})
    abroad = frozenset({"#passport", "#lost", "#abroad", "#consulate"})
    bank = frozenset({"#bank", "#abroad", "#credential"})
    sides = [frozenset({CHINA}), frozenset({ABROAD})]
    assert twin_ruled_out(CHINA, sides, [home, abroad]) == 1
    assert twin_ruled_out(ABROAD, sides, [home, abroad]) == 0  # the first disagrees: twin_to_lead's case
    assert twin_ruled_out(None, sides, [home, abroad]) == 0
    assert twin_ruled_out(CHINA, sides, [home, bank]) == 0  # not a twin
    assert twin_ruled_out(CHINA, [frozenset({CHINA}), frozenset({ABROAD, CHINA})], [home, abroad]) == 0
    assert twin_ruled_out(CHINA, [frozenset({CHINA, ABROAD}), frozenset({ABROAD})], [home, abroad]) == 0
    # a twin must know what the first knows of the message's topic
    assert twin_ruled_out(CHINA, sides, [home, abroad], frozenset({"#return", "#passport"})) == 0
    # any two-sided reading: a nationality
    assert twin_ruled_out("chinese", [frozenset({"chinese"}), frozenset({"foreign"})], [home, abroad]) == 1


def test_a_ruled_out_twin_is_no_rival_for_the_gate() -> None:
    """The first entry agrees with where the user is, its twin below it applies only on the other side: the two
    would split the message's probability between them and the gate would weigh the first against its own twin.
    The twin's probability goes to the first; the twin stays second among the choices."""
    from faq.kb import load_kb
    from faq.matcher import FaqMatcher

    matcher = FaqMatcher.build(load_kb(Path(__file__).resolve().parents[2] / "config" / "faq.yaml"), embedder=None)
    text = "阿媽嚟紐約探我，佢本中國護照喺唐人街唔見咗，要點補辦？"
    why = matcher.explain(text)
    assert [c.faq_id for c in why.candidates[:2]] == ["passport-lost-abroad", "passport-lost-domestic"]
    first, twin = why.candidates[0].probability, why.candidates[1].probability
    assert first >= twin > 0.1  # the twin's share is in the first's
    assert matcher.decide(text).faq_id == "passport-lost-abroad"  # offered, not answered, without the rule
