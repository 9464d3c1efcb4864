"""Fitting a Calibration from labelled candidates: weights, thresholds and the answer gate.

Thresholds are chosen on out-of-fold probabilities, so they are not tuned on the very answers the weights
memorised. Which messages share a fold matters as much: a KB's messages are about the same entries, worded
against the same near twins, so a model that has seen some of them scores the rest on a scale no new KB
will share. When the messages come from several KBs (LabelledCandidates.group), each KB is therefore one
fold, whole: every message's out-of-fold probability comes from a model that never saw its KB, which is the
position of the prior on a KB imported later. With one KB only, the folds are a random 5-way split by
message and the gate threshold the median over three such splits (out-of-scope examples are few and one
split moves it a lot). Pure computation on feature rows: who produces the rows (faq.training from labelled
messages) is not this module's business.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from faq.calibration import Calibration
from faq.features import FEATURE_NAMES, LATIN_FEATURE, gate_features
from faq.logistic import fit_logistic

# Suggesting to an out-of-scope message costs a glance at three titles; handing over an
# in-scope one costs staff a day.  The suggest threshold weighs them accordingly.
OOS_SUGGEST_PENALTY = 0.1
MIN_MARGIN_PCT = 12
# Random fold splits (one KB only) over which the gate threshold is chosen (median).
GATE_SEEDS = (7, 11, 13)
RANDOM_FOLDS = 5


@dataclass(frozen=True)
class LabelledCandidates:
    """One query's candidates with features, and which (if any) is correct."""

    features: list[list[float]]
    labels: list[int]
    in_scope: bool
    style: str
    query_features: list[float] = field(default_factory=list)  # faq.features.query_features
    group: str = ""  # the KB the candidates were found in: messages of one KB share a fold
    story: bool = False  # read as a story (faq.focus): the gate has a threshold of its own for these


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


def groups_of(queries: Sequence[LabelledCandidates]) -> list[str]:
    """The distinct KBs, in order of first appearance."""
    return list(dict.fromkeys(q.group for q in queries))


def query_folds(queries: Sequence[LabelledCandidates], seed: int = GATE_SEEDS[0]) -> list[int]:
    """The fold of each query: its KB's when there are several KBs, else a random split by message."""
    groups = groups_of(queries)
    if len(groups) > 1:
        number = {g: i for i, g in enumerate(groups)}
        return [number[q.group] for q in queries]
    order = list(range(len(queries)))
    random.Random(seed).shuffle(order)
    folds = [0] * len(queries)
    for i, q in enumerate(order):
        folds[q] = i % RANDOM_FOLDS
    return folds


def query_weights(queries: Sequence[LabelledCandidates], balance: bool) -> list[float]:
    """How much each query counts. Balanced: every KB weighs as much as the average KB, so a KB with ten
    times the labelled messages does not set the scale for all of them alone; the total stays len(queries)."""
    if not balance:
        return [1.0] * len(queries)
    sizes: dict[str, int] = {}
    for q in queries:
        sizes[q.group] = sizes.get(q.group, 0) + 1
    mean = len(queries) / len(sizes)
    return [mean / sizes[q.group] for q in queries]


def _top_two(probabilities: Sequence[float]) -> tuple[int, float, float]:
    if not probabilities:
        return -1, 0.0, 0.0
    order = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
    p1 = probabilities[order[0]]
    p2 = probabilities[order[1]] if len(order) > 1 else 0.0
    return order[0], p1, p2


def _scope_totals(queries: Sequence[LabelledCandidates], weights: Sequence[float]) -> tuple[float, float]:
    n_in = sum(w for q, w in zip(queries, weights, strict=True) if q.in_scope)
    n_out = sum(w for q, w in zip(queries, weights, strict=True) if not q.in_scope)
    return n_in or 1.0, n_out or 1.0


