"""Decide what to do with one message: answer, suggest, or hand over to staff.

A confident wrong answer about a visa can cost a family a trip, so every path that is
not clearly one FAQ falls back to suggesting (the user picks) or handing over (staff
answer).  The probability comes from faq.calibration; the rules here only add what a
probability cannot know: a one-word message is ambiguous however well it matches, and
a very long or garbled message needs a person.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from faq.action_place import not_topics, set_abroad, set_in_china
from faq.analysis import Analysis, Analyzer
from faq.beside import beside_the_kb
from faq.calibration import EMBEDDING, EMBEDDING_GATE, LEXICAL, Calibration, load_calibration
from faq.candidates import find_candidates
from faq.counterpart import CHINAS_KINDS, CHINAS_OWN, CounterpartGuard
from faq.counterpart import counterparts as load_counterparts_once
from faq.decision import Decision
from faq.embedding import Embedder
from faq.english_gloss import GlossBridge, cached_bridge, concept_forms, kb_chinese_units
from faq.explanation import Candidate, Explanation
from faq.features import (
    EMBEDDING_FEATURE_NAMES,
    FEATURE_NAMES,
    QUERY_FEATURE_NAMES,
    candidate_features,
    query_features,
)
from faq.focus import mostly_latin
from faq.index import IndexedEntry, KbIndex
from faq.kb import FaqEntry
from faq.kb_calibration import calibrate, conservative
from faq.offering import OFFER_GATE, choice_floor, offer_reason, worth_offering
from faq.out_of_scope import OutOfScopeIntents, out_of_scope_intents
from faq.semantic import SemanticIndex, phrasings_missing
from faq.semantic_ranking import SemanticRanker, merged_suggestions
from faq.smalltalk import SmallTalk, classify_smalltalk
from faq.story import question_alone_first
from faq.whereabouts import (
    TWIN_FOLD_CAP,
    TWIN_REACH,
    TWIN_SCORE_SHARE_SURE,
    TWIN_SCORE_TAKEOVER,
    twin_ruled_out,
    twin_to_lead,
)

__all__ = ["Decision", "FaqMatcher"]

log = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
# Longer messages are stories or complaints: match them for suggestions, never answer.
MAX_ANSWERABLE_CHARS = 200
# Only this much of a message is analysed; the rest cannot change a suggestion.
MAX_ANALYSED_CHARS = 400
RELATED_FLOOR = 0.05
# Up to this many distinct units a message is "short": see FaqMatcher._undecided.
SHORT_MESSAGE_UNITS = 2
# Decisions kept per matcher, by exact message text: broadcasts and menu words ("护照",
# "人工") arrive thousands of times.  The matcher is rebuilt on every KB change, so the
# cache can never serve a decision made on an old KB.
DECISION_CACHE_SIZE = 4096
# Longer messages are not cached: they are unlikely to repeat and would crowd out those that do.
MAX_CACHED_CHARS = 200


def _looks_binary(text: str) -> bool:
    """Control characters, replacement characters or private-use code points dominate."""
    if not text:
        return False
    bad = 0
    for char in text:
        category = unicodedata.category(char)
        if char == "\ufffd" or (category in ("Cc", "Co", "Cs", "Cn") and char not in "\n\r\t"):
            bad += 1
    return bad / len(text) > 0.1


def _handover(smalltalk: SmallTalk | None = None, out_of_scope: str | None = None) -> Decision:
    return Decision("handover", None, (), 0.0, smalltalk, out_of_scope)


class FaqMatcher:
    """Built once per KB version; `decide` is pure and safe to call from many threads."""

    def __init__(
        self,
        index: KbIndex,
        calibration: Calibration,
        semantic: SemanticIndex | None = None,
        counterparts: CounterpartGuard | None = None,
        ranker: SemanticRanker | None = None,
        out_of_scope: OutOfScopeIntents | None = None,
        gloss: GlossBridge | None = None,
    ) -> None:
        """`semantic` adds the encoder's features to every candidate (the "embedding" set decides: how that
        set is fitted); `ranker` leaves deciding to the lexical `calibration` and only orders suggestions.
        `gloss` bridges a message's English words the KB does not use to its Chinese ones (faq.english_gloss;
        None: built now, `build` passes the one cached for the KB)."""
        self._index = index
        self._gloss = gloss if gloss is not None else _gloss_bridge(index, None)
        english = index.analyzer.lexicon.english
        self._lemma = english.lemmatizer.lemma
        index.prepare_terms()
        self._calibration = calibration
        self._semantic = semantic
        self._ranker = ranker
        self._counterparts = counterparts or CounterpartGuard(
            load_counterparts_once(), [[p.normalized for p in item.phrasings] for item in index.entries]
        )
        self._out_of_scope = out_of_scope or out_of_scope_intents()
        # requests the KB itself answers (one of its phrasings matches the intent) are not out of scope for it
        self._served = self._out_of_scope.served_by(p.normalized for item in index.entries for p in item.phrasings)
        self._cache: OrderedDict[str, Decision] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_hits = 0
        self.cache_misses = 0
        # Built lexical while the encoder's vectors of some phrasings are still to compute (see `build`).
        self.vectors_pending = False

    @classmethod
    def build(
        cls,
        entries: Sequence[FaqEntry],
        calibration: Calibration | None = None,
        embedder: Embedder | None = None,
        cache_dir: Path | None = None,
        progress: Callable[[int], object] | None = None,
        embed_missing: bool = True,
    ) -> FaqMatcher:
        """Index the KB.  The lexical calibration decides.  With an embedder (the bootstrap passes one when
        QIAOBOT_FAQ_EMBEDDING is on) and fitted "embedding" coefficients, the sentence encoder orders what is
        suggested when the matcher does not answer (faq.semantic_ranking); a `calibration` with the
        embedding features instead makes it a feature of every decision (how that set is fitted).  Phrasing
        vectors are kept in `cache_dir` between builds (None: in memory only).

        Without an explicit `calibration` the lexical prior (faq/calibration.json, fitted on several KBs) is
        served, measured on this KB's own phrasings and conservative for a KB too small to measure
        (faq.kb_calibration), the measurement cached by the KB's fingerprint in `cache_dir` too.
        `progress(n)` is called as n more entries are analysed (the import's progress bar).

        With `embed_missing` False, a KB some of whose phrasings have no vector in `cache_dir` yet is served
        lexically (`vectors_pending` set) instead of waiting for the encoder (10-30 ms of CPU a phrasing: 10,000
        entries of seven phrasings would take many minutes): the caller builds the complete matcher in the
        background (bot.knowledge) and swaps it in."""
        words = [k for e in entries for k in e.keywords]
        analyzer = _shared_analyzer(tuple(sorted(set(words))))
        index = KbIndex(entries, analyzer, progress=progress)
        lexical = calibration or calibrate(index, load_calibration(mode=LEXICAL), cache_dir)
        gloss = _gloss_bridge(index, cache_dir)
        if embedder is not None:
            phrasings = [e.phrasings() for e in entries]
            if not embed_missing:
                missing = phrasings_missing(embedder, phrasings, cache_dir)
                if missing:
                    log.info("faq: %s phrasings have no %s vector yet: lexical meanwhile", missing, embedder.name)
                    matcher = cls(index, lexical, gloss=gloss)
                    matcher.vectors_pending = True
                    return matcher
            if calibration is not None and len(calibration.weights) == len(EMBEDDING_FEATURE_NAMES):
                return cls(index, calibration, SemanticIndex(embedder, phrasings, cache_dir), gloss=gloss)
            gated = load_calibration(mode=EMBEDDING_GATE, model=embedder.name)
            if len(gated.weights) == len(EMBEDDING_FEATURE_NAMES) and gated.has_gate:
                # fitted for this encoder: it is the gate's second opinion in every decision. The KB's measurement
                # on its own phrasings reads lexical rows; a KB too small for it is served conservatively here too.
                if lexical.note.startswith("conservative"):
                    gated = conservative(gated, lexical.note.partition(": ")[2])
                return cls(index, gated, SemanticIndex(embedder, phrasings, cache_dir), gloss=gloss)
            fused = load_calibration(mode=EMBEDDING, model=embedder.name)
            if len(fused.weights) == len(EMBEDDING_FEATURE_NAMES):
                ranker = SemanticRanker(index, SemanticIndex(embedder, phrasings, cache_dir), fused)
                return cls(index, lexical, ranker=ranker, gloss=gloss)
        return cls(index, lexical, gloss=gloss)

    @property
    def mode(self) -> str:
        """Which coefficient set decides: "lexical", "embedding" or "embedding-gate" (the encoder's columns
        weigh 0 in the candidate model: only the gate reads them)."""
        if self._semantic is None:
            return LEXICAL
        encoder_weights = self._calibration.weights[len(FEATURE_NAMES) :]
        return EMBEDDING_GATE if not any(encoder_weights) else EMBEDDING

    @property
    def semantic(self) -> SemanticIndex | None:
        """The phrasings' vectors when the encoder's features are in every decision."""
        return self._semantic

    @property
    def ranks_semantically(self) -> bool:
        """Whether the sentence encoder orders the suggestions."""
        return self._ranker is not None

    @property
    def calibration(self) -> Calibration:
        return self._calibration

    @property
    def index(self) -> KbIndex:
        return self._index

    def entry(self, faq_id: str) -> FaqEntry:
        position = self._index.by_id.get(faq_id)
        if position is None:
            raise KeyError(faq_id)
        return self._index.entries[position].entry

    def entries(self) -> list[FaqEntry]:
        return [item.entry for item in self._index.entries]

    def _analyze(self, text: str) -> Analysis:
        query = self._index.analyzer.analyze(text[:MAX_ANALYSED_CHARS], focus=True)
        return self._gloss.read(query, self._index.vocabulary.__contains__, self._lemma)

    def _candidates(self, text: str, query: Analysis) -> tuple[list[int], list[list[float]]]:
        """Positions worth reranking and their feature rows."""
        if not query.units and not query.pinyin_bigrams:
            return [], []
        semantic = self._semantic.scores(text[:MAX_ANALYSED_CHARS]) if self._semantic is not None else None
        return find_candidates(self._index, query, semantic)

    def _scored(
        self, text: str, query: Analysis
    ) -> tuple[list[tuple[int, float]], list[list[float]], float | None, int]:
        """(entry position, probability), best first, the candidates' feature rows in the same order, and, when
        the lead is contested, the twin's own probability: a near twin far below the first leads only because the
        message says surely where the user is (faq.whereabouts.TWIN_SCORE_SHARE_SURE); both then carry the first's
        probability, to be offered side by side, never answered. Last, the place of a near twin the message rules
        out (faq.whereabouts twin_ruled_out; 0 for none): it gives the first its probability and stays where it
        is among the choices, but it is no rival of the first's for the gate (_confident)."""
        positions, rows = self._candidates(text, query)
        if not positions:
            return [], [], None, 0
        probabilities = [self._calibration.probability(f) for f in rows]
        order = sorted(range(len(positions)), key=lambda i: -probabilities[i])
        entries = [self._index.entries[positions[i]] for i in order[:TWIN_REACH]]
        top = self._twin_scores(query, [positions[i] for i in order[:TWIN_REACH]], probabilities, order)
        topic = self._index.analyzer.topic_concepts(query)
        concepts = [e.concepts for e in entries]
        sides = [e.whereabouts for e in entries]
        lead = twin_to_lead(query.whereabouts, sides, concepts, top, topic)
        contested = False
        if not lead and query.whereabouts_sure:
            lead = twin_to_lead(query.whereabouts, sides, concepts, top, topic, TWIN_SCORE_SHARE_SURE)
            contested = bool(lead)
        if not lead:
            # which way the money or estate moves decides between near twins the same way (faq.flow)
            lead = twin_to_lead(query.flow, [e.flow for e in entries], concepts, top, topic)
        if not lead:
            # ... and so does the nationality the message states (a Chinese citizen's child, a foreign one)
            lead = twin_to_lead(query.nationality, [e.nationality for e in entries], concepts, top, topic)
        scored = [(positions[i], probabilities[i]) for i in order]
        contested_p: float | None = None
        ruled_out = 0
        if lead:
            # where the user is decides between near twins: the twin that agrees takes the lead, and the score
            # when it scores close to the first (faq.whereabouts.TWIN_SCORE_TAKEOVER)
            (first, p_first), (twin, p_twin) = scored[0], scored[lead]
            if contested:
                # side by side at the head, both at the first's probability (to be offered, never answered), and
                # the rest in their order: no unrelated runner-up between the two
                rest = [s for k, s in enumerate(scored) if k not in (0, lead)]
                scored[:] = [(twin, p_first), (first, p_first), *rest]
                order[:] = [order[lead], order[0], *(o for k, o in enumerate(order) if k not in (0, lead))]
                contested_p = p_twin
            else:
                if top[lead] >= TWIN_SCORE_TAKEOVER * top[0]:
                    scored[0], scored[lead] = (twin, p_first), (first, p_twin)
                else:
                    scored[0], scored[lead] = (twin, p_twin), (first, p_first)
                order[0], order[lead] = order[lead], order[0]
        else:
            # the first agrees with where the user is (the money's way, the nationality) and its near twin below it
            # applies only on the other side: the message rules the twin out, so the pair's probability is the
            # first's (as a twin that takes the lead takes the first's); the twin stays where it is among the choices
            ruled_out = (
                twin_ruled_out(query.whereabouts, sides, concepts, topic)
                or twin_ruled_out(query.flow, [e.flow for e in entries], concepts, topic)
                or twin_ruled_out(query.nationality, [e.nationality for e in entries], concepts, topic)
            )
            if ruled_out:
                scored[0] = (scored[0][0], min(TWIN_FOLD_CAP, scored[0][1] + scored[ruled_out][1]))
        return scored, [rows[i] for i in order], contested_p, ruled_out

    def _twin_scores(
        self, query: Analysis, reach: Sequence[int], probabilities: Sequence[float], order: Sequence[int]
    ) -> list[float]:
        """The probabilities near twins are compared on (faq.whereabouts.twin_to_lead) for the best candidates
        `reach`: their own, except for an English message when one of them has an English phrasing beside its
        Chinese ones. Then every one of them is scored on its Chinese wording alone (KbIndex.in_chinese): the
        twin with an English 相似问 leads an English message by the language it is written in, not by what it
        asks, and where the user is would never get to decide."""
        own = [probabilities[i] for i in order[: len(reach)]]
        if self._semantic is not None or not mostly_latin(query.normalized):
            return own
        chinese = {p: self._index.in_chinese[p] for p in reach if p in self._index.in_chinese}
        if not chinese:
            return own
        rows = candidate_features(query, reach, self._index, items=chinese)
        return [self._calibration.probability(row) for row in rows]

    def decide(self, text: str) -> Decision:
        """Answer, suggest or hand over; repeated messages come from a bounded LRU cache."""
        if not isinstance(text, str):
            return _handover()
        if len(text) > MAX_CACHED_CHARS:
            return self._decide(text)
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        decision = self._decide(text)
        with self._cache_lock:
            self._cache[text] = decision
            if len(self._cache) > DECISION_CACHE_SIZE:
                self._cache.popitem(last=False)
        return decision

    def _confident(
        self,
        query: Analysis,
        scored: Sequence[tuple[int, float]],
        rows: Sequence[Sequence[float]],
        why: Explanation | None,
        ruled_out: int = 0,
    ) -> tuple[bool, float | None]:
        """Whether the best candidate is safe to answer (the fitted gate when there is one), and the gate's
        probability (None without a gate), which also decides whether choices are worth offering. The runner-up
        the gate weighs the first against is the best other candidate but a twin the message rules out (_scored)."""
        cal = self._calibration
        p1 = scored[0][1]
        p2 = max((p for k, (_, p) in enumerate(scored) if k and k != ruled_out), default=0.0)
        if not cal.has_gate:
            if why is not None:
                why.reason = (
                    f"p {p1:.3f} (needs {cal.answer_threshold:.2f}), lead {p1 - p2:.3f} (needs {cal.answer_margin:.2f})"
                )
            return p1 >= cal.answer_threshold and p1 - p2 >= cal.answer_margin, None
        gate = cal.gate_probability(cal.gate_row(p1, p2, rows[0], query_features(query, self._index)))
        story = query.focus is not None
        threshold = cal.threshold_for(story)
        if why is not None:
            why.gate_probability, why.gate_threshold = gate, threshold
            relation = ">=" if gate >= threshold else "<"
            kind = " (a story's)" if story and cal.story_gate_threshold is not None else ""
            why.reason = f"gate {gate:.3f} {relation} threshold{kind} {threshold:.3f}"
        return gate >= threshold, gate

    def explain(self, text: str) -> Explanation:
        """What `decide` saw and why it chose (never cached: always the matcher's own work)."""
        why = Explanation(text, calibration=self._calibration.note, mode=self.mode)
        why.decision = self._decide(text, why)
        return why

    def _trace(
        self, why: Explanation, query: Analysis, scored: Sequence[tuple[int, float]], rows: Sequence[Sequence[float]]
    ) -> None:
        names = self._calibration.feature_names
        why.units = query.units
        why.query_features = dict(zip(QUERY_FEATURE_NAMES, query_features(query, self._index), strict=True))
        for (position, probability), row in zip(scored, rows, strict=True):
            entry = self._index.entries[position].entry
            why.candidates.append(Candidate(entry.id, entry.question, probability, dict(zip(names, row, strict=True))))
        if query.focus is not None:
            why.clauses = query.focus.clauses
        question = self._index.analyzer.question(query) if self._semantic is None else None
        if question is not None and scored:
            first = question_alone_first(self._index, question, [p for p, _ in scored], self._calibration)
            why.question_alone = self._index.entries[first].entry.id if first is not None else None

    def _decide(self, text: str, why: Explanation | None = None) -> Decision:
        def because(reason: str) -> None:
            if why is not None:
                why.reason = reason if not why.reason else f"{why.reason}; {reason}"

        if not text.strip() or _looks_binary(text[:2000]):
            because("empty or garbled: a person must look")
            return _handover()
        smalltalk = classify_smalltalk(text[:200]) if len(text) <= 200 else None
        if smalltalk is not None:
            because(f"small talk ({smalltalk}): greet back, no ticket")
            return _handover(smalltalk)
        answerable = len(text) <= MAX_ANSWERABLE_CHARS
        refused = self._out_of_scope.find(text[:MAX_ANALYSED_CHARS], self._served) if answerable else None
        if refused is not None and refused.rest is not None and self._names_a_topic(refused.rest):
            # "今天汇率多少？每年额度是多少？": the other question is the KB's, and its answer the message's
            alone = Explanation(refused.rest, calibration=why.calibration, mode=why.mode) if why is not None else None
            other = self._decide(refused.rest, alone)
            if other.decision == "answer":
                if why is not None and alone is not None:  # what explains the answer is the rest's reading
                    why.units, why.query_features, why.candidates = alone.units, alone.query_features, alone.candidates
                    why.gate_probability, why.gate_threshold = alone.gate_probability, alone.gate_threshold
                    why.reason = f"the rest {refused.rest!r} alone: {alone.reason}"
                because(f"asks for {refused.intent}, which the hotline does not serve, and a KB question: answer that")
                return other
        intent = refused.intent if refused is not None else None
        query = self._analyze(text)
        scored, rows, contested_p, ruled_out = self._scored(text, query)
        contested = contested_p is not None
        if why is not None:
            self._trace(why, query, scored, rows)
        if not scored:
            because("no entry shares anything with the message")
            return _handover(out_of_scope=intent)
        cal = self._calibration
        p1 = scored[0][1]
        ids = [self._index.entries[p].entry.id for p, _ in scored]
        distinct = set(query.units)
        generic = len(distinct) == 0 or (len(distinct) == 1 and not self._index.is_specific(next(iter(distinct))))
        too_long = not answerable
        undecided = not generic and not too_long and self._undecided(query, scored)
        foreign = self._counterparts.asked(query.normalized, query.acts_abroad)
        near_miss = (
            not generic and not too_long and not undecided and self._counterparts.conflicts(foreign, scored[0][0])
        )
        # "我在马来西亚买房…": the act happens abroad, and the best entry's own wording sets it in China
        elsewhere = (
            not generic
            and not too_long
            and not undecided
            and not near_miss
            and query.acts_abroad
            and set_in_china(self._index.entries[scored[0][0]].whereabouts)
        )
        # "出国前护照过期了怎么办": a document renewed or expiring before leaving China is the one held there, kept up
        # there (as before a trip to a named country, faq.counterpart), and the best entry's wording sets it abroad
        before_leaving = (
            not generic
            and not too_long
            and not undecided
            and not near_miss
            and not elsewhere
            and query.leaving_ahead
            and self._counterparts.kept_up(query.normalized)
            and set_abroad(self._index.entries[scored[0][0]].whereabouts)
        )
        settled = (
            generic
            or too_long
            or undecided
            or near_miss
            or elsewhere
            or before_leaving
            or contested
            or intent is not None
        )
        best_units = self._index.entries[scored[0][0]].units
        beside = not settled and beside_the_kb(query.units, best_units, self._index.vocabulary)
        gate: float | None = None  # consulted only when no rule above has settled that it cannot answer
        if generic:
            because("one broad word: the user has to say which topic")
        elif too_long:
            because(f"longer than {MAX_ANSWERABLE_CHARS} characters: never answered, only matched for suggestions")
        elif undecided:
            because("the two best entries both contain every word of this short message: ask which")
        elif near_miss:
            # "我的美国护照到期了" is not the (Chinese) passport entry's question: offer it, never answer it
            if foreign is not None and foreign.endswith(CHINAS_OWN):
                # "中国驾照过期了怎么换新" is not the entry about converting a foreign licence
                because(f"asks about {foreign}; the best entry speaks of it only as another country's: offer it")
            elif foreign is not None and foreign.endswith(CHINAS_KINDS):
                because(f"asks about {foreign}, which the best entry's own wording does not cover: offer it")
            else:
                because(f"asks about another country's {foreign}, which the best entry never speaks of: offer it")
        elif elsewhere:
            _, gate = self._confident(query, scored, rows, why, ruled_out)  # the gate still decides what to offer
            because("asks about an act in a named foreign country; the best entry is set in China: offer it")
        elif before_leaving:
            _, gate = self._confident(query, scored, rows, why, ruled_out)  # the gate still decides what to offer
            because("keeps up a document before leaving China; the best entry is set abroad: offer it")
        elif contested:
            _, gate = self._confident(query, scored, rows, why, ruled_out)  # the gate still decides what to offer
            because(
                f"says surely where the user is; the best entry applies on the other side, its near twin here (p"
                f" {contested_p:.3f} of its own): offer both, the twin first"
            )
        elif intent is not None:
            _, gate = self._confident(query, scored, rows, why, ruled_out)  # the gate still decides what to offer
            because(f"asks for {intent}, which the hotline does not serve (config/out_of_scope_intents.yaml)")
        elif beside:
            _, gate = self._confident(query, scored, rows, why, ruled_out)  # the gate still decides what to offer
            because("one word shared with the best entry, several the KB never uses: a topic beside it, offer it")
        else:
            confident, gate = self._confident(query, scored, rows, why, ruled_out)
            if confident:
                because("answer the best candidate")
                return Decision("answer", ids[0], (), round(p1, 4))
        lexical_suggests = worth_offering(p1, gate, generic, cal)
        if intent is not None:
            # beside "we do not do this", only entries of a message the gate finds KB-like are worth a look: the
            # exchange-rate question gets the forex entry, "附近有没有中国超市" no demolition entry
            lexical_suggests = lexical_suggests and gate is not None and gate >= OFFER_GATE
        floor = choice_floor(gate, cal)
        picks = [ids[0], *(i for i, (_, p) in zip(ids[1:], scored[1:], strict=True) if p >= floor)]
        if self._ranker is not None:
            fused = self._ranker.ranked(text[:MAX_ANALYSED_CHARS], query, [p for p, _ in scored])
            lexical_picks = [self._index.by_id[i] for i in picks] if lexical_suggests else []
            positions = merged_suggestions(fused, lexical_picks, self._ranker.calibration, MAX_SUGGESTIONS)
            if positions:
                because(f"suggest: the encoder's and the lexical model's best ({self._ranker.name})")
                return Decision(
                    "suggest",
                    None,
                    tuple(self._index.entries[p].entry.id for p in positions),
                    round(p1, 4),
                    out_of_scope=intent,
                )
        elif lexical_suggests:
            because(f"suggest ({offer_reason(p1, gate, cal)}; others above p {floor:.3f})")
            return Decision("suggest", None, tuple(picks[:MAX_SUGGESTIONS]), round(p1, 4), out_of_scope=intent)
        because(f"hand over ({offer_reason(p1, gate, cal)}: nothing worth offering)")
        related = tuple(i for i, (_, p) in zip(ids, scored, strict=True) if p >= RELATED_FLOOR)
        return Decision("handover", None, related[:MAX_SUGGESTIONS], round(p1, 4), out_of_scope=intent)

    def _names_a_topic(self, text: str) -> bool:
        """Whether text names a topic concept of its own, not only who or where the user is or a bare how: the
        rest of a message beside a request the hotline does not serve ("比特币还能买吗，会不会崩") must, to be
        answered alone."""
        concepts = self._analyze(text).concepts
        return bool(concepts - not_topics())

    def _undecided(self, query: Analysis, scored: Sequence[tuple[int, float]]) -> bool:
        """A short message whose every word the two best entries both contain ("国外护照")
        cannot tell them apart, however the scores fall: the user has to say which."""
        distinct = query.unit_set
        if len(scored) < 2 or len(distinct) > SHORT_MESSAGE_UNITS:
            return False
        return all(_says_all(distinct, self._index.entries[p]) for p, _ in scored[:2])

    def reads_as_story(self, text: str) -> bool:
        """Whether the message is read as a story around its question (faq.focus), which the gate answers at a
        threshold of its own (faq.calibration.Calibration.threshold_for)."""
        return self._analyze(text).focus is not None

    def candidate_rows(self, text: str) -> tuple[list[str], list[list[float]], list[float]]:
        """(entry ids, their feature rows, the query's own features) as `decide` sees them, for fitting.

        Messages that `decide` settles before matching (empty, garbled, small talk) get no
        candidates, so they teach a fitted model nothing about matching."""
        query = self._analyze(text)
        settled = not text.strip() or _looks_binary(text[:2000]) or classify_smalltalk(text[:200]) is not None
        positions, rows = self._candidates(text, query) if not settled else ([], [])
        ids = [self._index.entries[p].entry.id for p in positions]
        return ids, rows, query_features(query, self._index)


def _gloss_bridge(index: KbIndex, cache_dir: Path | None) -> GlossBridge:
    """The KB's English bridge over its entries' Chinese words and concepts (faq.english_gloss), cached in
    `cache_dir`."""
    english = index.analyzer.lexicon.english
    units = kb_chinese_units(item.units for item in index.entries)
    concepts: dict[str, int] = {}
    broad = not_topics()  # who and where the user is, how and where to ask: no English word names one alone
    for item in index.entries:
        for concept in item.concepts - broad:
            concepts[concept] = concepts.get(concept, 0) + 1
    forms = concept_forms(index.analyzer.lexicon.forms, concepts)
    units.update((c, n) for c, n in concepts.items() if c in forms)
    return cached_bridge(units, english.lemmatizer.lemma, english.is_stopword, cache_dir, forms)


_analyzers: dict[tuple[str, ...], Analyzer] = {}
_analyzers_lock = threading.Lock()


def _shared_analyzer(extra_words: tuple[str, ...]) -> Analyzer:
    """jieba initialisation costs ~0.7 s: reuse the analyser for the same vocabulary."""
    with _analyzers_lock:
        analyzer = _analyzers.get(extra_words)
        if analyzer is None:
            analyzer = Analyzer(extra_words=extra_words)
            if len(_analyzers) > 8:
                _analyzers.clear()
            _analyzers[extra_words] = analyzer
        return analyzer


def _says_all(units: frozenset[str], item: IndexedEntry) -> bool:
    """Whether one of the entry's phrasings, or its keywords together, hold every one of the units: words
    scattered over different phrasings ("参加…庭审" in one, "侨联" in another) are not a reading of the
    message, and an entry that merely has them somewhere must not make a short question undecided."""
    if any(units <= p.unit_set for p in item.phrasings):
        return True
    return bool(item.keyword_units) and units <= frozenset().union(*item.keyword_units)
