from __future__ import annotations

from faq.evaluation import LabelledQuery, evaluate, percentile
from faq.matcher import Decision


class _Scripted:
    """A decider with fixed answers, so the metrics can be checked by hand."""

    def __init__(self, decisions: dict[str, Decision]) -> None:
        self.decisions = decisions

    def decide(self, text: str) -> Decision:
        return self.decisions[text]


def test_metrics_per_style() -> None:
    decider = _Scripted(
        {
            "a": Decision("answer", "x", (), 0.9),  # right
            "b": Decision("answer", "y", (), 0.9),  # wrong
            "c": Decision("suggest", None, ("z", "x"), 0.5),  # hit in suggestions
            "d": Decision("handover", None, ("x",), 0.1),  # related does not count as a hit
            "e": Decision("answer", "x", (), 0.9),  # out of scope answered
            "f": Decision("handover", None, (), 0.0, "greeting"),
        }
    )
    queries = [
        LabelledQuery("a", "x", "short"),
        LabelledQuery("b", "x", "short"),
        LabelledQuery("c", "x", "voice"),
        LabelledQuery("d", "x", "voice"),
        LabelledQuery("e", None, "out_of_scope"),
        LabelledQuery("f", None, "out_of_scope"),
    ]
    report = evaluate(decider, queries)
    overall = report.overall.rates()
    assert overall["answered_correct_pct"] == 25.0
    assert overall["wrong_answers"] == 1 and overall["wrong_answers_pct"] == 25.0
    assert overall["hit_answered_or_suggested_pct"] == 50.0
    assert overall["oos_answered_pct"] == 50.0
    assert report.by_style["short"].rates()["answered_correct_pct"] == 50.0
    assert report.by_style["voice"].rates()["hit_answered_or_suggested_pct"] == 50.0
    assert {f.q for f in report.failures} == {"b", "c", "d", "e"}
    assert report.latency_ms_p99 >= report.latency_ms_p50 >= 0
    assert '"wrong_answers": 1' in report.to_json()
    assert "voice" in report.to_text()


def test_percentile() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) in (50.0, 51.0)
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0