def choose_thresholds(
    queries: Sequence[LabelledCandidates],
    probabilities: Sequence[Sequence[float]],
    wrong_budget: float = 0.01,
    oos_budget: float = 0.07,
    weights: Sequence[float] | None = None,
) -> ThresholdChoice:
    """Most correct answers while wrong answers stay under `wrong_budget` of in-scope
    queries and answered out-of-scope messages under `oos_budget` (the rule without a gate), and the
    suggest threshold and floor (used with the gate too).  The wrong budget sits well below the 3 %
    target because unseen queries always do worse."""
    weights = list(weights) if weights is not None else [1.0] * len(queries)
    n_in, n_out = _scope_totals(queries, weights)
    tops = [_top_two(p) for p in probabilities]
    best: tuple[float, float, float, float] | None = None
    for answer_threshold in [x / 100 for x in range(30, 100, 2)]:
        # a floor on the margin: two entries that fit about equally well mean "ask which one"
        for margin in [x / 100 for x in range(MIN_MARGIN_PCT, 60, 4)]:
            correct = wrong = oos = 0.0
            for q, w, (top, p1, p2) in zip(queries, weights, tops, strict=True):
                if top < 0 or p1 < answer_threshold or p1 - p2 < margin:
                    continue
                if not q.in_scope:
                    oos += w
                elif q.labels[top] == 1:
                    correct += w
                else:
                    wrong += w
            if wrong / n_in > wrong_budget + 1e-12 or oos / n_out > oos_budget + 1e-12:
                continue
            key = (round(correct, 9), -round(wrong + oos, 9), answer_threshold, margin)
            if best is None or key > best:
                best = key
    answer_threshold, margin = (best[2], best[3]) if best else (0.99, 0.5)
    # Suggest: catch as many right ids as possible without suggesting for most chit-chat.
    orders = [sorted(range(len(p)), key=lambda i: -p[i])[:3] for p in probabilities]
    best_suggest: tuple[float, float, float] | None = None
    for suggest_threshold in [x / 100 for x in range(2, 60, 2)]:
        for floor_share in (0.25, 0.5):
            floor = suggest_threshold * floor_share
            hits = oos_suggested = 0.0
            for q, w, probs, order, (top, p1, _) in zip(queries, weights, probabilities, orders, tops, strict=True):
                if top < 0 or p1 < suggest_threshold:
                    continue
                if not q.in_scope:
                    oos_suggested += w
                    continue
                if any(q.labels[i] == 1 and (i == top or probs[i] >= floor) for i in order):
                    hits += w
            value = hits / n_in - OOS_SUGGEST_PENALTY * oos_suggested / n_out
            if best_suggest is None or value > best_suggest[0] + 1e-12:
                best_suggest = (value, suggest_threshold, floor)
    assert best_suggest is not None
    _, suggest_threshold, floor = best_suggest
    answered = {i for i, (top, p1, p2) in enumerate(tops) if top >= 0 and p1 >= answer_threshold and p1 - p2 >= margin}
    metrics = evaluate_gate(queries, probabilities, answered, suggest_threshold, floor, weights)
    return ThresholdChoice(answer_threshold, margin, suggest_threshold, floor, *metrics)


def fit_candidates(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    l2: float,
    weights: Sequence[float] | None,
    columns: int | None = None,
) -> tuple[tuple[float, ...], float]:
    """The candidate model; with `columns`, fitted on the rows' leading columns only, the others weighed 0
    (they are there for the gate alone: faq.calibration.EMBEDDING_GATE)."""
    if columns is None or not rows or columns >= len(rows[0]):
        coefficients, bias = fit_logistic(rows, labels, l2=l2, weights=weights)
        return tuple(coefficients), bias
    coefficients, bias = fit_logistic([r[:columns] for r in rows], labels, l2=l2, weights=weights)
    return (*coefficients, *(0.0,) * (len(rows[0]) - columns)), bias


