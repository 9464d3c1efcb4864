"""Signals describing how well one KB entry fits one message.

Each signal catches a different failure of the others: concept coverage survives
paraphrase and English, character fuzz catches near-verbatim questions, pinyin fuzz
catches voice-to-text homophones outside the lexicon, keywords let KB authors pin
entries.  The calibration layer weighs them; this module only measures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from faq.analysis import CONCEPT_PREFIX, Analysis
from faq.focus import Focus
from faq.index import IndexedEntry, KbIndex, WeightedTerms, text_ngrams, weighted_terms
from faq.semantic import SemanticScores
from faq.vocabulary import vocabulary

FEATURE_NAMES: tuple[str, ...] = (
    "cov_query",  # share of the message's (IDF-weighted) units that the entry knows
    "cov_entry",  # best share of one phrasing's units found in the message
    "fuzz_units",  # rapidfuzz ratio over unit sequences (concepts as symbols)
    "fuzz_chars",  # rapidfuzz ratio over normalised characters
    "fuzz_pinyin",  # rapidfuzz ratio over tone-less pinyin
    "bigram_cov",  # share of the message's pinyin bigrams present in the entry
    "unknown",  # share of the message the whole KB has never seen (out-of-scope evidence)
    "foreign_attr",  # the message asks about a named foreign country's own system
    "keyword",  # IDF-weighted share of the entry's keywords present in the message
    "char_ngram",  # IDF-weighted share of the message's character bigrams found in the entry
    "latin",  # share of the message in Latin letters: pinyin and character signals are blind to it
    "lead",  # base score minus the best *other* candidate's: ambiguity
)
# With the optional sentence embedding (faq.embedding) three more, fitted separately.
EMBEDDING_FEATURE_NAMES: tuple[str, ...] = (
    *FEATURE_NAMES,
    "emb_cos",  # cosine of the message and the entry's closest phrasing
    "emb_lead",  # that cosine minus the best other entry's (over the whole KB)
    "emb_top",  # 1 when the embedding ranks this entry first in the whole KB
)


def _unit_string(units: Sequence[str], symbols: dict[str, str]) -> str:
    """One symbol per unit so rapidfuzz compares meaning sequences, not spellings."""
    out = []
    for unit in units:
        symbol = symbols.get(unit)
        if symbol is None:
            symbol = chr(0xE000 + len(symbols) % 6000)
            symbols[unit] = symbol
        out.append(symbol)
    return "".join(out)


def _weighted_share(units: Iterable[str], present: frozenset[str], index: KbIndex, focus: Focus | None = None) -> float:
    """IDF-weighted share of `units` (distinct, in a fixed order) found in `present`; `focus` weighs a
    story's narrating units down (faq.focus).

    Callers pass units in an order that does not follow PYTHONHASHSEED (a message's or a phrasing's own
    order, or sorted): a float sum over a set's order differs in its last bits between two processes, and
    with it, now and then, which of two close candidates is first."""
    total = 0.0
    hit = 0.0
    for unit in units:
        weight = index.idf(unit) if focus is None else index.idf(unit) * focus.unit(unit)
        total += weight
        if unit in present:
            hit += weight
    return hit / total if total else 0.0


def _bigram_share(query: Analysis, item: IndexedEntry, weighted: WeightedTerms | None = None) -> float:
    """Share of the message's pinyin bigrams the entry has, a story's narrating ones weighed down (faq.focus);
    sorted so the float sum does not follow PYTHONHASHSEED. `weighted`: the message's bigrams already weighed
    (_Message.weighted_bigrams)."""
    if not query.pinyin_bigrams:
        return 0.0
    if query.focus is None:
        return len(query.pinyin_bigrams & item.pinyin_bigrams) / len(query.pinyin_bigrams)
    if weighted is None:
        weighted = weighted_terms(sorted(query.pinyin_bigrams), query.focus.bigram)
    hit = 0.0
    for bigram, weight in weighted.pairs:
        if bigram in item.pinyin_bigrams:
            hit += weight
    return hit / weighted.total


# Symbols of one candidate's unit strings (the slow path of `raw_features`) wrap around after this many.
_SYMBOL_WRAP = 6000


@dataclass(frozen=True)
class _Message:
    """What every candidate's row needs from the message, computed once per message."""

    units: tuple[str, ...]  # distinct, in the message's order
    unit_set: frozenset[str]
    unknown: float
    grams: tuple[str, ...]  # character bigrams and words, sorted
    latin: float
    weighted_units: WeightedTerms  # `units` weighed by IDF and focus (cov_query)
    unit_string: str  # all the message's units in the index's symbols (KbIndex.unit_string, fuzz_units)
    weighted_grams: WeightedTerms  # `grams` weighed (char_ngram)
    weighted_bigrams: WeightedTerms | None  # the sorted pinyin bigrams weighed by focus; None without focus


