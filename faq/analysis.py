"""Turn a message (or a KB phrasing) into comparable units.

A *unit* is either a concept from the domain lexicon (written ``#passport``) or a plain
content word.  Concepts are found three ways, in this order:

1. jieba segmentation with every lexicon form loaded as a word (Chinese, English, mixed
   like ``q2签证``), longest English phrase first;
2. tone-less pinyin over the characters left over, so voice-to-text homophones such as
   ``户照`` or ``惠乡正`` still reach ``#passport`` / ``#hk_permit``;
3. everything else stays a plain word (stop words dropped).

The analyser holds a private jieba tokenizer: the global one would be shared with other
code and jieba prints to stderr on initialisation.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

import jieba
from pypinyin import lazy_pinyin

from faq.english import EnglishForms
from faq.focus import (
    MAX_CLAUSES,
    Focus,
    QuestionCues,
    clause_weights,
    merge_weights,
    mostly_latin,
    split_clauses,
    with_topic_clauses,
)
from faq.normalize import is_cjk_char, normalize_term, normalize_text, strip_fillers, text_ngrams
from faq.vocabulary import vocabulary
from faq.whereabouts import whereabouts

CONCEPT_PREFIX = "#"
_MAX_PHRASE_TOKENS = 4
_MAX_PINYIN_TERM = 8
_ASCII_TOKEN = re.compile(r"^[a-z0-9]+$")
_GENERIC_ABROAD = frozenset({"国外", "海外", "外国", "境外", "在外", "驻外", "国外的", "abroad", "overseas"})
_LOCATION_MARKERS = frozenset(
    {
        "在",
        "于",
        "住在",
        "从",
        "到",
        "去",
        "来自",
        "人在",
        "身在",
        "in",
        "from",
        "at",
        "to",
        "living",
        "live",
        "住",
        "喺",
        "系",
        "去过",
        "移民",
        "移民到",
        "定居",
        "留学",
        "来",
        "来到",
        "回",
        "回到",
        "返回",
        "待在",
        "呆在",
        "留在",
        "搬到",
        "搬去",
    }
)
# A token ending in one of these stands for the marker itself ("签在伦敦", "住喺多伦多").
_LOCATION_SUFFIXES = ("在", "喺", "于")
# Before a named country these make it where the user is going: "去泰国免签吗" asks about
# Thailand's rules, not China's.
_DESTINATION_MARKERS = frozenset({"去", "到", "飞", "飞去", "前往", "去到", "to"})
# A country followed by these names a person's nationality or origin, not a foreign system.
_PERSON_MARKERS = frozenset(
    {"籍", "人", "国籍", "公民", "华人", "华裔", "华侨", "侨胞", "老公", "老婆", "朋友", "男朋友", "女朋友"}
    | {"citizen", "citizens", "citizenship", "national", "nationals", "nationality", "passport", "people", "person"}
    | {"man", "woman", "wife", "husband", "friend", "boyfriend", "girlfriend", "colleague", "partner", "descent"}
)
# A country followed by one of these is a nationality: "美国籍", "Canadian citizen", "加拿大国籍" are a
# foreign national (#foreigner), not a country plus the generic #nationality.
_NATIONALITY_WORDS = frozenset(
    {"籍", "国籍", "公民", "citizen", "citizens", "citizenship", "national", "nationals", "nationality"}
)
# Any of these in the message means it is about China after all ("拿了加拿大护照，中国护照还能用吗").
FOREIGN_NATIONAL = CONCEPT_PREFIX + "foreigner"
_DOMESTIC_CONCEPTS = frozenset({"#domestic", "#chinese_citizen"})

# A sound match may not take in a number: a numeral before a measure word ("一元二次方程", "三个月") counts
# something and is not a misheard word (医院 is "yi yuan" too). A numeral alone may be one: 一保 for 医保.
_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两几")
_MEASURES = frozenset("元块角个次年月天日周岁号点分秒张本件位名口套间层条只家所门科类种份倍")


def _counts_something(chars: str, begin: int, end: int) -> bool:
    """Whether chars[begin:end] takes in a numeral followed by a measure word."""
    return any(chars[j] in _NUMERALS and j + 1 < len(chars) and chars[j + 1] in _MEASURES for j in range(begin, end))


# "一直是中国护照", "持中国护照", "拿的是中国户照" (voice): who the user is, a Chinese national, not what they ask
# about. Read before segmentation, by sound, so a misheard 护照 is read the same way.
# Not when the passport is what the user acts with: "拿中国护照去银行开户".
_STATUS_PASSPORT = re.compile(r"(?:拿的是|用的是|持有|拿着|拿了|是|持|拿|用|凭)中国(..)(?!去|来|到|办|能|可以|行)")
_PASSPORT_SOUND = ("hu", "zao")  # tone-less, folded (zh -> z) as char_pinyin gives it
_CHINESE_NATIONAL = "中国公民"
# 认证 beside a pension is its yearly certification (生存认证); only these make it a notary's after all.
_PENSION_CONCEPTS = frozenset({"#pension", "#social_insurance"})
_NOTARY_WORDS = frozenset(
    {"公证", "公证书", "公证处", "领事认证", "海牙", "附加证明书", "双认证", "apostille", "notarize", "notary"}
)
_PASSPORT_ACTIONS = frozenset({"#lost", "#expire", "#renew", "#reissue", "#visa_page"})


def _status_passport(text: str) -> str:
    """ "是中国护照" -> "是中国公民" wherever the passport is named as the user's status."""

    def swap(match: re.Match[str]) -> str:
        if tuple(char_pinyin(c) for c in match.group(1)) != _PASSPORT_SOUND:
            return match.group(0)
        return match.group(0)[: match.start(1) - match.start(0) - 2] + _CHINESE_NATIONAL

    return _STATUS_PASSPORT.sub(swap, text)