def cross_validated_probabilities(
    queries: Sequence[LabelledCandidates],
    folds: Sequence[int],
    l2: float = 1.0,
    weights: Sequence[float] | None = None,
    columns: int | None = None,
) -> list[list[float]]:
    """Each query's candidate probabilities from a model fitted on the other folds."""
    weights = list(weights) if weights is not None else [1.0] * len(queries)
    out: list[list[float]] = [[] for _ in queries]
    for fold in sorted(set(folds)):
        rows: list[list[float]] = []
        labels: list[int] = []
        row_weights: list[float] = []
        for q, f, w in zip(queries, folds, weights, strict=True):
            if f != fold:
                rows.extend(q.features)
                labels.extend(q.labels)
                row_weights.extend([w] * len(q.labels))
        if not rows:
            continue
        coefficients, bias = fit_candidates(rows, labels, l2, row_weights, columns)
        model = Calibration(coefficients, bias, 1, 1, 1, 1)
        for i, (q, f) in enumerate(zip(queries, folds, strict=True)):
            if f == fold:
                out[i] = [model.probability(x) for x in q.features]
    return out


@dataclass(frozen=True)
class GateRow:
    """The gate's view of one query: its features, and whether answering the top candidate is right."""

    query: int  # position in the query list
    features: list[float]
    label: int


def gate_rows(
    queries: Sequence[LabelledCandidates], probabilities: Sequence[Sequence[float]], latin_at: int | None = None
) -> list[GateRow]:
    """One row per query that has candidates, built from (out-of-fold) candidate probabilities
    exactly as the matcher builds it from the fitted ones (`latin_at`: see faq.features.gate_features)."""
    out: list[GateRow] = []
    for i, (q, probs) in enumerate(zip(queries, probabilities, strict=True)):
        top, p1, p2 = _top_two(probs)
        if top < 0:
            continue
        row = gate_features(p1, p2, q.features[top], q.query_features, latin_at)
        out.append(GateRow(i, row, 1 if q.in_scope and q.labels[top] == 1 else 0))
    return out


def cross_validated_gate(
    rows: Sequence[GateRow], folds: Sequence[int], l2: float = 1.0, weights: Sequence[float] | None = None
) -> list[float]:
    """Out-of-fold gate probability per row, with the same query folds as the candidate model."""
    out = [0.0] * len(rows)
    for fold in sorted({folds[r.query] for r in rows}):
        train = [r for r in rows if folds[r.query] != fold]
        if not train:
            continue
        train_weights = [weights[r.query] for r in train] if weights is not None else None
        coefficients, bias = fit_logistic(
            [r.features for r in train], [r.label for r in train], l2=l2, weights=train_weights
        )
        model = Calibration((), 0.0, 1, 1, 1, 1, gate_weights=coefficients, gate_bias=bias)
        for k, r in enumerate(rows):
            if folds[r.query] == fold:
                out[k] = model.gate_probability(r.features)
    return out


def _running_totals(
    queries: Sequence[LabelledCandidates], scored: Sequence[tuple[float, GateRow]], weights: Sequence[float]
) -> tuple[list[float], list[float], list[float], list[float]]:
    """The rows by gate probability, most sure first (negated, for bisect), and the running weight of right,
    wrong and out-of-scope answers from the top: entry k is what answering the first k rows gives."""
    ranked = sorted(scored, key=lambda pair: -pair[0])
    correct, wrong, oos = [0.0], [0.0], [0.0]
    for _, r in ranked:
        w = weights[r.query]
        in_scope = queries[r.query].in_scope
        correct.append(correct[-1] + (w if r.label else 0.0))
        wrong.append(wrong[-1] + (w if in_scope and not r.label else 0.0))
        oos.append(oos[-1] + (0.0 if in_scope else w))
    return [-g for g, _ in ranked], correct, wrong, oos


