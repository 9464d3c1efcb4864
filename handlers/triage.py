"""What a message the FAQ does not answer is: junk, off-topic, a request for staff, or unclear.

A ticket promises a person's reply within two working days, so only a plausible request may open one:
a message that shares words with a KB entry (the matcher found related entries), names a word of the
hotline's domain, or asks for a person. Junk (punctuation, emoji, laughter, keyboard noise) and plainly
off-topic messages get a short help reply instead; anything else gets one question back. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import opencc

from faq.decision import Decision
from handlers.triage_cues import TriageCues, triage_cues

Triage = Literal["junk", "off_topic", "request", "unsure"]
# Chinese characters a message needs, once noise is gone, before it is worth a question back.
MIN_UNSURE_HAN = 4
# English words a Latin-only message needs before it is worth a question back.
MIN_UNSURE_WORDS = 3
_t2s = opencc.OpenCC("t2s")
_LATIN_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=4096)
def comparable(text: str) -> str:
    """The text as cues compare it: NFKC, Simplified, lower case. Remembered: the junk check, the triage and
    the specific-case cues each ask it for the same message, and each asking is an OpenCC conversion."""
    return str(_t2s.convert(unicodedata.normalize("NFKC", text))).lower()


# What ``_without_noise`` keeps: Chinese (the CJK Unified Ideographs and their Extension A) and ASCII letters;
# each other character becomes a space. One substitution in C instead of a Python step per character.
_NOISE = re.compile("[^\u4e00-\u9fff\u3400-\u4dbfA-Za-z]")
_HAN_CHAR = re.compile("[\u4e00-\u9fff\u3400-\u4dbf]")


def _without_noise(text: str, cues: TriageCues) -> str:
    """Letters and Chinese only, with laughter removed: what is left of the message's content."""
    kept = _NOISE.sub(" ", text)
    for sound in cues.laughter:
        kept = kept.replace(sound, " ")
    return " ".join(kept.split())


def _domain(text: str, cues: TriageCues) -> bool:
    """A domain word in the text: an ASCII one as a whole word, any other anywhere."""
    return not cues.domain_latin.isdisjoint(_LATIN_WORD.findall(text)) or cues.domain_han(text)


def classify(text: str, related: tuple[str, ...]) -> Triage:
    """``related``: the KB entries the matcher found related to the message (its suggestions on hand-over)."""
    cues = triage_cues()
    # a long text is read each time: the cache keeps short ones, as the matcher's decision cache does
    settled, otherwise = _by_text(text, cues) if len(text) <= _CACHED_CHARS else _read_text(text, cues)
    if settled is not None:
        return settled
    return "request" if related else otherwise


# Texts up to this length are remembered by _by_text (4,096 of them: about 2 MB at most).
_CACHED_CHARS = 500


def _read_text(text: str, cues: TriageCues) -> tuple[Triage | None, Triage]:
    """What ``classify`` says from the text alone: the kind when ``related`` cannot change it, else None and the
    kind without related entries."""
    plain = comparable(text)
    content = _without_noise(plain, cues)
    if not content:
        return "junk", "junk"
    han = len(_HAN_CHAR.findall(content))
    words = _LATIN_WORD.findall(content)
    if han == 0 and not any(word in cues.english_words for word in words):
        return "junk", "junk"  # keyboard noise: "asdfgh", "qwe"
    if _domain(plain, cues):
        return "request", "request"
    if cues.any_off_topic(plain):
        return "off_topic", "off_topic"
    if han >= MIN_UNSURE_HAN or (han == 0 and len(words) >= MIN_UNSURE_WORDS):
        return None, "unsure"
    return None, "junk"


# Remembered by text (short ones, see classify): a message is asked about by the junk check, then by the triage
# of an unanswered one, and again as one of the recent texts a hand-over takes as context.
_by_text = lru_cache(maxsize=4096)(_read_text)


def is_junk(text: str) -> bool:
    """Noise however the matcher sees it: never a ticket's question, never added to one."""
    return classify(text, ()) == "junk"


def clearly_out_of_scope(text: str, decision: Decision) -> bool:
    """Whether a message an out-of-scope intent matched gets that intent's reply rather than the question back.

    The intents are word cues, and a cue can sit in a real question ("签证中心附近有什么酒店" names 签证). With
    choices to offer the reply is no dead end (the entries, and “人工”). With nothing to offer, a message that
    names the hotline's own business (a domain word: `classify` says "request" on the text alone) is not
    clearly such a request, so it is not refused: it gets the one question back, a ticket only if the user
    confirms (handlers/text.py), or while storage is out the recorded hand-over (handlers/outage.py). The
    related entries do not count here: sharing a KB topic's words is exactly what the intents overrule
    ("今天美元兑人民币汇率多少" shares 汇率 with the foreign-exchange entry).
    """
    if decision.decision == "suggest" and decision.suggestions:
        return True
    return classify(text, ()) != "request"
