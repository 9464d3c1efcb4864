"""Which KB entries are worth scoring for a message, and their feature rows.

The inverted index narrows the KB to a few dozen entries and the optional sentence embedding adds the
few it ranks highest (paraphrases that share no word with the KB); every candidate then gets its row
of faq.features. The matcher and the per-KB calibration (faq.kb_calibration) both go through here, so a
feature added to the rows is seen by both.
"""

from __future__ import annotations

from faq.analysis import Analysis
from faq.features import candidate_features
from faq.index import KbIndex
from faq.semantic import SemanticScores

RERANK_CANDIDATES = 15
# Entries the embedding ranks highest join the lexical candidates: they catch paraphrases
# that share no word with the KB.
SEMANTIC_CANDIDATES = 5


def find_candidates(
    index: KbIndex, query: Analysis, semantic: SemanticScores | None = None
) -> tuple[list[int], list[list[float]]]:
    """Positions worth reranking and their feature rows (empty when the message has nothing to match)."""
    if not query.units and not query.pinyin_bigrams:
        return [], []
    positions = index.retrieve(query, RERANK_CANDIDATES)
    if semantic is not None:
        seen = set(positions)
        positions.extend(p for p in semantic.top(SEMANTIC_CANDIDATES) if p not in seen)
    if not positions:
        return [], []
    return positions, candidate_features(query, positions, index, semantic)
