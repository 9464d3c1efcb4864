"""Which Chinese script a user writes in, and outbound text in that script.

Users from Hong Kong, Taiwan and older Southeast Asian communities write Traditional; an answer in
Simplified, or in a Traditional with the wrong character for the meaning (換髮 "change hair" for 換發
"reissue"), reads as careless to them. Conversion is OpenCC's phrase-aware s2tw plus the reviewed domain
phrase table in ``config/traditional_phrases.yaml``, applied first as whole words.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import opencc
import yaml

from config.settings import TRADITIONAL_PHRASES_PATH
from faq.normalize import is_cjk_char

Script = Literal["hans", "hant"]

_lock = threading.Lock()
_converters_cache: dict[str, opencc.OpenCC] = {}


def _converter(config: str) -> opencc.OpenCC:
    with _lock:
        if config not in _converters_cache:
            _converters_cache[config] = opencc.OpenCC(config)
        return _converters_cache[config]


class PhraseTableError(ValueError):
    """The phrase table file is malformed; the message names the entry."""


@dataclass(frozen=True)
class PhraseTable:
    phrases: dict[str, str]
    pattern: re.Pattern[str] | None


# Characters that are valid in both scripts yet are also the Traditional form of another Simplified one, so
# t2s leaves them as they are: 覆 is itself Simplified ("cover") and the Traditional 覆 of 答复, 复核.
_SHARED_FORMS = {("覆", "复")}


def _same_word(hant: str, hans: str, back: opencc.OpenCC) -> bool:
    """Whether hant is a Traditional spelling of hans, character by character."""
    if len(hant) != len(hans):
        return False
    return all(a == b or str(back.convert(a)) == b or (a, b) in _SHARED_FORMS for a, b in zip(hant, hans, strict=True))


def load_phrase_table(path: Path) -> PhraseTable:
    """Read and check the table: each hans phrase once, each hant phrase converting back to its hans."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("phrases") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise PhraseTableError(f"{path}: expected a 'phrases' list")
    back = _converter("t2s")
    phrases: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("hans"), str) or not isinstance(item.get("hant"), str):
            raise PhraseTableError(f"{path}: entry {number} needs text fields hans and hant")
        hans, hant = item["hans"].strip(), item["hant"].strip()
        if not hans or not hant:
            raise PhraseTableError(f"{path}: entry {number} has an empty phrase")
        if hans in phrases:
            raise PhraseTableError(f"{path}: entry {number} repeats {hans!r}")
        if not _same_word(hant, hans, back):
            raise PhraseTableError(f"{path}: entry {number}: {hant!r} is not the Traditional form of {hans!r}")
        phrases[hans] = hant
    keys = sorted(phrases, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(key) for key in keys)) if keys else None
    return PhraseTable(phrases, pattern)


@cache
def phrase_table() -> PhraseTable:
    return load_phrase_table(TRADITIONAL_PHRASES_PATH)


def _count_changed(text: str, converter: opencc.OpenCC) -> int:
    """Chinese characters the converter would change (phrase-aware when lengths allow)."""
    converted = str(converter.convert(text))
    if converted == text:  # most messages to t2s: nothing to count
        return 0
    if len(text) != len(converted):  # a phrase mapping changed length: fall back to per char
        return sum(1 for c in text if is_cjk_char(c) and str(converter.convert(c)) != c)
    return sum(1 for a, b in zip(text, converted, strict=True) if a != b and is_cjk_char(a))


def _changes_any(text: str, converter: opencc.OpenCC) -> bool:
    """Whether ``_count_changed`` would be above 0, without counting past the first change."""
    converted = str(converter.convert(text))
    if converted == text:
        return False
    if len(text) != len(converted):
        return any(is_cjk_char(c) and str(converter.convert(c)) != c for c in text)
    return any(a != b and is_cjk_char(a) for a, b in zip(text, converted, strict=True))


def detect_script(text: str) -> Script | None:
    """The script this message is written in, or None when it gives no evidence either way.

    Most characters are shared by both scripts ("人工", "中国", digits, English), so only characters a
    conversion would change count. None lets the caller keep the follower's script: a Traditional user
    who types "人工" must not be switched to Simplified by it.
    """
    traditional_only = _count_changed(text, _converter("t2s"))
    if not traditional_only:  # nearly every message: only whether any character is Simplified-only matters
        return "hans" if _changes_any(text, _converter("s2tw")) else None
    simplified_only = _count_changed(text, _converter("s2tw"))
    if traditional_only > simplified_only:
        return "hant"
    if simplified_only > traditional_only:
        return "hans"
    return None


def is_traditional(text: str) -> bool:
    """True when the text has more Traditional-only than Simplified-only characters (a tie is Simplified)."""
    return detect_script(text) == "hant"


# OpenCC's phrase list turns 别着急 into 彆著急; 彆 belongs only to 彆扭 (awkward). Every other 别 (don't,
# other, farewell) is 別.
_BIE = re.compile("彆(?!扭)")


def _opencc(text: str) -> str:
    return _BIE.sub("別", str(_converter("s2tw").convert(text)))


# Converted texts, by text: what is converted is nearly always an FAQ answer or a fixed bot text, a few
# hundred distinct ones, and converting a long answer cost more than the rest of that message's reply.
# Entries carry the table they were converted with, so a reloaded table (tests) is not answered from the old.
_CONVERTED: dict[str, tuple[PhraseTable, str]] = {}
_CONVERTED_MAX = 4096


def to_traditional(text: str) -> str:
    """Simplified → Traditional: the reviewed phrases as whole words, OpenCC for the text between them."""
    table = phrase_table()
    hit = _CONVERTED.get(text)
    if hit is not None and hit[0] is table:
        return hit[1]
    converted = _to_traditional(text, table)
    if len(_CONVERTED) >= _CONVERTED_MAX:
        _CONVERTED.clear()
    _CONVERTED[text] = (table, converted)
    return converted


def _to_traditional(text: str, table: PhraseTable) -> str:
    if table.pattern is None or not text:
        return _opencc(text)
    out: list[str] = []
    position = 0
    for match in table.pattern.finditer(text):
        out.append(_opencc(text[position : match.start()]))
        out.append(table.phrases[match.group(0)])
        position = match.end()
    out.append(_opencc(text[position:]))
    return "".join(out)


def in_script(text: str, script: str) -> str:
    """The text as a follower of this script should read it (texts are written in Simplified)."""
    return to_traditional(text) if script == "hant" else text
