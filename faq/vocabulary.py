"""The served vocabulary: ``config/faq_vocabulary.yaml`` with the data files that extend it (the China
places of ``config/china_places.yaml`` merged into #domestic), read and checked once per process.

The file's format and its checks are faq.vocabulary_file; they are re-exported here, so the matcher's
modules import the vocabulary from one place.
"""

from __future__ import annotations

import threading

from config.settings import CHINA_PLACES_PATH, FAQ_VOCABULARY_PATH
from faq.places import load_china_places, with_china_places
from faq.vocabulary_file import Vocabulary, VocabularyError, kind_of, load_vocabulary, parse_vocabulary

__all__ = ["Vocabulary", "VocabularyError", "kind_of", "load_vocabulary", "parse_vocabulary", "vocabulary"]

_lock = threading.Lock()
_shipped: Vocabulary | None = None


def vocabulary() -> Vocabulary:
    """The vocabulary file, read and checked once per process (a broken file fails the first use loudly)."""
    global _shipped
    if _shipped is not None:  # every message asks: no lock once loaded
        return _shipped
    with _lock:
        if _shipped is None:
            _shipped = with_china_places(load_vocabulary(FAQ_VOCABULARY_PATH), load_china_places(CHINA_PLACES_PATH))
        return _shipped
