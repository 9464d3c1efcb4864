"""Stories get a gate threshold of their own, chosen with the other under the same budgets
(faq.fitting.choose_gate_thresholds), kept in the calibration file and used by the matcher."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from faq.calibration import LEXICAL, load_calibration
from faq.features import FEATURE_NAMES
from faq.fitting import GateRow, LabelledCandidates, choose_gate_threshold, choose_gate_thresholds
from faq.matcher import FaqMatcher
from faq.training import save_calibration

STORY = "我们一家在西班牙住了十年，这次回国过年，护照在国外丢了，怎么补办？"


def _query(in_scope: bool, story: bool) -> LabelledCandidates:
    row = [0.5] * len(FEATURE_NAMES)
    return LabelledCandidates([row], [1 if in_scope else 0], in_scope, "t", [0.0] * 6, "kb", story)


def _case() -> tuple[list[LabelledCandidates], list[GateRow], list[float]]:
    """Plain messages: right ones at gate 0.9, wrong ones (in scope, wrong entry) at 0.6 and out-of-scope ones
    at 0.55. Stories: right ones at 0.5 (the gate is unsure of them), one wrong at 0.3."""
    queries: list[LabelledCandidates] = []
    gates: list[float] = []

    def add(in_scope: bool, right: bool, story: bool, gate: float, n: int) -> None:
        for _ in range(n):
            q = _query(in_scope, story)
            if in_scope and not right:
                q = dataclasses.replace(q, labels=[0])
            queries.append(q)
            gates.append(gate)

    add(True, True, False, 0.9, 40)
    add(True, False, False, 0.6, 4)
    add(False, False, False, 0.55, 10)
    add(True, True, True, 0.5, 20)
    add(True, False, True, 0.3, 1)
    rows = [GateRow(i, [], 1 if q.in_scope and q.labels[0] == 1 else 0) for i, q in enumerate(queries)]
    return queries, rows, gates


def test_the_budget_goes_to_stories_when_their_gate_is_unsure_of_right_answers() -> None:
    queries, rows, gates = _case()
    one = choose_gate_threshold(queries, rows, gates, wrong_budget=0.02, oos_budget=0.0)
    plain, story = choose_gate_thresholds(queries, rows, gates, wrong_budget=0.02, oos_budget=0.0)
    # one threshold must stay above the plain messages' wrong answers (0.6), which also shuts out every story
    assert one > 0.6
    # two: the plain one as strict, the story one low enough for the stories' right answers, not their wrong one
    assert plain > 0.6 and 0.3 < story <= 0.5

    def answered(threshold_of: dict[bool, float]) -> tuple[int, int]:
        right = wrong = 0
        for q, r, g in zip(queries, rows, gates, strict=True):
            if g >= threshold_of[q.story]:
                right += r.label
                wrong += 1 - r.label
        return right, wrong

    assert answered({False: one, True: one}) == (40, 0)
    assert answered({False: plain, True: story}) == (60, 0)


def test_without_stories_both_thresholds_are_the_single_one() -> None:
    queries, rows, gates = _case()
    plain_only = [i for i, q in enumerate(queries) if not q.story]
    queries = [queries[i] for i in plain_only]
    rows = [GateRow(k, [], rows[i].label) for k, i in enumerate(plain_only)]
    gates = [gates[i] for i in plain_only]
    one = choose_gate_threshold(queries, rows, gates, wrong_budget=0.02, oos_budget=0.0)
    plain, _ = choose_gate_thresholds(queries, rows, gates, wrong_budget=0.02, oos_budget=0.0)
    assert abs(plain - one) < 0.006  # the pair's grid is coarser (0.005)


def test_the_story_threshold_round_trips_and_an_older_file_has_none(tmp_path: Path) -> None:
    shipped = load_calibration(mode=LEXICAL)
    path = tmp_path / "calibration.json"
    save_calibration(dataclasses.replace(shipped, story_gate_threshold=0.61), path, LEXICAL)
    assert load_calibration(path, LEXICAL).story_gate_threshold == 0.61
    save_calibration(dataclasses.replace(shipped, story_gate_threshold=None), path, LEXICAL)
    older = load_calibration(path, LEXICAL)
    assert older.story_gate_threshold is None
    assert older.threshold_for(story=True) == older.gate_threshold


def test_the_matcher_answers_a_story_at_the_story_threshold(mini_matcher: FaqMatcher) -> None:
    assert mini_matcher.reads_as_story(STORY)
    assert not mini_matcher.reads_as_story("在国外护照丢了怎么办")
    cal = mini_matcher.calibration
    gate = mini_matcher.explain(STORY).gate_probability
    assert gate is not None
    strict = dataclasses.replace(cal, gate_threshold=0.0, story_gate_threshold=min(1.0, gate + 0.01))
    lenient = dataclasses.replace(cal, gate_threshold=1.01, story_gate_threshold=max(0.0, gate - 0.01))
    assert FaqMatcher(mini_matcher._index, strict).decide(STORY).decision != "answer"
    answered = FaqMatcher(mini_matcher._index, lenient)
    assert answered.decide(STORY).decision == "answer"
    assert "a story's" in answered.explain(STORY).reason
    # a message that is no story is held to the other threshold
    assert answered.decide("在国外护照丢了怎么办").decision != "answer"


def test_a_hand_edited_story_threshold_that_is_no_number_falls_back_to_the_other(tmp_path: Path) -> None:
    shipped = load_calibration(mode=LEXICAL)
    path = tmp_path / "calibration.json"
    for bad in ("0.7x", True, float("nan"), [0.7]):
        save_calibration(shipped, path, LEXICAL)
        document = json.loads(path.read_text(encoding="utf-8"))
        document[LEXICAL]["story_gate_threshold"] = bad
        path.write_text(json.dumps(document), encoding="utf-8")
        loaded = load_calibration(path, LEXICAL)
        assert loaded.story_gate_threshold is None
        assert loaded.threshold_for(story=True) == loaded.gate_threshold
