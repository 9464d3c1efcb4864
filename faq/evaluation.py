"""Measure a matcher on labelled queries, overall and per writing style.

The figures mirror the product targets: how often we answer right, how often we answer
wrong (the costly case), whether the right FAQ is at least offered, and whether
out-of-scope messages get answered anyway; with a ranker, also how often the right entry is ranked
first whatever was decided (what a better gate could at most reach).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from faq.decision import Decision


class Decider(Protocol):
    def decide(self, text: str) -> Decision: ...


@dataclass(frozen=True)
class LabelledQuery:
    q: str
    expect: str | None  # None: out of scope, should not be answered
    style: str = "unspecified"


def load_queries(path: str | Path) -> list[LabelledQuery]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        data = data.get("queries", [])
    out: list[LabelledQuery] = []
    for row in data:
        expect = row.get("expect")
        out.append(
            LabelledQuery(str(row["q"]), str(expect) if expect else None, str(row.get("style") or "unspecified"))
        )
    return out


@dataclass
class StyleStats:
    total: int = 0
    in_scope: int = 0
    answered_correct: int = 0
    answered_wrong: int = 0  # in-scope answered with the wrong id
    hit: int = 0  # right id answered or among the suggestions
    out_of_scope: int = 0
    oos_answered: int = 0
    suggested: int = 0
    handed_over: int = 0
    ranked: int = 0  # in-scope messages whose top candidate is known (a ranker was given)
    right_first: int = 0  # ... and is the right entry

    def add(self, query: LabelledQuery, decision: Decision, top: str | None = None, ranked: bool = False) -> None:
        self.total += 1
        if ranked and query.expect is not None:
            self.ranked += 1
            self.right_first += top == query.expect
        if decision.decision == "suggest":
            self.suggested += 1
        elif decision.decision == "handover":
            self.handed_over += 1
        if query.expect is None:
            self.out_of_scope += 1
            if decision.decision == "answer":
                self.oos_answered += 1
            return
        self.in_scope += 1
        if decision.decision == "answer":
            if decision.faq_id == query.expect:
                self.answered_correct += 1
                self.hit += 1
            else:
                self.answered_wrong += 1
        elif decision.decision == "suggest" and query.expect in decision.suggestions:
            self.hit += 1

    def rates(self) -> dict[str, float | int | None]:
        def pct(n: int, d: int) -> float | None:
            return round(100.0 * n / d, 1) if d else None

        return {
            "queries": self.total,
            "in_scope": self.in_scope,
            "answered_correct_pct": pct(self.answered_correct, self.in_scope),
            "wrong_answers_pct": pct(self.answered_wrong, self.in_scope),
            "wrong_answers": self.answered_wrong,
            "hit_answered_or_suggested_pct": pct(self.hit, self.in_scope),
            "out_of_scope": self.out_of_scope,
            "oos_answered_pct": pct(self.oos_answered, self.out_of_scope),
            "oos_answered": self.oos_answered,
            "suggested": self.suggested,
            "handed_over": self.handed_over,
            "right_first_pct": pct(self.right_first, self.ranked),
        }


@dataclass
class Failure:
    q: str
    style: str
    expect: str | None
    decision: str
    faq_id: str | None
    suggestions: list[str]
    score: float


@dataclass
class EvalReport:
    overall: StyleStats
    by_style: dict[str, StyleStats]
    latency_ms_p50: float
    latency_ms_p99: float
    failures: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.rates(),
            "by_style": {k: v.rates() for k, v in sorted(self.by_style.items())},
            "latency_ms": {"p50": round(self.latency_ms_p50, 3), "p99": round(self.latency_ms_p99, 3)},
            "failures": [asdict(f) for f in self.failures],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self, show_failures: bool = False) -> str:
        lines = table_lines([*sorted(self.by_style.items()), ("ALL", self.overall)], "style")
        lines.append(f"latency per query: p50 {self.latency_ms_p50:.2f} ms, p99 {self.latency_ms_p99:.2f} ms")
        if show_failures:
            for f in self.failures:
                lines.append(
                    f"  [{f.style}] {f.q!r} expect={f.expect} got={f.decision}:{f.faq_id} "
                    f"sugg={','.join(f.suggestions)} score={f.score:.2f}"
                )
        return "\n".join(lines)


TABLE_COLUMNS = (
    ("n", "queries", 5),
    ("correct%", "answered_correct_pct", 10),
    ("wrong%", "wrong_answers_pct", 8),
    ("wrong", "wrong_answers", 7),
    ("hit%", "hit_answered_or_suggested_pct", 7),
    ("oos", "out_of_scope", 5),
    ("oosAns%", "oos_answered_pct", 9),
    ("first%", "right_first_pct", 8),
)


def table_lines(rows: Sequence[tuple[str, StyleStats]], first_column: str) -> list[str]:
    """One line per row: correct, wrong, hit (answered or suggested), out of scope answered, right-first."""
    width = max(14, *(len(name) + 2 for name, _ in rows))
    header = f"{first_column:<{width}}" + "".join(f"{title:>{w}}" for title, _, w in TABLE_COLUMNS)
    lines = [header, "-" * len(header)]
    for name, stats in rows:
        r = stats.rates()
        cells = "".join(f"{'-' if r[key] is None else r[key]!s:>{w}}" for _, key, w in TABLE_COLUMNS)
        lines.append(f"{name:<{width}}{cells}")
    return lines


def percentile(values: Sequence[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[rank]


def evaluate(
    matcher: Decider, queries: Iterable[LabelledQuery], ranker: Callable[[str], str | None] | None = None
) -> EvalReport:
    """`ranker` (optional) names the top-ranked entry for a message, whatever was decided."""
    overall = StyleStats()
    by_style: dict[str, StyleStats] = {}
    latencies: list[float] = []
    failures: list[Failure] = []
    for query in queries:
        start = time.perf_counter()
        decision = matcher.decide(query.q)
        latencies.append((time.perf_counter() - start) * 1000)
        top = ranker(query.q) if ranker is not None else None
        overall.add(query, decision, top, ranker is not None)
        by_style.setdefault(query.style, StyleStats()).add(query, decision, top, ranker is not None)
        correct = decision.decision != "answer" if query.expect is None else decision.faq_id == query.expect
        if not correct:
            failures.append(
                Failure(
                    query.q,
                    query.style,
                    query.expect,
                    decision.decision,
                    decision.faq_id,
                    list(decision.suggestions),
                    decision.score,
                )
            )
    return EvalReport(overall, by_style, percentile(latencies, 0.5), percentile(latencies, 0.99), failures)
