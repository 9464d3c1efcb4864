"""Fitting a Calibration from labelled candidates: weights, thresholds and the answer gate.

Thresholds are chosen on out-of-fold probabilities (5-fold, by query), so they are not tuned on the very
answers the weights memorised; the gate threshold is the median over three fold splits because
out-of-scope examples are few and one split moves it a lot. Pure computation on feature rows: who
produces the rows (faq.training from labelled messages) is not this module's business.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from faq.calibration import Calibration
from faq.features import FEATURE_NAMES, gate_features
from faq.logistic import fit_logistic

# Suggesting to an out-of-scope message costs a glance at three titles; handing over an
# in-scope one costs staff a day.  The suggest threshold weighs them accordingly.
OOS_SUGGEST_PENALTY = 0.1
MIN_MARGIN_PCT = 12
# Fold splits over which the gate threshold is chosen (median).
GATE_SEEDS = (7, 11, 13)


@dataclass(frozen=True)
class LabelledCandidates:
    """One query's candidates with features, and which (if any) is correct."""

    features: list[list[float]]
    labels: list[int]
    in_scope: bool
    style: str
    query_features: list[float] = field(default_factory=list)  # faq.features.query_features


@dataclass(frozen=True)
class ThresholdChoice:
    answer_threshold: float
    answer_margin: float
    suggest_threshold: float
    suggest_floor: float
    correct: float
    wrong: float
    oos_answered: float
    hit_in_suggestions: float


def _top_two(probabilities: Sequence[float]) -> tuple[int, float, float]:
    if not probabilities:
        return -1, 0.0, 0.0
    order = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
    p1 = probabilities[order[0]]
    p2 = probabilities[order[1]] if len(order) > 1 else 0.0
    return order[0], p1, p2


def choose_thresholds(
    queries: Sequence[LabelledCandidates],
    probabilities: Sequence[Sequence[float]],
    wrong_budget: float = 0.01,
    oos_budget: float = 0.07,
) -> ThresholdChoice:
    """Most correct answers while wrong answers stay under `wrong_budget` of in-scope
    queries and answered out-of-scope messages under `oos_budget`.  The wrong budget sits
    well below the 3 % target because unseen queries always do worse.  The out-of-scope
    budget is a trade-off: on the dev set the few domain-adjacent out-of-scope messages
    ("美国商标怎么注册") score like real questions, and pushing them below 5 % costs about
    a quarter of all correct answers; refit with --oos-budget 0.035 to prefer that side."""
    in_scope = [i for i, q in enumerate(queries) if q.in_scope]
    n_in = max(1, len(in_scope))
    n_out = max(1, len(queries) - len(in_scope))
    tops = [_top_two(p) for p in probabilities]
    best: tuple[float, float, float, float, float] | None = None
    for answer_threshold in [x / 100 for x in range(30, 100, 2)]:
        # a floor on the margin: two entries that fit about equally well mean "ask which one"
        for margin in [x / 100 for x in range(MIN_MARGIN_PCT, 60, 4)]:
            correct = wrong = oos = 0
            for q, (top, p1, p2) in zip(queries, tops, strict=True):
                if top < 0 or p1 < answer_threshold or p1 - p2 < margin:
                    continue
                if not q.in_scope:
                    oos += 1
                elif q.labels[top] == 1:
                    correct += 1
                else:
                    wrong += 1
            if wrong / n_in > wrong_budget or oos / n_out > oos_budget:
                continue
            key = (correct, -(wrong + oos), answer_threshold, margin)
            if best is None or key > best[:4]:
                best = (correct, -(wrong + oos), answer_threshold, margin, 0.0)
    answer_threshold, margin = (best[2], best[3]) if best else (0.99, 0.5)
    # Suggest: catch as many right ids as possible without suggesting for most chit-chat.
    best_suggest: tuple[float, float, float] | None = None
    for suggest_threshold in [x / 100 for x in range(2, 60, 2)]:
        for floor_share in (0.25, 0.5):
            floor = suggest_threshold * floor_share
            hits = oos_suggested = 0
            for q, probs, (top, p1, _) in zip(queries, probabilities, tops, strict=True):
                if top < 0 or p1 < suggest_threshold:
                    continue
                if not q.in_scope:
                    oos_suggested += 1
                    continue
                order = sorted(range(len(probs)), key=lambda i: -probs[i])[:3]
                if any(q.labels[i] == 1 and (i == top or probs[i] >= floor) for i in order):
                    hits += 1
            value = hits / n_in - OOS_SUGGEST_PENALTY * oos_suggested / n_out
            if best_suggest is None or value > best_suggest[0]:
                best_suggest = (value, suggest_threshold, floor)
    assert best_suggest is not None
    _, suggest_threshold, floor = best_suggest
    metrics = evaluate_thresholds(queries, probabilities, answer_threshold, margin, suggest_threshold, floor)
    return ThresholdChoice(answer_threshold, margin, suggest_threshold, floor, *metrics)