def choose_gate_threshold(
    queries: Sequence[LabelledCandidates],
    rows: Sequence[GateRow],
    gate_probabilities: Sequence[float],
    wrong_budget: float,
    oos_budget: float,
    weights: Sequence[float] | None = None,
) -> float:
    """Lowest gate threshold (most correct answers) whose wrong and out-of-scope answers stay in budget."""
    weights = list(weights) if weights is not None else [1.0] * len(queries)
    n_in, n_out = _scope_totals(queries, weights)
    scored = list(zip(gate_probabilities, rows, strict=True))
    descending, correct, wrong, oos = _running_totals(queries, scored, weights)
    best: tuple[float, float] | None = None
    for step in range(200, 1000):
        threshold = step / 1000
        answered = bisect.bisect_right(descending, -threshold)  # rows with gate >= threshold
        if wrong[answered] / n_in > wrong_budget + 1e-12 or oos[answered] / n_out > oos_budget + 1e-12:
            continue
        if best is None or correct[answered] > best[0] + 1e-9:
            best = (correct[answered], threshold)
    return best[1] if best else 1.0


def choose_gate_thresholds(
    queries: Sequence[LabelledCandidates],
    rows: Sequence[GateRow],
    gate_probabilities: Sequence[float],
    wrong_budget: float,
    oos_budget: float,
    weights: Sequence[float] | None = None,
) -> tuple[float, float]:
    """The gate thresholds for messages not read as a story and for stories, chosen together: the pair with
    the most correct answers whose wrong and out-of-scope answers, both kinds of message together, stay in
    budget (ties: fewer wrong and out-of-scope answers, then the two thresholds closer). The gate's probability
    does not mean the same on both: fitted on the shipped sets, stories get the stricter threshold (at the same
    gate they are more often wrong) and short questions a looser one, which answers more of them right within
    the same budget (README, "A story's own gate threshold")."""
    weights = list(weights) if weights is not None else [1.0] * len(queries)
    n_in, n_out = _scope_totals(queries, weights)
    steps = [step / 1000 for step in range(200, 1000, 5)]

    def totals(story: bool) -> list[tuple[float, float, float]]:
        """(correct, wrong, out of scope) answered at each of `steps`, for one kind of message."""
        kind = [(g, r) for g, r in zip(gate_probabilities, rows, strict=True) if queries[r.query].story == story]
        descending, correct, wrong, oos = _running_totals(queries, kind, weights)
        out = []
        for t in steps:
            k = bisect.bisect_right(descending, -t)
            out.append((correct[k], wrong[k], oos[k]))
        return out

    plain, stories = totals(False), totals(True)
    best: tuple[float, float, float, float, float] | None = None  # (correct, -bad, -gap, plain t, story t)
    for i, (c1, w1, o1) in enumerate(plain):
        for j, (c2, w2, o2) in enumerate(stories):
            if (w1 + w2) / n_in > wrong_budget + 1e-12 or (o1 + o2) / n_out > oos_budget + 1e-12:
                continue
            key = (round(c1 + c2, 9), -round(w1 + w2 + o1 + o2, 9), -abs(i - j), steps[i], steps[j])
            if best is None or key[:3] > best[:3]:
                best = key
    return (best[3], best[4]) if best else (1.0, 1.0)


def evaluate_gate(
    queries: Sequence[LabelledCandidates],
    probabilities: Sequence[Sequence[float]],
    answered: set[int],
    suggest_threshold: float,
    floor: float,
    weights: Sequence[float] | None = None,
) -> tuple[float, float, float, float]:
    """(correct, wrong, out-of-scope answered, hit in answer or suggestions) as shares, with the set of
    answered query positions given (by the gate, or by threshold and margin)."""
    weights = list(weights) if weights is not None else [1.0] * len(queries)
    n_in, n_out = _scope_totals(queries, weights)
    correct = wrong = oos = hits = 0.0
    for i, (q, probs, w) in enumerate(zip(queries, probabilities, weights, strict=True)):
        top, p1, _ = _top_two(probs)
        if i in answered:
            if not q.in_scope:
                oos += w
            elif q.labels[top] == 1:
                correct += w
                hits += w
            else:
                wrong += w
            continue
        if q.in_scope and top >= 0 and p1 >= suggest_threshold:
            order = sorted(range(len(probs)), key=lambda k: -probs[k])[:3]
            if any(q.labels[k] == 1 and (k == top or probs[k] >= floor) for k in order):
                hits += w
    return correct / n_in, wrong / n_in, oos / n_out, hits / n_in


