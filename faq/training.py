"""Refit ``faq/calibration.json`` on labelled messages: a developers' command, never run by the service.

    .venv/bin/python -m faq.training --kb config/faq.yaml \
        --queries tests/data/faq_dev.yaml bench/data/faq_holdout.yaml bench/data/faq_holdout2.yaml

This fits the weights on all labelled queries, picks thresholds on 5-fold out-of-fold probabilities and
rewrites the JSON, once for the lexical features and once with the embedding features (when the model is
installed), then fits the answer gate on the out-of-fold probabilities and picks its threshold (median over
three fold splits) for the wrong-answer and out-of-scope budgets. Every set passed here is a dev set from
then on: never pass one that is still meant to measure (bench/data/kb_guangdong is measure-only).
It also measures the shipped KB on its own phrasings at the fitted gate threshold (the reference rates that
faq.kb_calibration moves a served KB's threshold by).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path

from faq.calibration import CALIBRATION_PATH, EMBEDDING, LEXICAL, MODE_FEATURES, Calibration
from faq.embedding import load_embedder
from faq.evaluation import load_queries
from faq.fitting import LabelledCandidates, fit_calibration
from faq.kb import load_kb
from faq.kb_calibration import reference_rates
from faq.matcher import FaqMatcher

# Budgets for choosing thresholds on out-of-fold probabilities; below the product targets
# (3 % wrong, 5 % out-of-scope answered) because unseen wording always does worse.
WRONG_BUDGET = 0.015
OOS_BUDGET = 0.03


def save_calibration(calibration: Calibration, path: Path = CALIBRATION_PATH, mode: str = LEXICAL) -> None:
    """Replace the set for `mode`, keeping the other one."""
    data = asdict(calibration)
    data["weights"] = [round(w, 6) for w in calibration.weights]
    data["bias"] = round(calibration.bias, 6)
    data["gate_weights"] = [round(w, 6) for w in calibration.gate_weights]
    data["gate_bias"] = round(calibration.gate_bias, 6)
    data["feature_names"] = list(calibration.feature_names)
    document: dict[str, object] = {}
    if path.exists():
        existing = json.loads(path.read_text(encoding="utf-8"))
        if "weights" not in existing:
            document = existing
    document[mode] = data
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def labelled_candidates(matcher: FaqMatcher, text: str, expect: str | None, style: str = "") -> LabelledCandidates:
    """One labelled message's candidates with 0/1 labels (1: the entry it expects)."""
    ids, rows, query_row = matcher.candidate_rows(text)
    return LabelledCandidates(rows, [1 if i == expect else 0 for i in ids], expect is not None, style, query_row)


def main() -> None:  # pragma: no cover - thin command-line wrapper
    parser = argparse.ArgumentParser(description="Refit faq/calibration.json on labelled queries.")
    parser.add_argument("--kb", required=True)
    parser.add_argument("--queries", required=True, nargs="+", help="one or more labelled query files")
    parser.add_argument("--mode", choices=(LEXICAL, EMBEDDING, "both"), default="both")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--wrong-budget", type=float, default=WRONG_BUDGET, help="max wrong answers, share of in-scope")
    parser.add_argument("--oos-budget", type=float, default=OOS_BUDGET, help="max out-of-scope answered, share")
    parser.add_argument("--out", default=str(CALIBRATION_PATH))
    args = parser.parse_args()
    entries = load_kb(args.kb)
    queries = [q for path in args.queries for q in load_queries(path)]
    names = ", ".join(Path(p).name for p in args.queries)
    for mode in (LEXICAL, EMBEDDING) if args.mode == "both" else (args.mode,):
        placeholder = Calibration((0.0,) * len(MODE_FEATURES[mode]), 0.0, 1.0, 1.0, 1.0, 1.0)
        embedder = load_embedder() if mode == EMBEDDING else None
        if mode == EMBEDDING and embedder is None:
            print("embedding model not installed: skipping the embedding coefficients")
            continue
        matcher = FaqMatcher.build(entries, calibration=placeholder, embedder=embedder)
        labelled = [labelled_candidates(matcher, q.q, q.expect, q.style) for q in queries]
        calibration = fit_calibration(
            labelled,
            l2=args.l2,
            note=f"{mode}: fitted on {names} ({len(queries)} queries) with {Path(args.kb).name}",
            wrong_budget=args.wrong_budget,
            oos_budget=args.oos_budget,
            feature_names=MODE_FEATURES[mode],
        )
        if mode == LEXICAL:  # what a served KB's own leave-one-out figures are compared with (faq.kb_calibration)
            reference = reference_rates(matcher.index, calibration)
            calibration = replace(calibration, metrics={**calibration.metrics, **reference})
        save_calibration(calibration, Path(args.out), mode)
        print(json.dumps(asdict(calibration), ensure_ascii=False, indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
