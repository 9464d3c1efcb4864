"""How Chinese sounds: tone-less, accent-folded pinyin, and the pass that finds lexicon terms by sound.

Voice-to-text and hurried typing give homophones (``户照`` for 护照, ``惠乡正`` for 回乡证); a southern accent
or the recogniser blurs retroflex and dental initials (zh/z) and -ng/-n finals. So a character is read as its
tone-less syllable with those pairs folded, and the characters the segmenter matched to no lexicon form are
searched for runs whose syllables spell a lexicon term (faq.analysis calls this after segmentation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from pypinyin import lazy_pinyin

from faq.normalize import is_cjk_char

# The longest Chinese form (in characters) indexed by sound, and so the longest run a sound match covers.
MAX_PINYIN_TERM = 8

# Southern-accent and recogniser confusions: retroflex vs dental, -ng vs -n.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))

# A sound match may not take in a number: a numeral before a measure word ("一元二次方程", "三个月") counts
# something and is not a misheard word (医院 is "yi yuan" too). A numeral alone may be one: 一保 for 医保.
_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两几")
_MEASURES = frozenset("元块角个次年月天日周岁号点分秒张本件位名口套间层条只家所门科类种份倍")


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


def _counts_something(chars: str, begin: int, end: int) -> bool:
    """Whether chars[begin:end] takes in a numeral followed by a measure word."""
    return any(chars[j] in _NUMERALS and j + 1 < len(chars) and chars[j + 1] in _MEASURES for j in range(begin, end))


def sound_heads(by_pinyin: Iterable[tuple[str, ...]]) -> frozenset[tuple[str, str]]:
    """The first two syllables of every form indexed by sound: where no form's first two start, none does."""
    return frozenset((k[0], k[1]) for k in by_pinyin if len(k) >= 2)


def terms_by_sound(
    tokens: list[str],
    content_chars: list[str],
    by_pinyin: Mapping[tuple[str, ...], frozenset[str]],
    stopwords: frozenset[str],
    heads: frozenset[tuple[str, str]] | None = None,
) -> list[str]:
    """Find lexicon terms by sound among unmatched tokens; keep the rest as words. `by_pinyin` maps a form's
    syllables to its concepts (faq.analysis.Lexicon); the characters of what is kept go to `content_chars`.
    `heads` (sound_heads of `by_pinyin`) lets a position no form starts at be passed over without trying
    every length."""
    chars = "".join(tokens)
    syllables = [char_pinyin(c) for c in chars]
    # token boundaries, to refuse a match made only of whole stop words
    starts: dict[int, str] = {}
    pos = 0
    for token in tokens:
        starts[pos] = token
        pos += len(token)
    found: dict[int, tuple[int, frozenset[str]]] = {}
    i = 0
    while i < len(chars):
        hit: tuple[int, frozenset[str]] | None = None
        if heads is not None and (i + 1 >= len(chars) or (syllables[i], syllables[i + 1]) not in heads):
            i += 1
            continue
        for n in range(min(MAX_PINYIN_TERM, len(chars) - i), 1, -1):
            concepts = by_pinyin.get(tuple(syllables[i : i + n]))
            span = (starts, i, i + n)
            if (
                concepts
                and not _only_stopwords(*span, stopwords)
                and not _cuts_stopword(*span, stopwords)
                and not _counts_something(chars, i, i + n)
                and not _cuts_word(*span)
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


def _cuts_word(starts: Mapping[int, str], begin: int, end: int) -> bool:
    """A sound match that takes only part of a word jieba found whole and runs on into the next ("宣誓|完"
    read as 誓完, 死亡) joins the tail of one word to the head of the next. A match inside one word
    ("健在证明") or over whole words and single characters ("户|照") is kept."""
    for start, token in starts.items():
        stop = start + len(token)
        if len(token) < 2 or stop <= begin or start >= end:
            continue
        if (start < begin < stop or start < end < stop) and not (start <= begin and end <= stop):
            return True
    return False


def _cuts_stopword(starts: Mapping[int, str], begin: int, end: int, stopwords: frozenset[str]) -> bool:
    """A sound match that starts or ends inside a multi-character stop word ("可以|怎样" read as 以怎,
    遗赠) joins the tail of one word to the head of the next: not a word anyone said."""
    for start, token in starts.items():
        if len(token) < 2 or token not in stopwords:
            continue
        stop = start + len(token)
        if start < begin < stop or start < end < stop:
            return True
    return False


def _only_stopwords(starts: Mapping[int, str], begin: int, end: int, stopwords: frozenset[str]) -> bool:
    pos = begin
    while pos < end:
        token = starts.get(pos)
        if token is None or token not in stopwords:
            return False
        pos += len(token)
    return pos == end
