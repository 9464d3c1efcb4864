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
from collections.abc import Iterable, Mapping, Sequence

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


_ASCII_WORD = re.compile(r"^[a-z0-9]+$")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
# Skipped inside English phrases: "renew my passport", "relatives of an overseas chinese", "transfer it out".
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "your", "his", "her", "their", "its", "it", "them"})
_MAX_SPELLED_CHARS = 8
# A split phrasal verb's object: at most this many words between the verb and its particle ("get my Chinese
# nationality back"); further apart, the particle more likely belongs to something else.
MAX_SPLIT_GAP = 3
# Stop words that may stand inside an object besides the determiners ("get my old passport back", "give all
# the documents back"). Any other stop word ends the object: a person ("get me back to China" is a return), a
# preposition or conjunction opening another phrase ("get a visa and go back", "get it for my son back").
_OBJECT_STOPWORDS = frozenset(
    {"old", "older", "new", "own", "whole", "entire", "official", "former", "other", "same", "first", "one", "ones"}
    | {"two", "three", "this", "that", "these", "those", "some", "any", "all", "both", "each", "every"}
    | {"stuff", "thing", "things"}
)
# Right after the particle, these open the object of a phrasal verb written unsplit ("get back my hukou");
# "get back to me" (a reply) and "get back home" (a return) go on otherwise.
_POSSESSIVES = frozenset({"my", "our", "your", "his", "her", "their"})


class EnglishForms:
    """The vocabulary's forms as an English message can reach them, given the normalised forms
    (surface form -> concepts) of the whole lexicon:

    - English forms by their words' lemmas without articles and possessives: "moving back" meets the
      listed "move back", "relatives of an overseas chinese" the listed "relatives of overseas chinese";
    - Chinese forms as users spell them in pinyin: "hukou", "huaqiao", "qingtian" in an English sentence;
    - phrasal verbs split by their object ("get my hukou back"), from `split_forms` (concepts -> (verb,
      particle) pairs, the vocabulary's ``english_split_forms``): `split_at`.
    """

    def __init__(
        self,
        forms: Mapping[str, frozenset[str]],
        stopwords: frozenset[str] = frozenset(),
        irregular: Mapping[str, str] | None = None,
        split_forms: Mapping[str, Iterable[tuple[str, str]]] | None = None,
    ) -> None:
        from pypinyin import lazy_pinyin  # only here: the lemmatiser itself needs no pinyin

        self.lemmatizer = EnglishLemmatizer(irregular)
        self._stopwords = stopwords
        # "are"/"goes"/"needs" are stop words whatever the inflection
        self._stop_lemmas = frozenset(self.lemmatizer.lemma(w) for w in stopwords if _ASCII_WORD.match(w))
        self._exact = {f: c for f, c in forms.items() if all(_ASCII_WORD.match(w) for w in f.split())}
        self.max_words = max((f.count(" ") + 1 for f in self._exact), default=1)
        by_lemma: dict[str, set[str]] = {}
        for form, found in self._exact.items():
            by_lemma.setdefault(self.key(form.split()), set()).update(found)
        self._by_lemma = {k: frozenset(v) for k, v in by_lemma.items()}
        spelled: dict[str, set[str]] = {}
        for form, found in forms.items():
            if 2 <= len(form) <= _MAX_SPELLED_CHARS and _CJK.match(form):
                spelled.setdefault("".join(lazy_pinyin(form)), set()).update(found)
        self._by_spelling = {k: frozenset(v) for k, v in spelled.items() if k not in forms}
        split: dict[tuple[str, str], set[str]] = {}
        for concept, pairs in (split_forms or {}).items():
            for verb, particle in pairs:
                split.setdefault((self.lemmatizer.lemma(verb), particle), set()).add(concept)
        self._split = {k: frozenset(v) for k, v in split.items()}
        self._split_particles = frozenset(particle for _, particle in self._split)

    def key(self, words: Sequence[str]) -> str:
        """Lemmas of the words without articles and possessives; a phrase that would be left with one word
        keeps them ("a will" is not "will")."""
        content = [w for w in words if w not in _DETERMINERS]
        return " ".join(self.lemmatizer.lemma(w) for w in (content if len(content) >= 2 else words))

    def is_stopword(self, word: str) -> bool:
        return word in self._stopwords or (
            _ASCII_WORD.match(word) is not None and self.lemmatizer.lemma(word) in self._stop_lemmas
        )

    def phrase_at(self, tokens: Sequence[str], i: int) -> tuple[frozenset[str] | None, int]:
        """The longest form starting at tokens[i] (an ASCII word): as written, else by lemmas with articles
        and possessives skipped inside it, else a pinyin spelling. Returns (concepts or None, tokens used)."""
        exact: tuple[frozenset[str] | None, int] = (None, 1)
        for n in range(min(self.max_words, len(tokens) - i), 0, -1):
            window = tokens[i : i + n]
            if all(_ASCII_WORD.match(w) for w in window):
                found = self._exact.get(" ".join(window))
                if found:
                    exact = (found, n)
                    break
        ends: list[int] = []  # end of the window holding 1, 2, … words that are not articles
        j = i
        while j < len(tokens) and len(ends) < self.max_words and _ASCII_WORD.match(tokens[j]):
            if j == i or tokens[j] not in _DETERMINERS:
                ends.append(j + 1)
            j += 1
        for end in reversed(ends):
            if end - i <= exact[1] and exact[0] is not None:
                break  # the form as written is at least as long
            found = self._by_lemma.get(self.key(tokens[i:end]))
            if found:
                return found, end - i
        if exact[0] is None and tokens[i] not in self._stopwords and len(tokens[i]) >= 4:
            return self._by_spelling.get(tokens[i]), 1
        return exact

    def split_at(self, tokens: Sequence[str], i: int) -> tuple[frozenset[str], int] | None:
        """A phrasal verb at tokens[i] read with its object: (its concepts, the index of its particle), else None.

        Two word orders say the same: the object between verb and particle ("can I get my Chinese nationality
        back", at most MAX_SPLIT_GAP words), or right after the particle, opened by a possessive ("get back my
        hukou"). Without an object the particle next to the verb is the form listed as written ("get back to
        me" is a reply). The object holds no stop word but determiners and a few noun modifiers (a person or a
        preposition ends it: "get me back to China"), and the particle is no verb's nearer to it ("get a visa
        fly back") nor the start of a longer form of its own ("get my parents back home"). The words between are
        left to be read on their own; the caller skips the particle."""
        if not self._split or not _ASCII_WORD.match(tokens[i]):
            return None
        verb = self.lemmatizer.lemma(tokens[i])
        end = min(len(tokens), i + MAX_SPLIT_GAP + 2)
        if i + 2 < len(tokens) and tokens[i + 2] in _POSSESSIVES:
            found = self._split.get((verb, tokens[i + 1]))
            if found:
                return found, i + 1
        for j in range(i + 1, end):
            word = tokens[j]
            if j > i + 1 and word in self._split_particles:
                found = self._split.get((verb, word))
                if found and self.phrase_at(tokens, j)[1] == 1:
                    return found, j
            if not self._may_stand_in_object(word, tokens, j):
                return None
        return None

    def _may_stand_in_object(self, word: str, tokens: Sequence[str], j: int) -> bool:
        if word in _DETERMINERS or word in _OBJECT_STOPWORDS:
            return True
        if self.is_stopword(word):
            return False
        # "get a visa fly back": the particle after this word is that word's own ("fly back" is listed)
        following = tokens[j + 1] if j + 1 < len(tokens) else ""
        return not (following in self._split_particles and self.key([word, following]) in self._by_lemma)
