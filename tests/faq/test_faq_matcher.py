"""Decision rules on the small fixture KB (tests/faq/data/mini_kb.yaml)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from faq.calibration import Calibration, load_calibration
from faq.kb import FaqEntry
from faq.matcher import Decision, FaqMatcher


@pytest.fixture(scope="module")
def prior_mini_matcher(mini_entries: list[FaqEntry]) -> FaqMatcher:
    """The mini KB served with the prior itself: it is too small to measure, and would otherwise get the
    conservative gate (faq.kb_calibration), under which two of the English questions are offered, not answered."""
    return FaqMatcher.build(mini_entries, calibration=load_calibration())


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("在国外护照丢了怎么办", "passport-lost-abroad"),
        ("你好，请问我的户照在美国被偷了怎么办", "passport-lost-abroad"),  # greeting + voice typo
        ("護照在國外遺失了怎麼辦", "passport-lost-abroad"),
        ("I lost my passport in Canada", "passport-lost-abroad"),
        ("护照快过期了，在国外怎么换", "passport-renew-abroad"),
        ("中国承认双重国籍吗", "dual-nationality"),
        ("can I have dual citizenship", "dual-nationality"),
        ("外籍华人回国探亲要办什么签证", "visa-foreign-chinese"),
        ("养老金生存认证在国外怎么做", "social-insurance-pension"),
        ("转人工", "hotline-human"),
    ],
)
def test_clear_questions_are_answered(prior_mini_matcher: FaqMatcher, text: str, faq_id: str) -> None:
    decision = prior_mini_matcher.decide(text)
    assert decision.decision == "answer", decision
    assert decision.faq_id == faq_id
    assert decision.suggestions == ()
    assert 0.0 <= decision.score <= 1.0


@pytest.mark.parametrize("text", ["护照", "passport", "签证", "護照"])
def test_generic_words_suggest_never_answer(mini_matcher: FaqMatcher, text: str) -> None:
    decision = mini_matcher.decide(text)
    assert decision.decision == "suggest", decision
    assert decision.faq_id is None
    assert 1 <= len(decision.suggestions) <= 3


def test_generic_passport_suggests_passport_entries(mini_matcher: FaqMatcher) -> None:
    suggestions = mini_matcher.decide("护照").suggestions
    assert set(suggestions) <= {"passport-renew-abroad", "passport-lost-abroad", "passport-domestic"}


@pytest.mark.parametrize(
    ("text", "smalltalk"),
    [
        ("你好", "greeting"),
        ("您好，有人在吗？", "greeting"),
        ("hello", "greeting"),
        ("谢谢", "thanks"),
        ("谢谢你们，辛苦了", "thanks"),
        ("👍", "thanks"),
        ("再见", "bye"),
        ("好的谢谢，拜拜", "bye"),
    ],
)
def test_smalltalk_is_handed_over_with_marker(mini_matcher: FaqMatcher, text: str, smalltalk: str) -> None:
    assert mini_matcher.decide(text) == Decision("handover", None, (), 0.0, smalltalk)  # type: ignore[arg-type]


def test_greeting_with_question_is_not_smalltalk(mini_matcher: FaqMatcher) -> None:
    decision = mini_matcher.decide("你好，转人工")
    assert decision.smalltalk is None
    assert decision.decision == "answer"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀😀😀",
        "？？？！！！",
        "\x00\x01\x02\x03\x04garbage\x05\x06\x07\x08",
        "\ufffd\ufffd\ufffd\ufffd护照",
        "护照丢了怎么办" * 1500,  # 10,500 characters
        "a" * 10_000,
        "今天北京天气怎么样",
        "红烧肉怎么做",
    ],
)
def test_bad_or_unrelated_input_never_answers(mini_matcher: FaqMatcher, text: str) -> None:
    decision = mini_matcher.decide(text)
    assert decision.decision != "answer"
    assert decision.faq_id is None


def test_unrelated_question_is_handed_over(mini_matcher: FaqMatcher) -> None:
    decision = mini_matcher.decide("推荐几部好看的电视剧")
    assert decision.decision == "handover"
    assert decision.smalltalk is None


def test_entry_lookup(mini_matcher: FaqMatcher, mini_entries: list[FaqEntry]) -> None:
    assert mini_matcher.entry("dual-nationality") == next(e for e in mini_entries if e.id == "dual-nationality")
    with pytest.raises(KeyError):
        mini_matcher.entry("no-such-id")


def test_decide_is_deterministic_across_threads(mini_matcher: FaqMatcher) -> None:
    texts = ["在国外护照丢了怎么办", "护照", "谢谢", "can I have dual citizenship"] * 25
    expected = [mini_matcher.decide(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(mini_matcher.decide, texts)) == expected


def test_thresholds_come_from_the_calibration(mini_entries: list[FaqEntry], mini_matcher: FaqMatcher) -> None:
    """With an impossible answer threshold the same question is only suggested."""
    base = mini_matcher.calibration
    strict = Calibration(
        weights=base.weights,
        bias=base.bias,
        answer_threshold=1.01,
        answer_margin=base.answer_margin,
        suggest_threshold=base.suggest_threshold,
        suggest_floor=base.suggest_floor,
    )
    decision = FaqMatcher.build(mini_entries, calibration=strict).decide("在国外护照丢了怎么办")
    assert decision.decision == "suggest"
    assert decision.suggestions[0] == "passport-lost-abroad"


def test_ambiguous_question_does_not_answer(mini_matcher: FaqMatcher) -> None:
    """Both passport entries fit a bare 'passport + abroad': ask which one."""
    decision = mini_matcher.decide("国外护照")
    assert decision.decision == "suggest"
    assert {"passport-renew-abroad", "passport-lost-abroad"} <= set(decision.suggestions)