def _message(query: Analysis, index: KbIndex) -> _Message:
    units = tuple(dict.fromkeys(query.units))
    letters = [c for c in query.normalized if c.isalpha()]
    grams = tuple(sorted(text_ngrams(query.normalized)))
    focus = query.focus
    if focus is None:
        weighted_units = weighted_terms(units, index.idf)
        weighted_bigrams = None
    else:
        weighted_units = weighted_terms(units, lambda unit: index.idf(unit) * focus.unit(unit))
        weighted_bigrams = weighted_terms(sorted(query.pinyin_bigrams), focus.bigram)
    return _Message(
        units,
        query.unit_set,
        1.0 - _weighted_share(units, index.vocabulary, index),
        grams,
        sum(1 for c in letters if c.isascii()) / len(letters) if letters else 0.0,
        weighted_units,
        index.unit_string(query.units),
        index.ngram_weights(grams, focus),
        weighted_bigrams,
    )


def _slow_unit_scores(query: Analysis, item: IndexedEntry, index: KbIndex) -> tuple[float, float]:
    """(cov_entry, fuzz_units) with a symbol table of this candidate's own: for an entry with a unit the
    index has no symbol for, or so many units that the message's and its symbols could collide."""
    symbols: dict[str, str] = {}
    query_string = _unit_string(query.units, symbols)
    cov_entry = fuzz_units = 0.0
    for phrasing in item.phrasings:
        if phrasing.units:
            cov_entry = max(cov_entry, _weighted_share(dict.fromkeys(phrasing.units), query.unit_set, index))
            fuzz_units = max(fuzz_units, fuzz.ratio(query_string, _unit_string(phrasing.units, symbols)))
    return cov_entry, fuzz_units


def raw_features(query: Analysis, item: IndexedEntry, index: KbIndex, message: _Message | None = None) -> list[float]:
    """All features but `lead`, which needs the other candidates.

    The entry's side comes from KbIndex.terms (once per entry and index), the message's from `message` (once
    per message): each share adds the same weights in the same order as measuring it from scratch would, and
    fuzz_units compares the same pattern of equal units, so every value is the same to the last bit."""
    message = message or _message(query, index)
    query_units = message.unit_set
    cov_query = message.weighted_units.share(item.units)
    terms = index.terms(item)
    strings = terms.unit_strings
    cov_entry = fuzz_units = fuzz_chars = fuzz_pinyin = 0.0
    ratio = fuzz.ratio
    if strings is not None and len(message.units) + len(item.units) < _SYMBOL_WRAP:
        query_string = message.unit_string
        for weighted, string in zip(terms.phrasings, strings, strict=True):
            if weighted is not None:
                hit = 0.0  # WeightedTerms.share, inlined: this is the innermost loop of a decision
                for unit, weight in weighted.pairs:
                    if unit in query_units:
                        hit += weight
                value = hit / weighted.total if weighted.total else 0.0
                if value > cov_entry:  # max(), as the slow path takes it
                    cov_entry = value
                value = ratio(query_string, string)
                if value > fuzz_units:
                    fuzz_units = value
    else:
        cov_entry, fuzz_units = _slow_unit_scores(query, item, index)
    normalized, pinyin = query.normalized, query.pinyin
    for phrasing in item.phrasings:
        value = ratio(normalized, phrasing.normalized)
        if value > fuzz_chars:
            fuzz_chars = value
        if pinyin and phrasing.pinyin:
            value = ratio(pinyin, phrasing.pinyin)
            if value > fuzz_pinyin:
                fuzz_pinyin = value
    bigram_cov = _bigram_share(query, item, message.weighted_bigrams)
    # KB authors often list broad words (护照) as keywords: weigh hits by how telling they are.
    keyword = terms.keywords.share(query_units) if terms.keywords is not None else 0.0
    char_ngram = message.weighted_grams.share(item.ngrams)
    return [
        cov_query,
        cov_entry,
        fuzz_units / 100,
        fuzz_chars / 100,
        fuzz_pinyin / 100,
        bigram_cov,
        message.unknown,
        1.0 if query.foreign_attribute else 0.0,
        keyword,
        char_ngram,
        message.latin,
    ]


def base_score(raw: Sequence[float]) -> float:
    """Uncalibrated relevance used only to express how far a candidate leads the others."""
    return (raw[0] + raw[1] + raw[2]) / 3