def fit_calibration(
    queries: Sequence[LabelledCandidates],
    l2: float = 1.0,
    note: str = "",
    wrong_budget: float = 0.01,
    oos_budget: float = 0.07,
    feature_names: tuple[str, ...] = FEATURE_NAMES,
    gate_l2: float = 1.0,
    balance: bool = False,
    candidate_columns: int | None = None,
    split_story_thresholds: bool = True,
    gate_latin: bool = False,
) -> Calibration:
    """Weights and gate fitted on all `queries`; thresholds chosen on out-of-fold probabilities (see the
    module's docstring for the folds). `balance` weighs every KB (group) the same. With `candidate_columns`
    the candidate model reads only the rows' leading columns; the gate still sees the best one's whole row. With
    `gate_latin` the gate has its columns again times the message's Latin share (faq.features.gate_feature_names)."""
    latin_at = feature_names.index(LATIN_FEATURE) if gate_latin else None
    weights = query_weights(queries, balance)
    rows = [f for q in queries for f in q.features]
    labels = [y for q in queries for y in q.labels]
    row_weights = [w for q, w in zip(queries, weights, strict=True) for _ in q.labels]
    coefficients, bias = fit_candidates(rows, labels, l2, row_weights, candidate_columns)
    grouped = len(groups_of(queries)) > 1
    seeds = GATE_SEEDS[:1] if grouped else GATE_SEEDS  # KB folds are one split: there is nothing to vary
    splits = [query_folds(queries, seed) for seed in seeds]
    oof = cross_validated_probabilities(queries, splits[0], l2=l2, weights=weights, columns=candidate_columns)
    choice = choose_thresholds(queries, oof, wrong_budget=wrong_budget, oos_budget=oos_budget, weights=weights)
    gate_weights: tuple[float, ...] = ()
    gate_bias = 0.0
    gate_threshold = 1.0
    story_gate_threshold: float | None = None
    metrics: dict[str, float] = {}
    if all(q.query_features for q in queries if q.features):
        thresholds = []
        pairs = []
        for folds in splits:
            split_oof = oof
            if folds is not splits[0]:
                split_oof = cross_validated_probabilities(queries, folds, l2, weights, candidate_columns)
            split_rows = gate_rows(queries, split_oof, latin_at)
            split_gate = cross_validated_gate(split_rows, folds, l2=gate_l2, weights=weights)
            thresholds.append(choose_gate_threshold(queries, split_rows, split_gate, wrong_budget, oos_budget, weights))
            pairs.append(choose_gate_thresholds(queries, split_rows, split_gate, wrong_budget, oos_budget, weights))
        gate_threshold = sorted(thresholds)[len(thresholds) // 2]
        if split_story_thresholds and any(q.story for q in queries):
            gate_threshold = sorted(p[0] for p in pairs)[len(pairs) // 2]
            story_gate_threshold = sorted(p[1] for p in pairs)[len(pairs) // 2]
        grows = gate_rows(queries, oof, latin_at)
        gate_oof = cross_validated_gate(grows, splits[0], l2=gate_l2, weights=weights)
        gate_weights, gate_bias = fit_logistic(
            [r.features for r in grows], [r.label for r in grows], l2=gate_l2, weights=[weights[r.query] for r in grows]
        )
        story_t = story_gate_threshold if story_gate_threshold is not None else gate_threshold
        answered = {
            r.query
            for r, g in zip(grows, gate_oof, strict=True)
            if g >= (story_t if queries[r.query].story else gate_threshold)
        }
        gated = evaluate_gate(queries, oof, answered, choice.suggest_threshold, choice.suggest_floor, weights)
        metrics = {
            "cv_gate_correct": round(gated[0], 4),
            "cv_gate_wrong": round(gated[1], 4),
            "cv_gate_oos_answered": round(gated[2], 4),
            "cv_gate_hit_in_suggestions": round(gated[3], 4),
        }
    return Calibration(
        weights=coefficients,
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
        story_gate_threshold=story_gate_threshold,
        gate_latin=gate_latin and bool(gate_weights),
    )