def evaluate_thresholds(
    queries: Sequence[LabelledCandidates],
    probabilities: Sequence[Sequence[float]],
    answer_threshold: float,
    margin: float,
    suggest_threshold: float,
    floor: float,
) -> tuple[float, float, float, float]:
    """(correct %, wrong % of in-scope, out-of-scope answered %, hit-in-answer-or-suggestions %)."""
    answered = set()
    for position, probs in enumerate(probabilities):
        top, p1, p2 = _top_two(probs)
        if top >= 0 and p1 >= answer_threshold and p1 - p2 >= margin:
            answered.add(position)
    return evaluate_gate(queries, probabilities, answered, suggest_threshold, floor)


def _fold_of(count: int, folds: int, seed: int) -> dict[int, int]:
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return {q: i % folds for i, q in enumerate(order)}


def cross_validated_probabilities(
    queries: Sequence[LabelledCandidates], folds: int = 5, seed: int = 7, l2: float = 1.0
) -> list[list[float]]:
    fold_of = _fold_of(len(queries), folds, seed)
    out: list[list[float]] = [[] for _ in queries]
    for fold in range(folds):
        rows: list[list[float]] = []
        labels: list[int] = []
        for i, q in enumerate(queries):
            if fold_of[i] != fold:
                rows.extend(q.features)
                labels.extend(q.labels)
        weights, bias = fit_logistic(rows, labels, l2=l2)
        model = Calibration(weights, bias, 1, 1, 1, 1)
        for i, q in enumerate(queries):
            if fold_of[i] == fold:
                out[i] = [model.probability(f) for f in q.features]
    return out


@dataclass(frozen=True)
class GateRow:
    """The gate's view of one query: its features, and whether answering the top candidate is right."""

    query: int  # position in the query list
    features: list[float]
    label: int


def gate_rows(queries: Sequence[LabelledCandidates], probabilities: Sequence[Sequence[float]]) -> list[GateRow]:
    """One row per query that has candidates, built from (out-of-fold) candidate probabilities
    exactly as the matcher builds it from the fitted ones."""
    out: list[GateRow] = []
    for i, (q, probs) in enumerate(zip(queries, probabilities, strict=True)):
        top, p1, p2 = _top_two(probs)
        if top < 0:
            continue
        row = gate_features(p1, p2, q.features[top], q.query_features)
        out.append(GateRow(i, row, 1 if q.in_scope and q.labels[top] == 1 else 0))
    return out


def cross_validated_gate(
    rows: Sequence[GateRow], count: int, folds: int = 5, seed: int = 7, l2: float = 1.0
) -> list[float]:
    """Out-of-fold gate probability per row, with the same query folds as the candidate model."""
    fold_of = _fold_of(count, folds, seed)
    out = [0.0] * len(rows)
    for fold in range(folds):
        train = [r for r in rows if fold_of[r.query] != fold]
        weights, bias = fit_logistic([r.features for r in train], [r.label for r in train], l2=l2)
        model = Calibration((), 0.0, 1, 1, 1, 1, gate_weights=weights, gate_bias=bias)
        for k, r in enumerate(rows):
            if fold_of[r.query] == fold:
                out[k] = model.gate_probability(r.features)
    return out


def choose_gate_threshold(
    queries: Sequence[LabelledCandidates],
    rows: Sequence[GateRow],
    gate_probabilities: Sequence[float],
    wrong_budget: float,
    oos_budget: float,
) -> float:
    """Lowest gate threshold (most correct answers) whose wrong and out-of-scope answers stay in budget."""
    n_in = max(1, sum(1 for q in queries if q.in_scope))
    n_out = max(1, len(queries) - sum(1 for q in queries if q.in_scope))
    best: tuple[int, float] | None = None
    for step in range(200, 1000):
        threshold = step / 1000
        correct = wrong = oos = 0
        for r, g in zip(rows, gate_probabilities, strict=True):
            if g < threshold:
                continue
            if not queries[r.query].in_scope:
                oos += 1
            elif r.label:
                correct += 1
            else:
                wrong += 1
        if wrong / n_in <= wrong_budget and oos / n_out <= oos_budget and (best is None or correct > best[0]):
            best = (correct, threshold)
    return best[1] if best else 1.0


