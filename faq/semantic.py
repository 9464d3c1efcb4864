"""Per-entry semantic similarity from the optional sentence embedding.

Every phrasing of every entry is embedded once at build time (through the disk cache);
a message costs one embedding plus one matrix-vector product, and an entry's similarity
is that of its closest phrasing, as with the lexical features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faq.embedding import Embedder, embed_cached, missing_vectors
from faq.normalize import to_simplified

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Vector = NDArray[np.float32]
else:
    Vector = Any


def prepare(text: str) -> str:
    """Both sides in Simplified: the model has seen far more of it, and the KB is written in it."""
    return to_simplified(text.strip())


@dataclass(frozen=True)
class SemanticScores:
    """Best-phrasing cosine of every entry for one message."""

    by_entry: Vector

    def top(self, limit: int) -> list[int]:
        import numpy as np

        if limit >= len(self.by_entry):
            return [int(i) for i in np.argsort(-self.by_entry)]
        part = np.argpartition(-self.by_entry, limit)[:limit]
        return [int(i) for i in part[np.argsort(-self.by_entry[part])]]

    def best_other(self, position: int) -> float:
        """Highest similarity among all entries but this one: how distinct this match is."""
        import numpy as np

        if len(self.by_entry) < 2:
            return 0.0
        top_two = np.partition(self.by_entry, -2)[-2:]
        first, second = float(top_two[1]), float(top_two[0])
        return second if float(self.by_entry[position]) >= first else first


def phrasings_missing(embedder: Embedder, phrasings: Sequence[Sequence[str]], cache_dir: Path | None = None) -> int:
    """Phrasings whose vectors SemanticIndex would have to compute now (none: building it costs no encoder time)."""
    return missing_vectors(embedder, [prepare(p) for group in phrasings for p in group], cache_dir)


class SemanticIndex:
    def __init__(self, embedder: Embedder, phrasings: Sequence[Sequence[str]], cache_dir: Path | None = None) -> None:
        import numpy as np

        self.embedder = embedder
        texts = [prepare(p) for group in phrasings for p in group]
        counts = [len(group) for group in phrasings]
        self._matrix = embed_cached(embedder, texts, cache_dir) if texts else np.zeros((0, 1), dtype=np.float32)
        self._starts = np.cumsum([0, *counts[:-1]]).astype(np.int64)
        self._size = len(phrasings)

    @property
    def name(self) -> str:
        return self.embedder.name

    def scores(self, text: str) -> SemanticScores:
        import numpy as np

        if self._size == 0:
            return SemanticScores(np.zeros(0, dtype=np.float32))
        query = self.embedder.encode_queries([prepare(text)])[0]
        sims = self._matrix @ query
        return SemanticScores(np.maximum.reduceat(sims, self._starts).astype(np.float32))