# Before a naturalisation or foreign-national word these say it did not happen ("还没入加拿大籍", "不是外籍").
_NEGATIONS = frozenset(
    {
        "没",
        "没有",
        "没入",
        "一直没",
        "还没",
        "还没有",
        "未",
        "未曾",
        "尚未",
        "不是",
        "并非",
        "从未",
        "从没",
        "从来没",
        "并没有",
        "冇",
        "唔系",
    }
)


def _negated(tokens: list[str], i: int) -> bool:
    """Whether a negation stands within the two words before tokens[i] (入, 加入, 了 may sit between)."""
    before = [t for t in tokens[max(0, i - 3) : i] if t not in ("的", "了")]
    return any(t in _NEGATIONS for t in before[-2:])


# Southern-accent and recogniser confusions: retroflex vs dental, -ng vs -n.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@lru_cache(maxsize=65536)
def char_pinyin(char: str) -> str:
    """Tone-less, accent-folded pinyin of one character ('' for non-Chinese)."""
    if not is_cjk_char(char):
        return ""
    syllable = lazy_pinyin(char)[0]
    for full, short in _FUZZY_INITIALS:
        if syllable.startswith(full):
            syllable = short + syllable[len(full) :]
            break
    for full, short in _FUZZY_FINALS:
        if syllable.endswith(full):
            syllable = syllable[: -len(full)] + short
            break
    return syllable


