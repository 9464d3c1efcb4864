"""Text normalisation shared by the KB index and incoming messages.

Both sides must go through exactly the same steps, otherwise a full-width "ＰＲ" or a
Traditional "護照" would never meet the KB's "PR" and "护照".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import opencc

from faq.english import fold_accents
from faq.regional import regional_words
from faq.vocabulary import vocabulary

_converter_lock = threading.Lock()
_t2s: opencc.OpenCC | None = None


def _t2s_converter() -> opencc.OpenCC:
    global _t2s
    with _converter_lock:
        if _t2s is None:
            _t2s = opencc.OpenCC("t2s")
        return _t2s


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """Remembered: the matcher normalises a message more than once (small talk, analysis), an OpenCC
    conversion each time."""
    return str(_t2s_converter().convert(text))


_APOSTROPHE_S = re.compile(r"['’](?:s|m|re|ve|ll|d)\b")
# "won't" and "can't" are not "wo" + "not", "ca" + "not".
_IRREGULAR_NEGATION = re.compile(r"\b(?:(won)|(can)|(shan))['’]t\b|\b(cannot)\b")
_NEGATION = re.compile(r"n['’]t\b")
# Left once contractions are spelled out, an apostrophe inside a word separates pinyin syllables ("Xi'an",
# "Hui'an") or is part of a name ("O'Brien"): one word either way, not two.
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")
# Capital "US" is the country; lower case it would be the pronoun ("help us", "with us").
_US = re.compile(r"(?<![A-Za-z])U\.?S\.?(?:A\.?)?(?![A-Za-z])")
_SPACES = re.compile(r"\s+")
# "8,000" is one number, not 8 and 000.
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@lru_cache(maxsize=1)
def _fillers() -> tuple[tuple[str, ...], re.Pattern[str]]:
    """The vocabulary's fillers: Chinese ones (longest first) as substrings, English ones as whole words."""
    fillers = vocabulary().fillers
    # Single characters (嗯, 啊, 额 …) are removed as stop words after segmentation instead:
    # as substrings they would also cut real words such as 额度.
    cjk = tuple(sorted((f for f in fillers if not f.isascii() and len(f) > 1), key=len, reverse=True))
    ascii_words = tuple(f for f in fillers if f.isascii())
    return cjk, re.compile(r"\b(?:" + "|".join(re.escape(f) for f in ascii_words) + r")\b")


def _keep(char: str) -> bool:
    """Letters and digits carry meaning; punctuation, symbols and emoji do not."""
    category = unicodedata.category(char)
    return category[0] in ("L", "N")


_SPOKEN_DIGITS = {
    "零": "0",
    "〇": "0",
    "幺": "1",
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}
# Dictated hotline numbers arrive as "幺二三六七"; four or more spoken digits in a row are a number.
_SPOKEN_NUMBER = re.compile("[" + "".join(_SPOKEN_DIGITS) + "]{4,}")


def _spoken_digits(text: str) -> str:
    return _SPOKEN_NUMBER.sub(lambda m: "".join(_SPOKEN_DIGITS[c] for c in m.group(0)), text)


def _negation(match: re.Match[str]) -> str:
    if match.group(1):
        return "will not"
    if match.group(3):
        return "shall not"
    return "can not"


@lru_cache(maxsize=4096)
def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width), lower case, Latin accents off, contractions spelled out,
    Traditional → Simplified, regional and Cantonese words → mainland ones, punctuation → space.

    Remembered: the matcher normalises a message and each of its clauses twice (small talk and the analysis,
    the out-of-scope intents and the story's clauses); the words it reads are read once per process."""
    text = _US.sub("USA", unicodedata.normalize("NFKC", text)).lower()
    text = _THOUSANDS.sub("", fold_accents(text))
    text = _IRREGULAR_NEGATION.sub(_negation, text)
    text = _INNER_APOSTROPHE.sub("", _NEGATION.sub(" not", _APOSTROPHE_S.sub("", text)))
    text = _spoken_digits(regional_words().to_mainland(to_simplified(text)))
    text = "".join(c if _keep(c) else " " for c in text)
    return _SPACES.sub(" ", text).strip()


def strip_fillers(normalized: str) -> str:
    """Drop politeness and hesitation words (请问, 麻烦问一下, 嗯, thanks …) from normalised text."""
    cjk_fillers, ascii_fillers = _fillers()
    text = normalized
    for filler in cjk_fillers:
        if filler in text:
            text = text.replace(filler, " ")
    text = ascii_fillers.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=4096)
def normalize_term(term: str) -> str:
    """Normalise a lexicon or KB term the same way messages are normalised."""
    return normalize_text(term)


def is_cjk_char(char: str) -> bool:
    return bool(_CJK.match(char))


def text_ngrams(normalized: str) -> frozenset[str]:
    """Chinese character bigrams and whole ASCII words of normalised text.

    Needs no lexicon, so it still works for KB wording nobody listed as a synonym (a new KB,
    a new topic); the lexicon-based features cover what it misses (English vs Chinese)."""
    grams: set[str] = set()
    for chunk in normalized.split():
        if chunk.isascii():
            if len(chunk) > 1:
                grams.add(chunk)
            continue
        for run in _CJK_RUN.findall(chunk):  # each maximal run of Chinese characters; a lone one is its own gram
            if len(run) == 1:
                grams.add(run)
            else:
                grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(grams)
