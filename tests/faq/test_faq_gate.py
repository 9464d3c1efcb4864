"""The query-level "answer at all?" gate, its cues, when choices are offered, and the per-matcher decision cache."""

from __future__ import annotations

import dataclasses
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import faq.matcher as matcher_module
import faq.offering as offering
from faq.analysis import Analyzer
from faq.calibration import LEXICAL, Calibration, load_calibration
from faq.english import EnglishLemmatizer
from faq.features import FEATURE_NAMES, QUERY_FEATURE_NAMES, gate_feature_names, query_features
from faq.fitting import LabelledCandidates, choose_gate_threshold, cross_validated_gate, gate_rows, query_folds
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from faq.offering import choice_floor, worth_offering
from faq.training import save_calibration


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("text", "named", "destination"),
    [
        ("在美国怎么开银行账户", True, False),
        ("中国护照去泰国免签吗", True, True),
        ("在国外护照丢了怎么办", False, False),  # generic "abroad" names no country
        ("how is my personal data used", False, False),  # "used" is not "us"
    ],
)
def test_named_foreign_places(analyzer: Analyzer, text: str, named: bool, destination: bool) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.named_foreign is named
    assert analysis.foreign_destination is destination


def test_short_stems_are_not_english_variants() -> None:
    lemma = EnglishLemmatizer().lemma
    assert lemma("used") != "us"
    assert lemma("renewed") == lemma("renew")


def _query_row(matcher: FaqMatcher, text: str) -> dict[str, float]:
    row = query_features(matcher._analyze(text), matcher._index)
    return dict(zip(QUERY_FEATURE_NAMES, row, strict=True))


@pytest.mark.parametrize(
    ("text", "unanchored"),
    [
        ("在美国怎么开银行账户", 1.0),  # another country's banking system
        ("孩子在美国上公立学校怎么报名", 1.0),
        ("中国护照去泰国免签吗", 1.0),  # Thailand's entry rules
        ("在美国护照过期了怎么换", 0.0),  # a Chinese passport: ours
        ("在美国被抢了怎么办", 0.0),  # consular help: ours
    ],
)
def test_foreign_system_cue(mini_matcher: FaqMatcher, text: str, unanchored: float) -> None:
    assert _query_row(mini_matcher, text)["foreign_unanchored"] == unanchored


def test_opinion_cue(mini_matcher: FaqMatcher) -> None:
    assert _query_row(mini_matcher, "你觉得中国应不应该承认双重国籍")["opinion"] == 1.0
    assert _query_row(mini_matcher, "中国承认双重国籍吗")["opinion"] == 0.0


def _labelled(in_scope: bool, right_first: bool, strength: float) -> LabelledCandidates:
    """Two candidates; the first is `strength` strong on every feature, the second weak."""
    strong = [strength] * len(FEATURE_NAMES)
    weak = [0.1] * len(FEATURE_NAMES)
    labels = [1, 0] if right_first else [0, 1]
    return LabelledCandidates([strong, weak], labels if in_scope else [0, 0], in_scope, "t", [0.0] * 6)


def test_gate_threshold_keeps_out_of_scope_answers_in_budget() -> None:
    queries = [_labelled(True, True, 0.9) for _ in range(40)] + [_labelled(False, True, 0.8) for _ in range(10)]
    probabilities = [[0.95, 0.1] if q.in_scope else [0.9, 0.1] for q in queries]
    rows = gate_rows(queries, probabilities)
    assert [r.label for r in rows] == [1] * 40 + [0] * 10
    gate = cross_validated_gate(rows, query_folds(queries))
    threshold = choose_gate_threshold(queries, rows, gate, wrong_budget=0.0, oos_budget=0.0)
    answered_oos = sum(1 for r, g in zip(rows, gate, strict=True) if g >= threshold and not r.label)
    answered_right = sum(1 for r, g in zip(rows, gate, strict=True) if g >= threshold and r.label)
    assert answered_oos == 0
    assert answered_right > 30


def _gated(latin: bool = False) -> Calibration:
    """A lexical set with a gate of made-up weights, one per column (with the Latin-weighed ones if `latin`)."""
    names = gate_feature_names(FEATURE_NAMES, latin=latin)
    return Calibration(
        weights=(0.5,) * len(FEATURE_NAMES),
        bias=-1.0,
        answer_threshold=0.9,
        answer_margin=0.2,
        suggest_threshold=0.1,
        suggest_floor=0.03,
        gate_weights=tuple(float(i) / 100 for i in range(len(names))),
        gate_bias=-2.0,
        gate_threshold=0.8,
        gate_latin=latin,
    )


def test_gate_round_trips_through_the_json(tmp_path: Path) -> None:
    calibration = _gated()
    path = tmp_path / "calibration.json"
    save_calibration(calibration, path, LEXICAL)
    loaded = load_calibration(path, LEXICAL)
    assert loaded.has_gate and loaded.gate_threshold == 0.8 and loaded.gate_bias == -2.0
    assert loaded.gate_weights == calibration.gate_weights
    # gate features changed since the fit: the gate is dropped, threshold and margin remain
    document = json.loads(path.read_text(encoding="utf-8"))
    document[LEXICAL]["gate_weights"] = [1.0]
    path.write_text(json.dumps(document), encoding="utf-8")
    assert not load_calibration(path, LEXICAL).has_gate


