from __future__ import annotations

import random

from faq.calibration import Calibration, load_calibration
from faq.features import FEATURE_NAMES
from faq.fitting import LabelledCandidates, choose_thresholds
from faq.logistic import fit_logistic


def test_fit_logistic_learns_the_informative_feature() -> None:
    rng = random.Random(0)
    rows: list[list[float]] = []
    labels: list[int] = []
    for _ in range(400):
        signal, noise = rng.random(), rng.random()
        rows.append([signal, noise])
        labels.append(1 if signal + rng.gauss(0, 0.1) > 0.6 else 0)
    (w_signal, w_noise), bias = fit_logistic(rows, labels, l2=0.1)
    assert w_signal > 5 and abs(w_noise) < 1.5 and bias < 0
    model = Calibration((w_signal, w_noise), bias, 0.5, 0.1, 0.2, 0.1)
    assert model.probability([0.95, 0.5]) > 0.9 > 0.1 > model.probability([0.2, 0.5])


def test_thresholds_respect_the_wrong_answer_budget() -> None:
    # 100 queries: the right candidate has p=0.9 half the time; otherwise a wrong one scores 0.8.
    queries, probabilities = [], []
    for i in range(100):
        if i % 2:
            queries.append(LabelledCandidates([[0.0]] * 2, [1, 0], True, "s"))
            probabilities.append([0.9, 0.1])
        else:
            queries.append(LabelledCandidates([[0.0]] * 2, [0, 1], True, "s"))
            probabilities.append([0.8, 0.3])
    choice = choose_thresholds(queries, probabilities, wrong_budget=0.01)
    assert choice.wrong == 0.0
    assert choice.correct == 0.5
    assert 0.8 < choice.answer_threshold <= 0.9 or choice.answer_margin > 0.5


def test_shipped_calibration_matches_the_features() -> None:
    calibration = load_calibration()  # the lexical set by default
    assert calibration.feature_names == FEATURE_NAMES
    assert len(calibration.weights) == len(FEATURE_NAMES)
    assert 0 < calibration.suggest_threshold < calibration.answer_threshold < 1