def candidate_features(
    query: Analysis,
    positions: Sequence[int],
    index: KbIndex,
    semantic: SemanticScores | None = None,
    items: Mapping[int, IndexedEntry] | None = None,
) -> list[list[float]]:
    """Rows in FEATURE_NAMES order, or EMBEDDING_FEATURE_NAMES when `semantic` is given; `items` scores some
    positions as another form of their entry (KbIndex.in_chinese)."""
    message = _message(query, index)
    chosen = items or {}
    rows = [raw_features(query, chosen.get(p) or index.entries[p], index, message) for p in positions]
    bases = [base_score(r) for r in rows]
    top_semantic = semantic.top(1)[0] if semantic is not None and len(semantic.by_entry) else -1
    # the best other base of every candidate is the best base, but for the (first) best's own: the second
    best = max(range(len(bases)), key=bases.__getitem__) if bases else -1
    runner_up = max((b for j, b in enumerate(bases) if j != best), default=None)
    out: list[list[float]] = []
    for i, (position, row) in enumerate(zip(positions, rows, strict=True)):
        other = runner_up if i == best else bases[best]
        lead = bases[i] - other if other is not None else bases[i]
        if semantic is None:
            out.append([*row, lead])
            continue
        cosine = float(semantic.by_entry[position])
        emb_lead = cosine - semantic.best_other(position)
        out.append([*row, lead, cosine, emb_lead, 1.0 if position == top_semantic else 0.0])
    return out


# Query-level signals for the "answer at all?" gate (faq.calibration.Gate).  The candidate
# features say which entry fits best; these say whether the message is the kind of thing
# the KB answers: near-miss out-of-scope messages (another country's system, an opinion, a
# purchase) share words with an entry and score like real questions on the others.
QUERY_FEATURE_NAMES: tuple[str, ...] = (
    "units_log",  # log(1 + distinct units): one-word messages are ambiguous
    "concept_share",  # share of the distinct units that are domain concepts
    "unknown_words_log",  # log(1 + content words the KB never uses)
    "foreign_unanchored",  # names a foreign place and nothing tying it to China or Chinese status
    "opinion",  # asks for an opinion, forecast or recommendation
    "length_log",  # log(1 + normalised characters)
)


_CHINA_BOUND = frozenset({"domestic", "return", "entry", "settle", "consulate", "consular_protection", "urgent"})


def _has_cue(normalized: str, cues: Sequence[str]) -> bool:
    return any(cue in normalized for cue in cues)


def query_features(query: Analysis, index: KbIndex) -> list[float]:
    """Rows in QUERY_FEATURE_NAMES order; they do not depend on any candidate."""
    shipped = vocabulary()
    units = query.unit_set
    concepts = {u[1:] for u in units if u.startswith(CONCEPT_PREFIX)}
    unknown_words = [u for u in units if not u.startswith(CONCEPT_PREFIX) and u not in index.vocabulary]
    unanchored = query.named_foreign and not concepts & shipped.china_anchors
    # a trip to another country that never comes back to China: that country's entry rules
    outbound = query.foreign_destination and not concepts & _CHINA_BOUND
    return [
        math.log1p(len(units)),
        len(concepts) / len(units) if units else 0.0,
        math.log1p(len(unknown_words)),
        1.0 if unanchored or outbound else 0.0,
        1.0 if _has_cue(query.normalized, shipped.opinion_cues) else 0.0,
        math.log1p(len(query.normalized)),
    ]


# The candidate feature whose value, the share of the message in Latin letters, the gate may weigh every other
# column by (gate_feature_names' `latin`): in English the pinyin, character and coverage signals mean less, and
# the best entry's probability more (of English messages answered at p1 < 0.4 on the dev suites, 6 of 20 were
# wrong, of Chinese ones none of 63), which one weight per column cannot say for both languages.
LATIN_FEATURE = "latin"


def gate_feature_names(candidate_names: Sequence[str], latin: bool = False) -> tuple[str, ...]:
    """The gate sees the top two probabilities, the best candidate's own features and the query's; with `latin`,
    each of those again times the message's Latin share (its weights for English)."""
    base = ("p1_logit", "margin", "p2_logit", *(f"top_{n}" for n in candidate_names), *QUERY_FEATURE_NAMES)
    return (*base, *(f"latin_x_{n}" for n in base)) if latin else base


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def gate_features(
    p1: float, p2: float, top_row: Sequence[float], query_row: Sequence[float], latin_at: int | None = None
) -> list[float]:
    """One row in gate_feature_names order; shared by the matcher and the fitting code. `latin_at`: the position
    of LATIN_FEATURE in `top_row` when the gate has the Latin-weighed columns (Calibration.gate_row)."""
    base = [_logit(p1), p1 - p2, _logit(p2), *top_row, *query_row]
    if latin_at is None:
        return base
    latin = top_row[latin_at]
    return [*base, *(latin * value for value in base)]
