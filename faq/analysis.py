"""Turn a message (or a KB phrasing) into comparable units.

A *unit* is either a concept from the domain lexicon (written ``#passport``) or a plain
content word.  Concepts are found three ways, in this order:

1. jieba segmentation with every lexicon form loaded as a word (Chinese, English, mixed
   like ``q2签证``), longest English phrase first;
2. tone-less pinyin over the characters left over (faq.pinyin), so voice-to-text homophones such as
   ``户照`` or ``惠乡正`` still reach ``#passport`` / ``#hk_permit``;
3. everything else stays a plain word (stop words dropped).

The words around a concept then say more about the message: who the user is (faq.status_cues: a Chinese
passport as a status, a naturalisation that did not happen), what a named country stands for
(faq.country_roles: where someone is, a trip's destination, or a foreign system), where the user is while
asking (faq.whereabouts), and which clauses of a story carry the question (faq.focus).

The analyser holds a private jieba tokenizer: the global one would be shared with other
code and jieba prints to stderr on initialisation.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

import jieba

from faq.action_place import acts_abroad
from faq.country_roles import GENERIC_ABROAD, about_china, is_destination, is_foreign_system, names_a_country
from faq.english import EnglishForms
from faq.flow import flow_source
from faq.focus import (
    MAX_CLAUSES,
    Focus,
    QuestionCues,
    clause_weights,
    english_asks,
    english_with_referents,
    later_question_weights,
    merge_weights,
    mostly_latin,
    split_clauses,
    split_sentences,
    with_topic_clauses,
)
from faq.normalize import is_cjk_char, normalize_term, normalize_text, strip_fillers, text_ngrams
from faq.pinyin import MAX_PINYIN_TERM, pinyin_of, sound_heads, terms_by_sound
from faq.status_cues import (
    CHINESE_CITIZEN,
    FOREIGN_NATIONAL,
    NATIONALITY_WORDS,
    asks_about_status_passport,
    holds_chinese_passport,
    holds_foreign_passport,
    is_descent,
    nationality_of,
    naturalises,
    status_passport,
    unless_negated,
)
from faq.time_clause import LATER, kind_at, time_clauses, token_offsets
from faq.vocabulary import vocabulary
from faq.whereabouts import ASKED, TOKENIZER_WORDS, whereabouts_reading

CONCEPT_PREFIX = "#"
EXIT = CONCEPT_PREFIX + "exit"  # leaving China (出国, 出境)
# Aspect particles a lexicon verb form may end in (走了, 撞了), and how common (jieba's dictionary count) a
# one-character word + that verb must be to be the word the user said instead (带走, count 830).
_PARTICLES = frozenset("了")
_COMMON_WORD_FREQ = 100
# Chunks whose jieba cut an analyser remembers (Analyzer._cut).
_CUT_CACHE_SIZE = 8192
# A move character that jieba glues to the place after it ("回老家"): faq.whereabouts reads them apart.
_MOVE_CHARS = frozenset("回返到去飞")
_SIDE_CONCEPTS = frozenset({"#domestic", "#abroad"})
_ASCII_TOKEN = re.compile(r"^[a-z0-9]+$")
# 认证 beside a pension is its yearly certification (生存认证); only these make it a notary's after all.
_PENSION_CONCEPTS = frozenset({"#pension", "#social_insurance"})
_NOTARY_WORDS = frozenset(
    {"公证", "公证书", "公证处", "领事认证", "海牙", "附加证明书", "双认证", "apostille", "notarize", "notary"}
)


@dataclass(frozen=True)
class Analysis:
    """What the matcher knows about one piece of text."""

    normalized: str  # normalised, fillers removed
    units: tuple[str, ...]  # concepts ('#x') and content words, in order
    pinyin: str  # space-joined syllables of the content characters
    pinyin_bigrams: frozenset[str]
    # A named foreign country used as an attribute ("美国商标", "US green card") rather than
    # as where the user lives ("在美国…"): typically a question about that country's system.
    foreign_attribute: bool = False
    # A specific foreign country or city is named, in whatever role ("在美国…", "美国商标").
    named_foreign: bool = False
    # ... as the destination of a trip ("去泰国", "to Japan").
    foreign_destination: bool = False
    # Leaving China is still ahead, in a before-clause (faq.time_clause LATER: "出国前", "去美国之前"): the user is
    # in China, and what is asked is done there, before the trip.
    leaving_ahead: bool = False
    # How much each unit and character n-gram counts in the message-side shares when the message tells a
    # story around its question (faq.focus); None: everything counts fully.
    focus: Focus | None = None
    # Where the user is while asking (faq.whereabouts): "china", "abroad" or None (not said).
    whereabouts: str | None = None
    # ... said surely: in the present, as a completed move, or in the clause that asks (faq.whereabouts ASKED, NOW).
    whereabouts_sure: bool = False
    # Where the money or estate spoken of comes from (faq.flow): "china", "abroad" or None.
    flow: str | None = None
    # The act asked about happens in a named foreign country (faq.action_place: "在马来西亚买房").
    acts_abroad: bool = False
    # The nationality the text states last (faq.status_cues.nationality_of): "chinese", "foreign" or None.
    nationality: str | None = None

    @property
    def concepts(self) -> frozenset[str]:
        return frozenset(u for u in self.units if u.startswith(CONCEPT_PREFIX))

    @property
    def unit_set(self) -> frozenset[str]:
        return frozenset(self.units)


class Lexicon:
    """Surface form → concepts, plus a pinyin index of the Chinese forms, and the words that carry no topic."""

    def __init__(
        self,
        concepts: Mapping[str, Iterable[str]],
        stopwords: frozenset[str] = frozenset(),
        english_irregular: Mapping[str, str] | None = None,
        english_split_forms: Mapping[str, Iterable[tuple[str, str]]] | None = None,
    ) -> None:
        self.stopwords = stopwords
        self.forms: dict[str, frozenset[str]] = {}
        grouped: dict[str, set[str]] = {}
        for concept, forms in concepts.items():
            for form in forms:
                key = normalize_term(form)
                if key:
                    grouped.setdefault(key, set()).add(CONCEPT_PREFIX + concept)
        # "美国籍", "加拿大籍": a named country's nationality is a foreign national (jieba would cut
        # 美国籍 into 美 + 国籍, and keeps 加拿大籍 whole as a word the lexicon does not know).
        for form in concepts.get("abroad", ()):
            key = normalize_term(form)
            if key and key not in GENERIC_ABROAD and all(is_cjk_char(c) for c in key) and key + "籍" not in grouped:
                grouped[key + "籍"] = {CONCEPT_PREFIX + "abroad", FOREIGN_NATIONAL}
        self.forms = {k: frozenset(v) for k, v in grouped.items()}
        self.by_pinyin: dict[tuple[str, ...], frozenset[str]] = {}
        pinyin_grouped: dict[tuple[str, ...], set[str]] = {}
        for form, found in self.forms.items():
            if all(is_cjk_char(c) for c in form) and 2 <= len(form) <= MAX_PINYIN_TERM:
                pinyin_grouped.setdefault(pinyin_of(form), set()).update(found)
        self.by_pinyin = {k: frozenset(v) for k, v in pinyin_grouped.items()}
        self.sound_heads = sound_heads(self.by_pinyin)
        split = {CONCEPT_PREFIX + c: tuple(pairs) for c, pairs in (english_split_forms or {}).items()}
        self.english = EnglishForms(self.forms, stopwords, english_irregular, split)

    def jieba_words(self) -> list[str]:
        """Forms jieba should keep whole (no spaces: jieba cuts on them anyway)."""
        return [f for f in self.forms if " " not in f and len(f) >= 2]


class Analyzer:
    """Thread-safe after construction: the tokenizer is initialised eagerly under a lock."""

    _init_lock = threading.Lock()

    def __init__(self, lexicon: Lexicon | None = None, extra_words: Iterable[str] = ()) -> None:
        self.lexicon = lexicon or default_lexicon()
        with self._init_lock:
            jieba.setLogLevel(logging.WARNING)
            self._tokenizer = jieba.Tokenizer()
            self._tokenizer.initialize()
            for word in self.lexicon.jieba_words():
                self._tokenizer.add_word(word, freq=200000)
            for word in extra_words:
                if len(word) >= 2 and " " not in word:
                    self._tokenizer.add_word(word, freq=50000)
            for word in TOKENIZER_WORDS:
                self._tokenizer.add_word(word, freq=200000)
        shipped = vocabulary()
        self._question_cues = QuestionCues(shipped.question_cues)
        # who and where the user is decides between near twins wherever the story says it
        self._situation = frozenset(CONCEPT_PREFIX + c for c in shipped.situation_concepts)
        self._generic = self._situation | {CONCEPT_PREFIX + c for c in shipped.generic_concepts}
        # jieba's cut of a chunk depends on the chunk alone (the dictionary is complete by now): a story's clauses
        # are the whole message's chunks cut again, and menu words arrive thousands of times
        self._cut = lru_cache(maxsize=_CUT_CACHE_SIZE)(self._cut_chunk)

    def _cut_chunk(self, chunk: str) -> tuple[str, ...]:
        return tuple(self._tokenizer.lcut(chunk, HMM=False))

    def _asking_clauses(self, places: Sequence[tuple[str, frozenset[str], int]]) -> frozenset[int]:
        """The numbers of the Chinese clauses that ask (the vocabulary's question cues), for faq.whereabouts: a
        place named in the clause that asks ("在这边能换吗", "请问在国内挂失要去哪里") is where the question is asked
        from. English words run on as one clause whatever the punctuation, so they are left out."""
        texts: dict[int, list[str]] = {}
        for token, _, clause in places:
            texts.setdefault(clause, []).append(token)
        return frozenset(
            clause
            for clause, words in texts.items()
            if any(is_cjk_char(c) for w in words for c in w) and self._question_cues.asks("".join(words))
        )

    def topic_concepts(self, analysis: Analysis) -> frozenset[str]:
        """The message's concepts that name what it is about: not who or where the user is.

        When the message says surely where the user is now (`whereabouts_sure`: "人在Paris", "这次回厦门", "现在
        搬回文成了", a place in the asking clause), that reading decides between near twins, and the topic a twin
        must share is only what the question itself names: not a bare how, where or what it takes (the vocabulary's
        ``generic_concepts``: 申请, 多久 …) and, in a story, only the concepts of the clauses that carry the question
        (faq.focus): "我在意大利住的时候都是用领事APP做养老金认证，今年起我回文成常住了，现在该怎么认证" asks about the
        pension's certification, not the consulate's app the past clause used."""
        if not analysis.whereabouts_sure:
            return frozenset(analysis.concepts - self._situation)
        focus = analysis.focus
        return frozenset(c for c in analysis.concepts - self._generic if focus is None or focus.unit(c) >= 1.0)

    def _move_then_place(self, piece: str) -> bool:
        """Whether jieba's word is a move and a place the lexicon knows ("回老家", "回家乡"): a word the lexicon does
        not read whole, one move character before a form that names a side (#domestic, #abroad)."""
        if len(piece) < 3 or piece[0] not in _MOVE_CHARS or piece in self.lexicon.forms:
            return False
        return bool(_SIDE_CONCEPTS & self.lexicon.forms.get(piece[1:], frozenset()))

    def _takes_the_verb(self, out: list[str], piece: str) -> bool:
        """Whether jieba cut a lexicon "verb + 了" (走了, 撞了) off a one-character word that, with the verb,
        makes a common word of its own ("带走了", "开走了"): the lexicon form wins jieba's cut only because it is
        weighted high, and the user said the longer verb. Not after a stop word (被撞了, 把护照丢了)."""
        if len(piece) != 2 or piece[1] not in _PARTICLES or piece not in self.lexicon.forms or not out:
            return False
        previous = out[-1]
        if len(previous) != 1 or not is_cjk_char(previous) or previous in self.lexicon.stopwords:
            return False
        return self._tokenizer.FREQ.get(previous + piece[0], 0) >= _COMMON_WORD_FREQ

    def _tokens(self, text: str, clauses: list[int] | None = None) -> list[str]:
        """Pure ASCII words stay whole (jieba would cut "driver" into "drive" + "r");
        chunks with Chinese, including mixed ones like "q2签证", go through jieba. `clauses` receives each
        token's clause number: punctuation is gone by now, so a run of English words is one clause and
        every chunk with Chinese another."""
        out: list[str] = []
        clause = -1
        previous_ascii = False
        for chunk in text.split():
            if _ASCII_TOKEN.match(chunk):
                clause += not previous_ascii
                previous_ascii = True
                out.append(chunk)
                if clauses is not None:
                    clauses.extend([clause] * (len(out) - len(clauses)))
                continue
            clause += 1
            previous_ascii = False
            # Within a mixed chunk ("一份power"), jieba would still cut a Latin word on lexicon words
            # inside it (p|owe|r): pieces of one Latin run are joined back.
            previous_latin = False
            for piece in self._cut(chunk):
                if not piece.strip():
                    previous_latin = False
                    continue
                latin = _ASCII_TOKEN.match(piece) is not None
                if latin and previous_latin:
                    out[-1] += piece
                elif self._takes_the_verb(out, piece):
                    # "带|走了" (the lexicon's 走了, died) is "带走|了", taken away
                    out[-1] += piece[0]
                    out.append(piece[1:])
                elif self._move_then_place(piece):
                    # "回老家" is one word of jieba's: the move and the place are read apart (faq.whereabouts)
                    out.extend((piece[0], piece[1:]))
                else:
                    out.append(piece)
                previous_latin = latin
            if clauses is not None:
                clauses.extend([clause] * (len(out) - len(clauses)))
        return out

    def analyze(self, text: str, *, normalized: bool = False, focus: bool = False) -> Analysis:
        """Analyse text; pass normalized=True when it already went through normalize_text. With `focus`
        (a user's message, not a KB phrasing) a story's narrating clauses are weighed down (faq.focus)."""
        whole = self._analyze(text if normalized else normalize_text(text))
        if not focus or normalized:
            return whole
        english = mostly_latin(whole.normalized)
        clauses = split_sentences(text) if english else split_clauses(text)
        if not 2 <= len(clauses) <= MAX_CLAUSES:
            return whole
        texts = [normalize_text(clause) for clause, _ in clauses]
        marks = [mark for _, mark in clauses]
        asks = english_asks if english else self._question_cues.asks
        asking = [mark or asks(t) for t, mark in zip(texts, marks, strict=True)]
        if english:
            asking = english_with_referents(asking, texts)
        if clause_weights(asking) is None and True not in marks[:-1]:
            return whole
        analysed = [self._analyze(t, situation=False) for t in texts]
        topics = [sum(1 for u in a.unit_set if u not in self._generic) for a in analysed]
        expanded = with_topic_clauses(asking, topics)
        weights = clause_weights(expanded) or [1.0] * len(texts)
        if not english:
            weights = later_question_weights(weights, expanded, marks, topics)
        if all(w == 1.0 for w in weights):
            return whole
        units = merge_weights([(a.units, w) for a, w in zip(analysed, weights, strict=True)], self._situation)
        grams = merge_weights([(text_ngrams(a.normalized), w) for a, w in zip(analysed, weights, strict=True)])
        sounds = merge_weights([(a.pinyin_bigrams, w) for a, w in zip(analysed, weights, strict=True)])
        read = tuple(zip(texts, weights, strict=True))
        return replace(whole, focus=Focus(units=units, ngrams=grams, clauses=read, bigrams=sounds))

    def question(self, analysis: Analysis) -> Analysis | None:
        """The question inside a story read on its own: the clauses that weigh fully, as one message, with
        the story's situation concepts (who and where the user is still decides between near twins) and the
        whole message's whereabouts and foreign-country readings. None when nothing was read as story.

        Not what `decide` scores (the story names the topic as often as the question does: read alone, the
        question ranks the right entry first less often), but a second reading to compare with: when the
        question alone points to another entry than the whole message, the two disagree about what is asked
        (FaqMatcher.explain shows it)."""
        text = analysis.focus.question_text() if analysis.focus is not None else None
        if text is None:
            return None
        core = self._analyze(text)
        have = set(core.units)
        situation = [u for u in analysis.units if u in self._situation and u not in have]
        return replace(
            core,
            units=(*dict.fromkeys(situation), *core.units),
            foreign_attribute=analysis.foreign_attribute,
            named_foreign=analysis.named_foreign,
            foreign_destination=analysis.foreign_destination,
            whereabouts=analysis.whereabouts,
            whereabouts_sure=analysis.whereabouts_sure,
            nationality=analysis.nationality,
        )

    def _analyze(self, base: str, situation: bool = True) -> Analysis:
        """The reading of normalised text. Without `situation` (a story's clause, of which `analyze` reads only
        the units, n-grams and sounds) where the user is, the money's way, the act's place, the nationality and
        the foreign-country flags are left unread: the Analysis has their defaults."""
        clean = status_passport(strip_fillers(base))
        clause_of: list[int] = []
        tokens = self._tokens(clean, clause_of)
        places: list[tuple[str, frozenset[str], int]] = []  # every token with its concepts (faq.whereabouts)
        # each token's time clause (faq.time_clause): an act dated after the asked one is still ahead
        spans = time_clauses().spans(clean) if situation else ()
        offsets = token_offsets(clean, tokens) if spans else []
        timing: list[str | None] = []  # per entry of `places`

        def timed(i: int) -> str | None:
            return kind_at(spans, offsets[i]) if spans and offsets[i] >= 0 else None

        units: list[str] = []
        content_chars: list[str] = []
        pending: list[str] = []  # unmatched Chinese tokens, for the pinyin pass

        def flush() -> None:
            if pending:
                lexicon = self.lexicon
                units.extend(
                    terms_by_sound(pending, content_chars, lexicon.by_pinyin, lexicon.stopwords, lexicon.sound_heads)
                )
                pending.clear()

        i = 0
        foreign_attribute = False
        named_foreign = False
        foreign_destination = False
        leaving_ahead = False
        forms = self.lexicon.forms
        english = self.lexicon.english
        lemma = english.lemmatizer.lemma
        is_stopword = english.is_stopword
        stopwords = self.lexicon.stopwords
        particles: set[int] = set()  # the particles of split phrasal verbs read at their verb ("get … back")
        while i < len(tokens):
            token = tokens[i]
            matched: frozenset[str] | None = None
            width = 1
            if i in particles:
                # read with its verb: not a word of its own ("back" is no return in "get my hukou back")
                flush()
                places.append((token, frozenset(), clause_of[i]))
                timing.append(timed(i))
                i += 1
                continue
            split = english.split_at(tokens, i) if _ASCII_TOKEN.match(token) else None
            if split is not None:
                matched, particle = split
                particles.add(particle)
            elif _ASCII_TOKEN.match(token):
                matched, width = english.phrase_at(tokens, i)
            else:
                matched = forms.get(token)
                if matched:
                    matched = unless_negated(matched, tokens, i)  # "没入荷兰籍": still a Chinese national
                    if not matched:
                        # "还没过期": a state that is not the case is no word of the message's (nor left for the
                        # pinyin pass, which would find the concept again by sound)
                        flush()
                        places.append((token, frozenset(), clause_of[i]))
                        timing.append(timed(i))
                        i += 1
                        continue
                    if FOREIGN_NATIONAL in matched and timed(i) == LATER and naturalises(tokens, i):
                        # "入籍前要注销户口吗": a naturalisation still ahead; the user is a Chinese national now
                        matched = frozenset(matched - {FOREIGN_NATIONAL} | {CHINESE_CITIZEN})
                    if matched and is_descent(tokens, i, matched, units):
                        # "日籍华人": after a foreign nationality, 华人 is descent, not citizenship; the foreign
                        # national read already says it all, as "外籍华人" read whole does (not left for the pinyin
                        # pass either, which would find the concept again by sound)
                        flush()
                        places.append((token, frozenset(), clause_of[i]))
                        timing.append(timed(i))
                        i += 1
                        continue
            if matched:
                # "I hold a Singapore passport", "我拿的是美国护照": who the user is, not a foreign system asked about
                holds_foreign = "#abroad" in matched and holds_foreign_passport(tokens, i, width)
                if names_a_country(token, matched):
                    named_foreign = True
                    foreign_destination |= is_destination(tokens, i)
                    foreign_attribute |= not holds_foreign and is_foreign_system(tokens, i, width, forms, stopwords)
                flush()
                places.append((" ".join(tokens[i : i + width]), matched, clause_of[i]))
                timing.append(timed(i))
                if timed(i) == LATER and EXIT in matched:
                    leaving_ahead = True  # "出国前护照过期了": still in China
                if "#abroad" in matched and timed(i) == LATER and is_destination(tokens, i):
                    leaving_ahead = True
                    # "飞澳洲之前想在国内换护照": a trip still ahead is where the user goes after the asked act, not
                    # where it happens: the place stays a word, not the concept entries set abroad share
                    units.extend(sorted(matched - {"#abroad"}))
                    units.append(token)
                else:
                    units.extend(sorted(matched))
                content_chars.extend(c for t in tokens[i : i + width] for c in t)
                i += width
                if holds_foreign:
                    units.append(FOREIGN_NATIONAL)  # "I hold a Singapore passport"
                elif "#passport" in matched and holds_chinese_passport(tokens, i - width, width):
                    units.append(CHINESE_CITIZEN)  # "I still hold a Chinese passport"
                if "#abroad" in matched and i < len(tokens) and tokens[i] in NATIONALITY_WORDS:
                    # "申请美国国籍前…": a naturalisation still ahead leaves the user a Chinese national
                    ahead = timed(i) == LATER and naturalises(tokens, i - width)
                    units.append(CHINESE_CITIZEN if ahead else FOREIGN_NATIONAL)
                    content_chars.extend(tokens[i])
                    i += 1
                continue
            places.append((token, frozenset(), clause_of[i]))
            timing.append(timed(i))
            if any(is_cjk_char(c) for c in token):
                pending.append(token)
            else:
                flush()
                if not is_stopword(token):
                    units.append(lemma(token) if _ASCII_TOKEN.match(token) else token)
            i += 1
        flush()
        if asks_about_status_passport(units):
            units.append(CONCEPT_PREFIX + "passport")  # "我是中国护照，丢了怎么办"
        # "养老金要做认证", "社保那边说没做认证": the pension's yearly certification, not a notary's
        pension_check = "#notarize" in units and _PENSION_CONCEPTS.intersection(units) and "认证" in tokens
        if pension_check and not any(t in _NOTARY_WORDS for t in tokens):
            units = ["#survival_cert" if u == "#notarize" else u for u in units]
        content_chars = [c for t in tokens if t not in stopwords for c in t]
        syllables = pinyin_of("".join(content_chars))
        bigrams = frozenset(f"{a}_{b}" for a, b in pairwise(syllables))
        if not situation:
            return Analysis(normalized=clean, units=tuple(units), pinyin=" ".join(syllables), pinyin_bigrams=bigrams)
        where, where_sure = whereabouts_reading(places, self._asking_clauses(places), timing)
        return Analysis(
            normalized=clean,
            units=tuple(units),
            pinyin=" ".join(syllables),
            pinyin_bigrams=bigrams,
            foreign_attribute=foreign_attribute and not about_china(units),
            named_foreign=named_foreign,
            foreign_destination=foreign_destination,
            leaving_ahead=leaving_ahead,
            whereabouts=where,
            whereabouts_sure=where_sure >= ASKED,
            flow=flow_source(places),
            acts_abroad=acts_abroad(places, self._generic),
            nationality=nationality_of(units),
        )


_default_lock = threading.Lock()
_default_lexicon: Lexicon | None = None


def default_lexicon() -> Lexicon:
    global _default_lexicon
    with _default_lock:
        if _default_lexicon is None:
            shipped = vocabulary()
            _default_lexicon = Lexicon(
                shipped.concepts, shipped.stopwords, shipped.english_irregular, shipped.english_split_forms
            )
        return _default_lexicon
