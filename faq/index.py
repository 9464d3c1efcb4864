"""The searchable form of the KB: analysed phrasings, IDF weights and an inverted index.

Scoring every entry with rapidfuzz would cost O(KB size) per message; the inverted index
over concepts, words and pinyin bigrams narrows 10,000 entries to a few dozen candidates
which the (more expensive) feature scoring then reranks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from faq.analysis import CONCEPT_PREFIX, Analysis, Analyzer
from faq.focus import Focus
from faq.kb import FaqEntry
from faq.normalize import is_cjk_char, text_ngrams
from faq.status_cues import CHINESE, FOREIGN
from faq.whereabouts import entry_sides

__all__ = ["EntryTerms", "IndexedEntry", "KbIndex", "WeightedTerms", "indexed_entry", "text_ngrams"]

# Pinyin bigrams only rescue homophones the lexicon missed; they must not outvote concepts.
_BIGRAM_WEIGHT = 0.35
# Postings longer than this share of the KB carry almost no information and dominate
# latency at scale; such units still count during reranking.
_MAX_POSTING_SHARE = 0.25
# No unit weighs less than this, however common (KbIndex.idf).
_MIN_IDF = 0.05
# The first code point of the symbols standing for units in KbIndex.unit_string (the supplementary planes),
# and how many units of a KB at most get one (the others' entries are scored the slow way, faq.features).
_FIRST_SYMBOL = 0x10000
_MAX_SYMBOLS = 500_000


@dataclass(frozen=True)
class IndexedEntry:
    entry: FaqEntry
    phrasings: tuple[Analysis, ...]
    units: frozenset[str]  # union over phrasings and keywords
    keyword_units: tuple[frozenset[str], ...]
    pinyin_bigrams: frozenset[str]
    ngrams: frozenset[str] = frozenset()  # character bigrams / words of all phrasings and keywords
    keywords: tuple[Analysis, ...] = ()
    # Where most of the entry's phrasings place the user (faq.whereabouts).
    whereabouts: frozenset[str] = frozenset()
    concepts: frozenset[str] = frozenset()  # the concept units among `units`
    # Where most of the entry's phrasings say its money or estate comes from (faq.flow).
    flow: frozenset[str] = frozenset()
    # The nationality most of the entry's phrasings state (faq.status_cues.nationality_of).
    nationality: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WeightedTerms:
    """Distinct terms in a fixed order with their weights, and the weights' sum added in that order: the
    denominator of a weighted share, the same for every candidate it is measured against."""

    pairs: tuple[tuple[str, float], ...]
    total: float

    def share(self, present: Container[str]) -> float:
        """The weighted share of the terms found in `present`; the hits are added in the terms' order (a
        float sum over a set's order follows PYTHONHASHSEED)."""
        hit = 0.0
        for term, weight in self.pairs:
            if term in present:
                hit += weight
        return hit / self.total if self.total else 0.0


def weighted_terms(terms: Iterable[str], weight: Callable[[str], float]) -> WeightedTerms:
    pairs = tuple((term, weight(term)) for term in terms)
    total = 0.0
    for _, value in pairs:
        total += value
    return WeightedTerms(pairs, total)


@dataclass(frozen=True)
class EntryTerms:
    """What the candidate features (faq.features) read of an entry on one index, which only a new KB version
    changes: each phrasing's distinct units weighed by IDF (cov_entry) and as a string of symbols (fuzz_units),
    and the entry's keyword units, sorted and weighed (keyword). Computed once per entry and index
    (KbIndex.terms) instead of once per message that has the entry among its candidates."""

    phrasings: tuple[WeightedTerms | None, ...]  # None: a phrasing without units
    unit_strings: tuple[str, ...] | None  # None: a unit the index has no symbol for (faq.features' slow path)
    keywords: WeightedTerms | None  # None: no keyword units


def indexed_entry(entry: FaqEntry, phrasings: tuple[Analysis, ...], keywords: tuple[Analysis, ...]) -> IndexedEntry:
    keyword_units = tuple(k.unit_set for k in keywords if k.units)
    units = frozenset().union(*(p.unit_set for p in phrasings), *keyword_units)
    bigrams = frozenset().union(*(p.pinyin_bigrams for p in phrasings))
    ngrams = frozenset().union(
        *(text_ngrams(p.normalized) for p in phrasings),
        *(text_ngrams(k.normalized) for k in keywords),
    )
    sides = entry_sides([p.whereabouts for p in phrasings])
    concepts = frozenset(u for u in units if u.startswith(CONCEPT_PREFIX))
    flow = entry_sides([p.flow for p in phrasings])
    nationality = entry_sides([p.nationality for p in phrasings], (CHINESE, FOREIGN))
    return IndexedEntry(
        entry, phrasings, units, keyword_units, bigrams, ngrams, keywords, sides, concepts, flow, nationality
    )