def pinyin_of(text: str) -> tuple[str, ...]:
    return tuple(p for p in (char_pinyin(c) for c in text) if p)


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
    # How much each unit and character n-gram counts in the message-side shares when the message tells a
    # story around its question (faq.focus); None: everything counts fully.
    focus: Focus | None = None
    # Where the user is while asking (faq.whereabouts): "china", "abroad" or None (not said).
    whereabouts: str | None = None

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
            if key and key not in _GENERIC_ABROAD and all(is_cjk_char(c) for c in key) and key + "籍" not in grouped:
                grouped[key + "籍"] = {CONCEPT_PREFIX + "abroad", FOREIGN_NATIONAL}
        self.forms = {k: frozenset(v) for k, v in grouped.items()}
        self.by_pinyin: dict[tuple[str, ...], frozenset[str]] = {}
        pinyin_grouped: dict[tuple[str, ...], set[str]] = {}
        for form, found in self.forms.items():
            if all(is_cjk_char(c) for c in form) and 2 <= len(form) <= _MAX_PINYIN_TERM:
                pinyin_grouped.setdefault(pinyin_of(form), set()).update(found)
        self.by_pinyin = {k: frozenset(v) for k, v in pinyin_grouped.items()}
        self.english = EnglishForms(self.forms, stopwords, english_irregular)

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
        shipped = vocabulary()
        self._question_cues = QuestionCues(shipped.question_cues)
        # who and where the user is decides between near twins wherever the story says it
        self._situation = frozenset(CONCEPT_PREFIX + c for c in shipped.situation_concepts)
        self._generic = self._situation | {CONCEPT_PREFIX + c for c in shipped.generic_concepts}

    def topic_concepts(self, analysis: Analysis) -> frozenset[str]:
        """The message's concepts that name what it is about: not who or where the user is."""
        return frozenset(analysis.concepts - self._situation)

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
            for piece in self._tokenizer.lcut(chunk, HMM=False):
                if not piece.strip():
                    previous_latin = False
                    continue
                latin = _ASCII_TOKEN.match(piece) is not None
                if latin and previous_latin:
                    out[-1] += piece
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
        clauses = split_clauses(text)
        if not 2 <= len(clauses) <= MAX_CLAUSES or mostly_latin(whole.normalized):
            return whole
        texts = [normalize_text(clause) for clause, _ in clauses]
        asking = [mark or self._question_cues.asks(t) for t, (_, mark) in zip(texts, clauses, strict=True)]
        if clause_weights(asking) is None:
            return whole
        analysed = [self._analyze(t) for t in texts]
        topics = [sum(1 for u in a.unit_set if u not in self._generic) for a in analysed]
        weights = clause_weights(with_topic_clauses(asking, topics))
        if weights is None:
            return whole
        units = merge_weights([(a.units, w) for a, w in zip(analysed, weights, strict=True)], self._situation)
        grams = merge_weights([(text_ngrams(a.normalized), w) for a, w in zip(analysed, weights, strict=True)])
        return replace(whole, focus=Focus(units=units, ngrams=grams))

    def _analyze(self, base: str) -> Analysis:
        clean = _status_passport(strip_fillers(base))
        clause_of: list[int] = []
        tokens = self._tokens(clean, clause_of)
        places: list[tuple[str, frozenset[str], int]] = []  # every token with its concepts (faq.whereabouts)
        units: list[str] = []
        content_chars: list[str] = []
        pending: list[str] = []  # unmatched Chinese tokens, for the pinyin pass

        def flush() -> None:
            if pending:
                units.extend(self._pinyin_pass(pending, content_chars))
                pending.clear()

        i = 0
        foreign_attribute = False
        named_foreign = False
        foreign_destination = False
        forms = self.lexicon.forms
        english = self.lexicon.english
        lemma = english.lemmatizer.lemma
        is_stopword = english.is_stopword
        stopwords = self.lexicon.stopwords
        while i < len(tokens):
            token = tokens[i]
            matched: frozenset[str] | None = None
            width = 1
            if _ASCII_TOKEN.match(token):
                matched, width = english.phrase_at(tokens, i)
            else:
                matched = forms.get(token)
                if matched and "#foreigner" in matched and _negated(tokens, i):
                    # "没入荷兰籍", "还没入籍", "不是外国人": still a Chinese national
                    matched = frozenset(matched - {"#foreigner"} | {"#chinese_citizen"})
            if matched:
                if "#abroad" in matched and token not in _GENERIC_ABROAD:
                    named_foreign = True
                    foreign_destination |= bool(i) and tokens[i - 1] in _DESTINATION_MARKERS
                    previous = tokens[i - 1] if i else ""
                    following = [t for t in tokens[i + width : i + width + 2] if t != "的"]
                    if (
                        not token.endswith("籍")  # 美国籍: a person's nationality, never a system
                        and previous not in _LOCATION_MARKERS
                        # "工签在伦敦": jieba joined 在 to the word before; "西班牙马德里": a city in a country
                        and not previous.endswith(_LOCATION_SUFFIXES)
                        and not (i and "#abroad" in (forms.get(previous) or ()))
                        and following
                        and following[0] not in _PERSON_MARKERS
                        and following[0] not in stopwords
                    ):
                        foreign_attribute = True
                flush()
                places.append((" ".join(tokens[i : i + width]), matched, clause_of[i]))
                units.extend(sorted(matched))
                content_chars.extend(c for t in tokens[i : i + width] for c in t)
                i += width
                if "#abroad" in matched and i < len(tokens) and tokens[i] in _NATIONALITY_WORDS:
                    units.append(FOREIGN_NATIONAL)
                    content_chars.extend(tokens[i])
                    i += 1
                continue
            places.append((token, frozenset(), clause_of[i]))
            if any(is_cjk_char(c) for c in token):
                pending.append(token)
            else:
                flush()
                if not is_stopword(token):
                    units.append(lemma(token) if _ASCII_TOKEN.match(token) else token)
            i += 1
        flush()
        if "#chinese_citizen" in units and "#passport" not in units and _PASSPORT_ACTIONS.intersection(units):
            # "我是中国护照，丢了怎么办": the status is the passport the question is about after all
            units.append("#passport")
        # "养老金要做认证", "社保那边说没做认证": the pension's yearly certification, not a notary's
        pension_check = "#notarize" in units and _PENSION_CONCEPTS.intersection(units) and "认证" in tokens
        if pension_check and not any(t in _NOTARY_WORDS for t in tokens):
            units = ["#survival_cert" if u == "#notarize" else u for u in units]
        content_chars = [c for t in tokens if t not in stopwords for c in t]
        syllables = pinyin_of("".join(content_chars))
        bigrams = frozenset(f"{a}_{b}" for a, b in pairwise(syllables))
        return Analysis(
            normalized=clean,
            units=tuple(units),
            pinyin=" ".join(syllables),
            pinyin_bigrams=bigrams,
            foreign_attribute=foreign_attribute and not _DOMESTIC_CONCEPTS & set(units),
            named_foreign=named_foreign,
            foreign_destination=foreign_destination,
            whereabouts=whereabouts(places),
        )

    def _pinyin_pass(self, tokens: list[str], content_chars: list[str]) -> list[str]:
        """Find lexicon terms by sound among unmatched tokens; keep the rest as words."""
        chars = "".join(tokens)
        syllables = [char_pinyin(c) for c in chars]
        # token boundaries, to refuse a match made only of whole stop words
        starts: dict[int, str] = {}
        pos = 0
        for token in tokens:
            starts[pos] = token
            pos += len(token)
        found: dict[int, tuple[int, frozenset[str]]] = {}
        stopwords = self.lexicon.stopwords
        i = 0
        while i < len(chars):
            hit: tuple[int, frozenset[str]] | None = None
            for n in range(min(_MAX_PINYIN_TERM, len(chars) - i), 1, -1):
                concepts = self.lexicon.by_pinyin.get(tuple(syllables[i : i + n]))
                span = (starts, i, i + n)
                if (
                    concepts
                    and not self._only_stopwords(*span)
                    and not self._cuts_stopword(*span)
                    and not _counts_something(chars, i, i + n)
                ):
                    hit = (n, concepts)
                    break
            if hit:
                found[i] = hit
                i += hit[0]
            else:
                i += 1
        out: list[str] = []
        pos = 0
        for token in tokens:
            end = pos + len(token)
            # emit concepts whose span starts inside this token, else the word itself
            spans = [(s, found[s]) for s in range(pos, end) if s in found]
            if spans:
                for _, (_, concepts) in spans:
                    out.extend(sorted(concepts))
                content_chars.extend(token)
            elif not any(s < pos < s + n for s, (n, _) in found.items()) and token not in stopwords:
                out.append(token)
                content_chars.extend(token)
            pos = end
        return out

    def _cuts_stopword(self, starts: Mapping[int, str], begin: int, end: int) -> bool:
        """A sound match that starts or ends inside a multi-character stop word ("可以|怎样" read as 以怎,
        遗赠) joins the tail of one word to the head of the next: not a word anyone said."""
        stopwords = self.lexicon.stopwords
        for start, token in starts.items():
            if len(token) < 2 or token not in stopwords:
                continue
            stop = start + len(token)
            if start < begin < stop or start < end < stop:
                return True
        return False

    def _only_stopwords(self, starts: Mapping[int, str], begin: int, end: int) -> bool:
        stopwords = self.lexicon.stopwords
        pos = begin
        while pos < end:
            token = starts.get(pos)
            if token is None or token not in stopwords:
                return False
            pos += len(token)
        return pos == end


_default_lock = threading.Lock()
_default_lexicon: Lexicon | None = None


def default_lexicon() -> Lexicon:
    global _default_lexicon
    with _default_lock:
        if _default_lexicon is None:
            shipped = vocabulary()
            _default_lexicon = Lexicon(shipped.concepts, shipped.stopwords, shipped.english_irregular)
        return _default_lexicon