def evaluate_gate(
    queries: Sequence[LabelledCandidates],
    probabilities: Sequence[Sequence[float]],
    answered: set[int],
    suggest_threshold: float,
    floor: float,
) -> tuple[float, float, float, float]:
    """Like evaluate_thresholds, with the set of answered query positions decided by the gate."""
    correct = wrong = oos = hits = 0
    n_in = sum(1 for q in queries if q.in_scope) or 1
    n_out = (len(queries) - n_in) or 1
    for i, (q, probs) in enumerate(zip(queries, probabilities, strict=True)):
        top, p1, _ = _top_two(probs)
        if i in answered:
            if not q.in_scope:
                oos += 1
            elif q.labels[top] == 1:
                correct += 1
                hits += 1
            else:
                wrong += 1
            continue
        if q.in_scope and top >= 0 and p1 >= suggest_threshold:
            order = sorted(range(len(probs)), key=lambda k: -probs[k])[:3]
            if any(q.labels[k] == 1 and (k == top or probs[k] >= floor) for k in order):
                hits += 1
    return correct / n_in, wrong / n_in, oos / n_out, hits / n_in


def fit_calibration(
    queries: Sequence[LabelledCandidates],
    l2: float = 1.0,
    note: str = "",
    wrong_budget: float = 0.01,
    oos_budget: float = 0.07,
    feature_names: tuple[str, ...] = FEATURE_NAMES,
    gate_l2: float = 1.0,
) -> Calibration:
    rows = [f for q in queries for f in q.features]
    labels = [y for q in queries for y in q.labels]
    weights, bias = fit_logistic(rows, labels, l2=l2)
    oof = cross_validated_probabilities(queries, l2=l2)
    choice = choose_thresholds(queries, oof, wrong_budget=wrong_budget, oos_budget=oos_budget)
    gate_weights: tuple[float, ...] = ()
    gate_bias = 0.0
    gate_threshold = 1.0
    metrics: dict[str, float] = {}
    if all(q.query_features for q in queries if q.features):
        # Out-of-scope messages are few (a budget of 3 % is a handful), so one fold split
        # moves the threshold a lot: take the median over several splits.
        thresholds = []
        for seed in GATE_SEEDS:
            seed_oof = oof if seed == GATE_SEEDS[0] else cross_validated_probabilities(queries, seed=seed, l2=l2)
            seed_rows = gate_rows(queries, seed_oof)
            seed_gate = cross_validated_gate(seed_rows, len(queries), seed=seed, l2=gate_l2)
            thresholds.append(choose_gate_threshold(queries, seed_rows, seed_gate, wrong_budget, oos_budget))
        gate_threshold = sorted(thresholds)[len(thresholds) // 2]
        grows = gate_rows(queries, oof)
        gate_oof = cross_validated_gate(grows, len(queries), l2=gate_l2)
        gate_weights, gate_bias = fit_logistic([r.features for r in grows], [r.label for r in grows], l2=gate_l2)
        answered = {r.query for r, g in zip(grows, gate_oof, strict=True) if g >= gate_threshold}
        gated = evaluate_gate(queries, oof, answered, choice.suggest_threshold, choice.suggest_floor)
        metrics = {
            "cv_gate_correct": round(gated[0], 4),
            "cv_gate_wrong": round(gated[1], 4),
            "cv_gate_oos_answered": round(gated[2], 4),
            "cv_gate_hit_in_suggestions": round(gated[3], 4),
        }
    return Calibration(
        weights=weights,
        bias=bias,
        answer_threshold=choice.answer_threshold,
        answer_margin=choice.answer_margin,
        suggest_threshold=choice.suggest_threshold,
        suggest_floor=choice.suggest_floor,
        feature_names=feature_names,
        note=note,
        metrics={
            "cv_correct": round(choice.correct, 4),
            "cv_wrong": round(choice.wrong, 4),
            "cv_oos_answered": round(choice.oos_answered, 4),
            "cv_hit_in_suggestions": round(choice.hit_in_suggestions, 4),
            **metrics,
        },
        gate_weights=tuple(gate_weights),
        gate_bias=gate_bias,
        gate_threshold=gate_threshold,
    )
