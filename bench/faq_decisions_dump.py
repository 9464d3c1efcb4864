"""Every decision of every dev suite, written out so a change meant to be a pure speed-up can be diffed:
`python bench/faq_decisions_dump.py OUT.jsonl [--suite KB:QUERIES …] [--passes N]`.

Without --suite the suites are the Makefile's FAQ_EVAL_SUITES (asked of `make`). Each KB is loaded and its
matcher built as `qiaobot faq eval` builds it (faq.cli: this deployment's settings, PYTHONHASHSEED=0 and a
fresh QIAOBOT_FAQ_CACHE_DIR, so the KB's own calibration is measured afresh by the code under test). Per
message one JSON line: the decision as `decide` returns it (score rounded to 1e-9) and what `explain` saw,
every float as Python writes it exactly (units, query features, gate, each candidate's probability and
features, clauses, the reason), and each KB's calibration note. Two runs of unchanged code give the same file;
a speed-up must too.

With --passes N it then prints the decision's CPU time per message over all suites' messages: N passes of
the uncached decision (the matcher's own work, no LRU cache) over every message, each pass's process time
divided by the number of messages, and the best and median pass. The machine is shared: compare two commits
by running them in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _fresh_environment() -> None:
    """Re-run this script with PYTHONHASHSEED=0 and a fresh cache directory, as `make faq-eval` runs."""
    if os.environ.get("PYTHONHASHSEED") == "0" and os.environ.get("_FAQ_DUMP_FRESH") == "1":
        return
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONHASHSEED": "0", "QIAOBOT_FAQ_CACHE_DIR": cache, "_FAQ_DUMP_FRESH": "1"}
        sys.exit(subprocess.run([sys.executable, *sys.argv], env=env, check=False).returncode)


def _makefile_suites() -> list[str]:
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "--eval", "print-suites: ; @echo $(FAQ_EVAL_SUITES)", "print-suites"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def _record(suite: str, text: str, matcher: Any) -> dict[str, Any]:
    decision = matcher.decide(text)
    why = matcher.explain(text)
    return {
        "suite": suite,
        "q": text,
        "decision": decision.decision,
        "faq_id": decision.faq_id,
        "suggestions": list(decision.suggestions),
        "score": round(decision.score, 9),
        "smalltalk": decision.smalltalk,
        "out_of_scope": decision.out_of_scope,
        "explained": [why.decision.decision, why.decision.faq_id, list(why.decision.suggestions)]
        if why.decision
        else None,
        "reason": why.reason,
        "units": list(why.units),
        "query_features": {k: repr(v) for k, v in why.query_features.items()},
        "gate": [repr(why.gate_probability), repr(why.gate_threshold)],
        "clauses": [[t, repr(w)] for t, w in why.clauses],
        "question_alone": why.question_alone,
        "candidates": [
            [c.faq_id, repr(c.probability), {k: repr(v) for k, v in c.features.items()}] for c in why.candidates
        ],
    }


def main() -> None:
    _fresh_environment()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from faq.cli import _load_or_fail, _matcher
    from faq.evaluation import load_queries

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="the JSON-lines file to write ('-': none, only time)")
    parser.add_argument("--suite", action="append", default=[], metavar="KB:QUERIES")
    parser.add_argument("--passes", type=int, default=0, help="then time this many uncached passes")
    args = parser.parse_args()
    suites = args.suite or _makefile_suites()
    matchers: dict[str, Any] = {}
    work: list[tuple[Any, str]] = []
    lines: list[str] = []
    for suite in suites:
        kb, _, queries = suite.rpartition(":")
        matcher = matchers.get(kb)
        if matcher is None:
            matcher = matchers[kb] = _matcher(_load_or_fail(kb))
            lines.append(json.dumps({"kb": kb, "calibration": matcher.calibration.note}, ensure_ascii=False))
        for query in load_queries(queries):
            work.append((matcher, query.q))
            if args.out != "-":
                lines.append(json.dumps(_record(suite, query.q, matcher), ensure_ascii=False))
    if args.out != "-":
        Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(work)} messages of {len(suites)} suites written to {args.out}", file=sys.stderr)
    if args.passes:
        for matcher, text in work[:50]:  # warm-up
            matcher._decide(text)
        per_message: list[float] = []
        for _ in range(args.passes):
            start = time.process_time()
            for matcher, text in work:
                matcher._decide(text)
            per_message.append((time.process_time() - start) * 1000 / len(work))
        print(
            f"decision CPU ms/msg over {len(work)} messages, {args.passes} passes: "
            f"best {min(per_message):.3f}, median {statistics.median(per_message):.3f} "
            f"({', '.join(f'{v:.3f}' for v in per_message)})"
        )


if __name__ == "__main__":
    main()