def test_the_latin_weighed_gate_columns_round_trip_and_weigh_by_the_latin_share(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With gate_latin the gate has each column again times the message's Latin share: English rows get their own
    weights, Chinese ones (share 0) none of them. A set saved with them loads with them; one whose weights do not
    fit the columns it says it has loses its gate, as any set whose gate features changed."""
    names = gate_feature_names(FEATURE_NAMES, latin=True)
    base = gate_feature_names(FEATURE_NAMES)
    assert names[: len(base)] == base and names[len(base) :] == tuple(f"latin_x_{n}" for n in base)
    top = [0.1 * i for i in range(len(FEATURE_NAMES))]
    latin_at = FEATURE_NAMES.index("latin")
    query_row = [1.0] * len(QUERY_FEATURE_NAMES)
    calibration = _gated(latin=True)
    row = calibration.gate_row(0.9, 0.1, top, query_row)
    assert len(row) == len(names)
    assert row[len(base) :] == pytest.approx([top[latin_at] * v for v in row[: len(base)]])
    chinese = [*top[:latin_at], 0.0, *top[latin_at + 1 :]]
    assert set(calibration.gate_row(0.9, 0.1, chinese, query_row)[len(base) :]) == {0.0}
    path = tmp_path / "calibration.json"
    save_calibration(calibration, path, LEXICAL)
    loaded = load_calibration(path, LEXICAL)
    assert loaded.gate_latin and loaded.gate_weights == calibration.gate_weights
    document = json.loads(path.read_text(encoding="utf-8"))
    document[LEXICAL]["gate_weights"] = document[LEXICAL]["gate_weights"][: len(base)]
    path.write_text(json.dumps(document), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="faq.calibration"):
        dropped = load_calibration(path, LEXICAL)
    assert not dropped.has_gate and not dropped.gate_latin
    assert "answering by threshold and margin alone" in caplog.text  # said, not silent


def test_shipped_calibration_has_a_gate() -> None:
    calibration = load_calibration(mode=LEXICAL)
    assert calibration.has_gate
    assert 0.5 < calibration.gate_threshold < 1


def test_gate_decides_whether_to_answer(mini_entries: list[FaqEntry], mini_matcher: FaqMatcher) -> None:
    """Same candidates, a gate that never passes: the clear question is suggested instead."""
    closed = dataclasses.replace(mini_matcher.calibration, gate_threshold=1.01)
    if not closed.has_gate:
        pytest.skip("no fitted gate for this mode")
    text = "在国外护照丢了怎么办"
    assert mini_matcher.decide(text).decision == "answer"
    decision = FaqMatcher(mini_matcher._index, closed, mini_matcher._semantic).decide(text)
    assert decision.decision == "suggest" and decision.suggestions[0] == "passport-lost-abroad"


def test_cache_hits_return_the_same_decision(mini_entries: list[FaqEntry]) -> None:
    matcher = FaqMatcher.build(mini_entries, embedder=None)
    first = matcher.decide("在国外护照丢了怎么办")
    assert (matcher.cache_hits, matcher.cache_misses) == (0, 1)
    assert matcher.decide("在国外护照丢了怎么办") is first
    assert (matcher.cache_hits, matcher.cache_misses) == (1, 1)
    matcher.decide("在國外護照丟了怎麼辦")  # exact text is the key: another script is another entry
    assert matcher.cache_misses == 2


def test_cache_is_bounded_and_evicts_the_least_recent(
    mini_entries: list[FaqEntry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher_module, "DECISION_CACHE_SIZE", 3)
    matcher = FaqMatcher.build(mini_entries, embedder=None)
    for text in ("护照", "签证", "户口"):
        matcher.decide(text)
    matcher.decide("护照")  # refresh: now 签证 is the oldest
    matcher.decide("国籍")  # evicts 签证
    assert len(matcher._cache) == 3
    assert "签证" not in matcher._cache and "护照" in matcher._cache
    matcher.decide("x" * 300)  # long messages are not cached
    assert len(matcher._cache) == 3


def test_cache_is_safe_across_threads(mini_entries: list[FaqEntry]) -> None:
    matcher = FaqMatcher.build(mini_entries, embedder=None)
    texts = [f"护照丢了{i % 50}" for i in range(400)]
    reference = FaqMatcher.build(mini_entries, embedder=None)
    expected = {t: reference.decide(t) for t in set(texts)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(matcher.decide, texts))
    assert results == [expected[t] for t in texts]
    assert matcher.cache_hits + matcher.cache_misses == 400
    assert len(matcher._cache) == 50


def test_choices_are_offered_by_the_gate_not_by_the_probability_alone() -> None:
    calibration = dataclasses.replace(load_calibration(), suggest_threshold=0.12, suggest_floor=0.03)
    offer = offering.OFFER_GATE
    unrelated = offering.UNRELATED_GATE
    # a story whose right entry scored low, but the whole message looks like a question for this KB
    assert worth_offering(0.05, offer, False, calibration)
    assert not worth_offering(0.05, offer / 2, False, calibration)  # chit-chat sharing one word
    assert not worth_offering(offering.MIN_OFFER_P / 2, 0.9, False, calibration)
    # a high probability is offered unless the gate calls the best candidate unrelated
    assert worth_offering(0.5, unrelated, False, calibration)
    assert not worth_offering(0.5, unrelated / 2, False, calibration)
    # when no gate was consulted (a rule settled the message first) the probability threshold decides
    assert worth_offering(0.12, None, False, calibration) and not worth_offering(0.1, None, False, calibration)
    assert worth_offering(0.05, None, True, calibration)  # one broad word: offered from the floor


def test_a_kb_like_message_is_shown_less_likely_choices_too() -> None:
    calibration = dataclasses.replace(load_calibration(), suggest_floor=0.03)
    assert choice_floor(offering.OFFER_GATE, calibration) == offering.OFFERED_FLOOR < 0.03
    assert choice_floor(offering.OFFER_GATE / 2, calibration) == 0.03  # chit-chat: only likely ones
    assert choice_floor(None, calibration) == 0.03  # no gate consulted: as before