def in_chinese(item: IndexedEntry) -> IndexedEntry | None:
    """The entry as its Chinese wording alone says it, without its phrasings that hold no Chinese character
    (an English 相似问 "I lost my Chinese passport abroad"); None when it has no such phrasing, or nothing else.

    KBs give an English phrasing to some entries and not to their near twins: an English message then leads
    with the twin that has one, by its wording's language (shorter, the same words, the character signals
    awake), not by what it asks. faq.matcher compares near twins on this form for an English message."""
    kept = tuple(p for p in item.phrasings if any(is_cjk_char(c) for c in p.normalized))
    if len(kept) in (0, len(item.phrasings)):
        return None
    return indexed_entry(item.entry, kept, item.keywords)


class KbIndex:
    def __init__(
        self,
        entries: Sequence[FaqEntry],
        analyzer: Analyzer,
        analysed: Sequence[IndexedEntry] | None = None,
        progress: Callable[[int], object] | None = None,
    ) -> None:
        """Analyse and index `entries` (calling `progress(n)` as n more are analysed); or, given `analysed`,
        index those as they are (no analysis again)."""
        self.analyzer = analyzer
        self.entries: list[IndexedEntry] = list(analysed) if analysed is not None else []
        if analysed is None:
            for number, entry in enumerate(entries, 1):
                phrasings = tuple(analyzer.analyze(p) for p in entry.phrasings())
                keywords = tuple(analyzer.analyze(k) for k in entry.keywords)
                self.entries.append(indexed_entry(entry, phrasings, keywords))
                if progress is not None and (number % 100 == 0 or number == len(entries)):
                    progress(100 if number % 100 == 0 else number % 100)
        self.by_id = {e.entry.id: i for i, e in enumerate(self.entries)}
        chinese = ((i, in_chinese(e)) for i, e in enumerate(self.entries))
        # entries with an English phrasing beside Chinese ones, as their Chinese wording alone says them
        self.in_chinese: dict[int, IndexedEntry] = {i: e for i, e in chinese if e is not None}
        count = len(self.entries)
        df: dict[str, int] = {}
        postings: dict[str, list[int]] = {}
        for position, item in enumerate(self.entries):
            for unit in item.units:
                df[unit] = df.get(unit, 0) + 1
                postings.setdefault(unit, []).append(position)
            for bigram in item.pinyin_bigrams:
                key = "~" + bigram
                df[key] = df.get(key, 0) + 1
                postings.setdefault(key, []).append(position)
        ngram_df: dict[str, int] = {}
        for item in self.entries:
            for gram in item.ngrams:
                ngram_df[gram] = ngram_df.get(gram, 0) + 1
        self._ngram_idf = {g: math.log((count + 1) / (n + 0.5)) for g, n in ngram_df.items()}
        self._unseen_ngram_idf = math.log(count + 1) + 0.7
        self.size = count
        self._df = df
        self.vocabulary = frozenset(u for u in df if not u.startswith("~"))
        self._idf = {u: math.log((count + 1) / (n + 0.5)) for u, n in df.items()}
        # what `idf` returns for the units the KB uses: it is asked for them hundreds of times a message
        self._weight = {u: max(value, _MIN_IDF) for u, value in self._idf.items()}
        # A content word the KB never uses is strong evidence the KB does not cover the message.
        self._unseen_idf = max(self._idf.values(), default=1.0)
        limit = max(50, int(count * _MAX_POSTING_SHARE))
        self._postings = {u: p for u, p in postings.items() if len(p) <= limit}
        symbolized = self.vocabulary if len(self.vocabulary) <= _MAX_SYMBOLS else ()
        self._symbols = {u: chr(_FIRST_SYMBOL + i) for i, u in enumerate(symbolized)}
        # EntryTerms of the entries this index holds (and their Chinese forms), filled as they become
        # candidates; keyed by identity, which those entries keep as long as the index lives
        self._owned = frozenset(id(e) for e in (*self.entries, *self.in_chinese.values()))
        self._terms: dict[int, EntryTerms] = {}

    def without(self, phrasings: Mapping[int, int], entries: Set[int]) -> KbIndex:
        """This KB with some phrasings (position -> phrasing number) and whole entries left out, as if never
        written: the KB's own 相似问 then pose as users' messages (faq.kb_calibration). No analysis again."""
        kept: list[IndexedEntry] = []
        for position, item in enumerate(self.entries):
            if position in entries:
                continue
            drop = phrasings.get(position)
            if drop is not None and len(item.phrasings) > 1:
                rest = tuple(p for j, p in enumerate(item.phrasings) if j != drop)
                item = indexed_entry(item.entry, rest, item.keywords)
            kept.append(item)
        return KbIndex([], self.analyzer, kept)

    def idf(self, unit: str) -> float:
        """IDF of a unit; words the KB never uses still weigh (they are what the KB lacks)."""
        value = self._weight.get(unit)
        if value is not None:
            return value
        if unit.startswith(CONCEPT_PREFIX):
            return self._unseen_idf
        # unknown single characters are mostly recognition noise; English paraphrases freely
        if len(unit) == 1:
            return self._unseen_idf * 0.3
        return self._unseen_idf * (0.5 if unit.isascii() else 0.9)

    def ngram_weights(self, grams: Iterable[str], focus: Focus | None = None) -> WeightedTerms:
        """The message's n-grams (distinct, in a fixed order: a float sum over a set's order follows
        PYTHONHASHSEED) weighed by IDF, `focus` weighing a story's narrating n-grams down (faq.focus): once per
        message, then `share` against each candidate's wording (`IndexedEntry.ngrams`)."""

        def weight(gram: str) -> float:
            value = max(self._ngram_idf.get(gram, self._unseen_ngram_idf), _MIN_IDF)
            if focus is not None:
                value *= focus.ngram(gram)
            return value

        return weighted_terms(grams, weight)

    def ngram_share(self, grams: Iterable[str], item: IndexedEntry, focus: Focus | None = None) -> float:
        """IDF-weighted share of the message's n-grams that the entry's wording contains (`ngram_weights`)."""
        return self.ngram_weights(grams, focus).share(item.ngrams)

    def unit_string(self, units: Sequence[str]) -> str:
        """One symbol per unit so rapidfuzz compares meaning sequences, not spellings: the index's own symbol
        for a unit the KB uses (the one in EntryTerms.unit_strings), a new one for each other unit. A ratio
        only sees which symbols are equal, so any one-to-one choice of symbols gives the same ratio."""
        symbols = self._symbols
        out: list[str] = []
        extra: dict[str, str] = {}
        for unit in units:
            symbol = symbols.get(unit)
            if symbol is None:
                symbol = extra.get(unit)
                if symbol is None:
                    symbol = extra[unit] = chr(_FIRST_SYMBOL + len(symbols) + len(extra))
            out.append(symbol)
        return "".join(out)

    def terms(self, item: IndexedEntry) -> EntryTerms:
        """The entry's EntryTerms on this index: kept for the entries the index holds, computed afresh for
        any other form of an entry."""
        key = id(item)
        found = self._terms.get(key)
        if found is None:
            found = self._entry_terms(item)
            if key in self._owned:
                self._terms[key] = found
        return found

    def prepare_terms(self) -> None:
        """Every entry's EntryTerms now (the served matcher's index, faq.matcher): filled lazily while serving,
        the cache would grow by thousands of long-lived objects at 10,000 entries and bring on, in the middle
        of one decision, a full garbage collection of the whole index (a third of a second measured)."""
        for item in (*self.entries, *self.in_chinese.values()):
            self.terms(item)

    def _entry_terms(self, item: IndexedEntry) -> EntryTerms:
        phrasings = tuple(weighted_terms(dict.fromkeys(p.units), self.idf) if p.units else None for p in item.phrasings)
        symbols = self._symbols
        known = all(u in symbols for p in item.phrasings for u in p.units)
        strings = tuple("".join(symbols[u] for u in p.units) for p in item.phrasings) if known else None
        keyword_units = sorted(frozenset().union(*item.keyword_units))
        keywords = weighted_terms(keyword_units, self.idf) if keyword_units else None
        return EntryTerms(phrasings, strings, keywords)

    def is_specific(self, unit: str) -> bool:
        """A unit naming at most a couple of entries (台胞证, 负面清单), unlike 护照 or 签证."""
        df = self._df.get(unit, 0)
        return 0 < df <= max(2, int(self.size * 0.005))

    def retrieve(self, query: Analysis, limit: int) -> list[int]:
        """Positions of the entries sharing the most informative units with the query.

        Units are visited in a fixed order and ties go to the earlier entry: a set's order follows
        PYTHONHASHSEED, and with it the float sums and which of two equal scores made the cut, so the
        same message could get different candidates in two processes."""
        scores: dict[int, float] = {}
        focus = query.focus
        weighted: list[tuple[list[int], float]] = []
        for unit in dict.fromkeys(query.units):
            posting = self._postings.get(unit)
            if posting:
                weighted.append((posting, self._idf[unit] if focus is None else self._idf[unit] * focus.unit(unit)))
        for bigram in sorted(query.pinyin_bigrams):
            posting = self._postings.get("~" + bigram)
            if posting:
                weighted.append((posting, self._idf["~" + bigram] * _BIGRAM_WEIGHT))
        for posting, weight in weighted:
            if not scores:  # the first posting: 0.0 + weight is weight
                scores = dict.fromkeys(posting, weight)
                continue
            get = scores.get
            for position in posting:
                scores[position] = get(position, 0.0) + weight
        return _best(scores, limit)


def _best(scores: dict[int, float], limit: int) -> list[int]:
    """The `limit` positions of highest score, ties to the earlier position, best first: what
    heapq.nlargest(limit, scores.items(), key=(score, -position)) gives, sorting only the positions that score at
    least the limit-th best score (those are all it can give), found by sorting the bare scores (in C)."""
    if limit <= 0:
        return []
    if len(scores) > limit:
        kth = sorted(scores.values(), reverse=True)[limit - 1]
        near = [(score, -position) for position, score in scores.items() if score >= kth]
    else:
        near = [(score, -position) for position, score in scores.items()]
    near.sort(reverse=True)
    return [-negated for _, negated in near[:limit]]
