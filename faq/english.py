"""English words reduced to one comparable form, so "moved back", "moving back" and "move back" meet.

The KB is Chinese and the vocabulary lists English forms once ("renew", "move back", "naturalize");
users inflect them ("renewed", "moving back"), spell them the British way ("naturalised", "licence") and
type accents ("fiancée"). Both sides, the vocabulary's forms and the message's words, go through the same
`EnglishLemmatizer.lemma`, so the result only has to be *consistent*, not a dictionary word: "expire",
"expired" and "expiring" all become "expir". Irregular forms (came, paid, born …) and spelling variants
are data in the vocabulary file (``english_irregular``); the rules here are English inflection only,
never derivation ("renewal" stays itself: list it if it means the same).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# Short words are mostly function words or other words entirely ("us" is not "use").
_MIN_STEM = 3
_VOWEL = re.compile(r"[aeiouy]")
_DOUBLE = re.compile(r"([b-df-hj-km-np-tv-xz])\1$")  # a doubled consonant, not l/s/z kept below
_KEEP_DOUBLE = frozenset("lsz")
# "-ise"/"-isation" and "-ize"/"-ization" are one word.
_IZE = re.compile(r"(?:is|iz)(?:ation|ations)?$")


def fold_accents(text: str) -> str:
    """Latin letters without their accents ("fiancée" → "fiancee"); other scripts untouched."""
    if text.isascii():
        return text
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue  # an accent on a Latin letter; kana voicing marks and the like stay
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def _strip_inflection(word: str) -> str:
    """Plural, third person, past and -ing endings off (Porter's first step, simplified)."""
    if word.endswith("ies") and len(word) >= 5:
        return word[:-3] + "i"
    if word.endswith("ied") and len(word) >= 5:
        return word[:-3] + "i"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous")):
        stem = word[:-1]
        return stem if len(stem) >= _MIN_STEM else word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and not word.endswith("eed"):
            stem = word[: -len(suffix)]
            if len(stem) < _MIN_STEM or not _VOWEL.search(stem):
                return word
            if _DOUBLE.search(stem) and stem[-1] not in _KEEP_DOUBLE:
                stem = stem[:-1]
            return stem
    return word


class EnglishLemmatizer:
    """One lower-case ASCII word → its comparable form; `irregular` maps whole words first."""

    def __init__(self, irregular: Mapping[str, str] | None = None) -> None:
        self._irregular = dict(irregular or {})
        self._cache: dict[str, str] = {}

    def lemma(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        out = self._irregular.get(word, word)
        if len(out) > _MIN_STEM and out.isalpha():
            out = _strip_inflection(out)
            out = self._irregular.get(out, out)
            if out.endswith("e") and len(out) > _MIN_STEM:
                out = out[:-1]
            elif out.endswith("y") and len(out) > _MIN_STEM and _VOWEL.search(out[:-1]):
                out = out[:-1] + "i"
            if len(out) >= 6:
                out = _IZE.sub("iz", out)
        if len(self._cache) < 100_000:  # bounded: messages bring arbitrary words
            self._cache[word] = out
        return out

    def phrase(self, words: str) -> str:
        """Each space-separated word's lemma, joined by single spaces."""
        return " ".join(self.lemma(w) for w in words.split())
