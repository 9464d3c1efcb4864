"""A message that shares one word with its best entry and says several things the KB never does is
about a topic beside the KB: offered, never answered."""

from __future__ import annotations

import dataclasses

from config.settings import CONFIG_DIR
from faq.beside import MIN_UNKNOWN, beside_the_kb
from faq.calibration import load_calibration
from faq.kb import load_kb
from faq.matcher import FaqMatcher


def test_one_shared_unit_and_several_unknown_words_is_beside_the_kb() -> None:
    vocabulary = {"#phone_number", "实名", "认证", "国外"}
    entry = {"#phone_number", "实名", "认证", "国外"}
    assert beside_the_kb(["#phone_number", "游戏", "闪退", "卡顿"], entry, vocabulary)
    # two unknown words are not enough (hand-over requests say "说不清楚" beside #human)
    assert MIN_UNKNOWN == 3
    assert not beside_the_kb(["#phone_number", "游戏", "闪退"], entry, vocabulary)
    # two units in common: a question about the entry told in the user's own words
    assert not beside_the_kb(["#phone_number", "实名", "游戏", "闪退", "卡顿"], entry, vocabulary)


def test_a_topic_beside_the_kb_is_offered_not_answered() -> None:
    # a gate that answers from 0.05: the rule, not the fitted threshold, must keep this message from an answer
    lenient = dataclasses.replace(load_calibration(), gate_threshold=0.05)
    matcher = FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"), calibration=lenient)
    # lottery numbers share only 号码 (a phone number to the KB) with the mobile-number entry
    why = matcher.explain("帮我算算下期福彩号码")
    assert why.gate_probability is not None and why.gate_threshold is not None
    assert why.gate_probability >= why.gate_threshold  # the gate alone would answer
    assert "beside" in why.reason
    assert why.decision is not None and why.decision.decision == "suggest"
    assert why.decision.suggestions[:1] == ("mobile-phone-number",)
