"""Why messages whose right entry is ranked first still get choices instead of the answer:
`python bench/faq_misses.py --suite KB:QUERIES [--suite …] [--styles colloquial,multi_part]`.

For each suite the matcher is built as `faq eval` builds it (calibrated for its KB, a fresh cache). A message
"ranked first, not answered" had its right entry first but the gate below its threshold. For those of the
chosen styles it prints, per answer-gate feature, how much the feature pulls the gate's log-odds down
against the messages answered right (all styles): weight × (their mean − the answered mean), most negative
first, with both means; and the same for the candidate model's features (the best candidate's probability
p1 is the gate's largest input). Then, for messages read as a story (faq.focus), how often the first entry
is right when the question read alone (faq.story) agrees with the whole message and when it does not.
Prints figures only; it changes nothing.

    python bench/faq_misses.py --suite config/faq.yaml:bench/data/faq_holdout4.yaml \\
        --suite bench/data/kb_lishui/kb.yaml:bench/data/kb_lishui/messages.yaml
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faq.calibration import Calibration  # noqa: E402
from faq.evaluation import load_queries  # noqa: E402
from faq.explanation import Explanation  # noqa: E402
from faq.features import gate_feature_names  # noqa: E402
from faq.kb import load_kb  # noqa: E402
from faq.matcher import FaqMatcher  # noqa: E402


@dataclass(frozen=True)
class Seen:
    style: str
    right_first: bool
    answered_right: bool
    gate_row: list[float] | None  # None: a rule settled the message before the gate
    candidate_row: list[float]
    story: bool
    agrees: bool | None  # the question read alone ranks the same entry first (None: no story)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _seen(why: Explanation, expect: str, style: str, calibration: Calibration) -> Seen | None:
    if not why.candidates or why.decision is None:
        return None
    first = why.candidates[0]
    p2 = why.candidates[1].probability if len(why.candidates) > 1 else 0.0
    top = list(first.features.values())
    gate = None
    if why.gate_probability is not None:
        gate = calibration.gate_row(first.probability, p2, top, list(why.query_features.values()))
    agrees = None if why.question_alone is None else why.question_alone == first.faq_id
    return Seen(
        style=style,
        right_first=first.faq_id == expect,
        answered_right=why.decision.decision == "answer" and why.decision.faq_id == expect,
        gate_row=gate,
        candidate_row=top,
        story=bool(why.clauses),
        agrees=agrees,
    )


def _deficits(
    chosen: Sequence[list[float]], reference: Sequence[list[float]], weights: Sequence[float], names: Sequence[str]
) -> list[tuple[str, float, float, float]]:
    """(name, weight × (chosen mean − reference mean), reference mean, chosen mean), most negative first."""
    out = []
    for i, name in enumerate(names):
        mean_ref = sum(r[i] for r in reference) / len(reference)
        mean_chosen = sum(r[i] for r in chosen) / len(chosen)
        out.append((name, weights[i] * (mean_chosen - mean_ref), mean_ref, mean_chosen))
    return sorted(out, key=lambda row: row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", action="append", required=True, help="KB:QUERIES")
    parser.add_argument("--styles", default="colloquial,multi_part")
    args = parser.parse_args()
    styles = set(args.styles.split(","))
    seen: list[Seen] = []
    gate_weights: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    names: tuple[str, ...] = ()
    latin = False
    with tempfile.TemporaryDirectory() as cache:
        for suite in args.suite:
            kb, queries = suite.split(":", 1)
            matcher = FaqMatcher.build(load_kb(kb), cache_dir=Path(cache))
            calibration = matcher.calibration
            gate_weights, weights, names = calibration.gate_weights, calibration.weights, calibration.feature_names
            latin = calibration.gate_latin
            for query in load_queries(queries):
                if query.expect is None:
                    continue
                row = _seen(matcher.explain(query.q), query.expect, query.style, calibration)
                if row is not None:
                    seen.append(row)
    answered = [s for s in seen if s.answered_right]
    missed = [s for s in seen if s.style in styles and s.right_first and not s.answered_right]
    print(f"{len(seen)} in-scope messages with candidates; {len(answered)} answered right (reference)")
    print(f"{len(missed)} of styles {sorted(styles)} ranked first, not answered")
    gated = [s.gate_row for s in missed if s.gate_row is not None]
    reference = [s.gate_row for s in answered if s.gate_row is not None]
    if gated and reference and gate_weights:
        print("\ngate log-odds pulled down, per gate feature (weight x (missed mean - answered mean)):")
        gate_names = gate_feature_names(names, latin)
        for name, pull, mean_ref, mean_missed in _deficits(gated, reference, gate_weights, gate_names):
            print(f"  {name:22} {pull:+7.3f}   answered {mean_ref:7.3f}   missed {mean_missed:7.3f}")
    if missed and answered:
        print("\np1 log-odds pulled down, per candidate feature of the first entry:")
        rows = [s.candidate_row for s in missed]
        for name, pull, mean_ref, mean_missed in _deficits(rows, [s.candidate_row for s in answered], weights, names):
            print(f"  {name:22} {pull:+7.3f}   answered {mean_ref:7.3f}   missed {mean_missed:7.3f}")
    stories = [s for s in seen if s.agrees is not None]
    print(f"\n{len(stories)} in-scope messages read as a story; first entry right when the question alone ...")
    for label, agrees in (("agrees", True), ("disagrees", False)):
        group = [s for s in stories if s.agrees is agrees]
        if group:
            right = sum(s.right_first for s in group)
            print(f"  {label:9} {right:5} of {len(group):5} ({100 * right / len(group):.1f} %)")


if __name__ == "__main__":
    main()
