"""Suggestions ordered by the lexical and semantic signals together, when the lexical matcher does not answer.

Measured on KBs nobody tuned on (see the README's FAQ figures): a sentence encoder fused with the lexical
features by the fitted weights of ``calibration.json``'s "embedding" set ranks the right entry among the
suggestions more often than the lexical signals alone, but as the *answer* model it answered fewer messages
right on every suite. So answering stays with the lexical model and its gate; this ranker only decides
what to offer when that gate says no: the entries the encoder ranks highest join the lexical candidates,
and all are scored by the fused model. A message the matcher answers never pays for the encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

from faq.analysis import Analysis
from faq.calibration import Calibration
from faq.features import candidate_features
from faq.index import KbIndex
from faq.semantic import SemanticIndex

# Entries the embedding ranks highest join the lexical candidates: they catch paraphrases
# that share no word with the KB.
SEMANTIC_CANDIDATES = 5


class SemanticRanker:
    """Built once per KB version with the matcher; `ranked` is safe to call from many threads."""

    def __init__(self, index: KbIndex, semantic: SemanticIndex, calibration: Calibration) -> None:
        self._index = index
        self._semantic = semantic
        self.calibration = calibration

    @property
    def name(self) -> str:
        return self._semantic.name

    def ranked(self, text: str, query: Analysis, lexical: Sequence[int]) -> list[tuple[int, float]]:
        """(entry position, fused probability), best first, over the lexical candidates and the encoder's best."""
        scores = self._semantic.scores(text)
        positions = list(lexical)
        seen = set(positions)
        positions.extend(p for p in scores.top(SEMANTIC_CANDIDATES) if p not in seen)
        if not positions:
            return []
        rows = candidate_features(query, positions, self._index, scores)
        probabilities = [self.calibration.probability(row) for row in rows]
        return sorted(zip(positions, probabilities, strict=True), key=lambda pair: -pair[1])


def merged_suggestions(
    fused: Sequence[tuple[int, float]], lexical: Sequence[int], calibration: Calibration, limit: int
) -> list[int]:
    """Positions to offer: the fused model's best two (those above its thresholds), then the lexical picks.

    Each list misses entries the other finds (the encoder paraphrases, the lexicon knows the domain's
    words); the fused model's first choices are right more often, so they lead."""
    picks: list[int] = []
    if fused and fused[0][1] >= calibration.suggest_threshold:
        picks = [fused[0][0], *(p for p, probability in fused[1:2] if probability >= calibration.suggest_floor)]
    return list(dict.fromkeys([*picks, *lexical]))[:limit]
