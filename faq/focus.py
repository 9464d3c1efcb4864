"""Which part of a message carries the question.

Users write a sentence or two of their situation and then ask ("我们全家在西班牙，现在回青田过年，女儿护照快到期了，
在这边能换吗"). Every word of the story counts as much as the question's when the message-side shares are
measured (how much of the message an entry knows), so the story's words dilute the right entry's score and
pull in entries about the story's other topics. This module splits a message into clauses at punctuation,
finds the clauses that ask or say what the user wants (吗, 怎么, 能不能, 想, a question mark, how/can …: the
vocabulary's ``question_cues``) and gives the clauses that only narrate a lower weight, with two exceptions
read over concepts rather than words:

- the concepts saying who and where the user is (``situation_concepts``: abroad, domestic, foreigner …) keep
  their weight wherever they stand: they decide between near twins (a passport renewed at home or abroad);
- a question naming no topic of its own ("要先去哪个部门申请", "人不在国内怎么办": only ``generic_concepts``
  and situation) asks about the clause before it, which then weighs as a question.

Only the weights of the message-side shares change (faq.features): the message's units stay the same, so a
message without punctuation, a one-clause question, or a message whose every clause asks (or none does) is
read exactly as before. Mostly-English messages are split differently (``split_sentences``, ``english_asks``):
into sentences at . ? ! (a comma inside an English sentence joins its parts rather than separating a story
from a question), and a sentence asks when it ends in a question mark, opens with a question or modal word
(can, how, what, is …) or says what the user wants ("I want to", "I need to", "I'd like to"); a question
referring back ("Can I renew it here?", "Is that possible?") asks about the sentence before it too. Their
weights then go the same way as the Chinese clauses' (not the later-question rule, measured worse in English).
One analysis per clause, no extra scoring: the cost is one more pass of the analyser over the same
characters, and only for messages with several clauses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# Clause ends: sentence and clause punctuation (full- and half-width) and line breaks; 、 lists items
# of one clause and is not a boundary.
_CLAUSE_END = re.compile(r"[，,。．.！!？?；;：:\n]+")
_QUESTION_MARK = re.compile(r"[？?]")
# "能不能", "换不换", "有没有", "换唔换得": a verb, a negation and the same verb again asks.
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没唔冇]\1")
# A narrating clause counts this much of a question's in the message-side shares. Measured on the five
# dev suites (0.3 / 0.4 / 0.5 tried; see the commit that set it).
NARRATIVE_WEIGHT = 0.3
# A clause after the first question counts this much (measured on the seven dev suites; see the commit).
LATER_QUESTION_WEIGHT = 0.45
# A question with at most this many topic units (not generic, not situation) asks about the clause before.
# 0 since a question with one topic of its own ("美国驾照能直接用吗") names what it asks (1 measured worse).
THIN_QUESTION_TOPICS = 0
# Messages with more clauses than this are read as before (a long story is never answered anyway).
MAX_CLAUSES = 12
# From this share of Latin letters on, a message is English or mostly so and is read as before.
LATIN_LIMIT = 0.2


# English sentence ends: . ! ? ; or a line break followed by a space or the end ("U.S." and "8.5" inside a
# sentence mostly do not end it); a full-width mark always ends one.
_SENTENCE_END = re.compile(r"[.!?;\n]+(?=\s|$)|[。！？；]+")
# Words that open an English question (after normalisation: lower case, apostrophes gone).
_ENGLISH_QUESTION_START = frozenset(
    {
        "can",
        "could",
        "how",
        "what",
        "where",
        "when",
        "do",
        "does",
        "did",
        "is",
        "are",
        "am",
        "should",
        "will",
        "would",
        "who",
        "whom",
        "which",
        "why",
        "may",
        "shall",
        "must",
        "any",
        "please",
    }
)
# "I want to", "we need to", "I'd like to" (normalised: "i like to"), "I would like to", "I wish to".
_ENGLISH_WANTS = re.compile(
    r"(?<![a-z])(?:i|we)\s+(?:(?:really|just|also|now|still)\s+)?"
    r"(?:want|wants|need|would like|like|wish|hope)\s+to(?![a-z])"
)

# A question with one of these refers to what the sentence before it said ("Can I renew it here?", "Can you
# help find him?", "Is that possible?"), which then counts as part of the question.
_ENGLISH_BACK_REFERENCES = frozenset(
    {"it", "he", "she", "they", "him", "her", "them", "this", "that", "these", "those", "there", "so", "one", "ones"}
)


@dataclass(frozen=True)
class Focus:
    """Per-item weights for the message-side shares; anything not listed weighs 1.0. `clauses` keeps how the
    message was read, each (normalised) clause with its weight, for `FaqMatcher.explain` and `question_text`."""

    units: Mapping[str, float] = field(default_factory=dict)
    ngrams: Mapping[str, float] = field(default_factory=dict)
    clauses: tuple[tuple[str, float], ...] = ()
    bigrams: Mapping[str, float] = field(default_factory=dict)  # pinyin bigrams (faq.features bigram_cov)

    def unit(self, unit: str) -> float:
        return self.units.get(unit, 1.0)

    def ngram(self, gram: str) -> float:
        return self.ngrams.get(gram, 1.0)

    def bigram(self, bigram: str) -> float:
        return self.bigrams.get(bigram, 1.0)

    def question_text(self) -> str | None:
        """The clauses that weigh fully (the question and what it leans on), joined, or None when every clause
        does (nothing was read as story)."""
        asked = [text for text, weight in self.clauses if weight >= 1.0]
        if not asked or len(asked) == len(self.clauses):
            return None
        return " ".join(asked)


def split_clauses(text: str) -> list[tuple[str, bool]]:
    """(clause, ends with a question mark) for each clause with a letter or digit, in order."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in _CLAUSE_END.finditer(text):
        clause = text[position : match.start()].strip()
        if any(c.isalnum() for c in clause):
            out.append((clause, bool(_QUESTION_MARK.search(match.group(0)))))
        position = match.end()
    tail = text[position:].strip()
    if any(c.isalnum() for c in tail):
        out.append((tail, False))
    return out


def split_sentences(text: str) -> list[tuple[str, bool]]:
    """English: (sentence, ends with a question mark) for each sentence with a letter or digit, in order."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        sentence = text[position : match.start()].strip()
        if any(c.isalnum() for c in sentence):
            out.append((sentence, bool(_QUESTION_MARK.search(match.group(0)))))
        position = match.end()
    tail = text[position:].strip()
    if any(c.isalnum() for c in tail):
        out.append((tail, False))
    return out


def english_asks(normalized_sentence: str) -> bool:
    """Whether a normalised English sentence asks (opens with a question or modal word) or says what the
    user wants."""
    words = normalized_sentence.split()
    if not words:
        return False
    return words[0] in _ENGLISH_QUESTION_START or _ENGLISH_WANTS.search(normalized_sentence) is not None


def english_with_referents(asking: Sequence[bool], normalized: Sequence[str]) -> list[bool]:
    """An English question referring back (it, he, that …) asks about the sentence before it too."""
    out = list(asking)
    for i in range(1, len(asking)):
        if asking[i] and not set(normalized[i].split()).isdisjoint(_ENGLISH_BACK_REFERENCES):
            out[i - 1] = True
    return out


def mostly_latin(normalized: str) -> bool:
    letters = [c for c in normalized if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) / len(letters) >= LATIN_LIMIT


class QuestionCues:
    """The vocabulary's question cues: Chinese ones as substrings, English ones as whole words."""

    def __init__(self, cues: Iterable[str]) -> None:
        words = [c for c in cues if c]
        self._cjk = tuple(w for w in words if not w.isascii())
        english = [re.escape(w).replace(r"\ ", r"\s+") for w in words if w.isascii()]
        self._english = re.compile(r"(?<![a-z0-9])(?:" + "|".join(english) + r")(?![a-z0-9])") if english else None

    def asks(self, normalized_clause: str) -> bool:
        """Whether a (normalised) clause asks something or says what the user wants."""
        if any(cue in normalized_clause for cue in self._cjk) or _A_NOT_A.search(normalized_clause):
            return True
        return bool(self._english and self._english.search(normalized_clause))


def with_topic_clauses(asking: Sequence[bool], topics: Sequence[int]) -> list[bool]:
    """A question naming at most THIN_QUESTION_TOPICS topic units asks about the clause before it, which
    then counts as part of the question."""
    out = list(asking)
    for i in range(1, len(asking)):
        if asking[i] and topics[i] <= THIN_QUESTION_TOPICS:
            out[i - 1] = True
    return out


def clause_weights(asking: Sequence[bool]) -> list[float] | None:
    """Each clause's weight, or None when focusing would change nothing (one clause; all or none ask)."""
    if len(asking) < 2 or all(asking) or not any(asking):
        return None
    return [1.0 if a else NARRATIVE_WEIGHT for a in asking]


def later_question_weights(
    weights: Sequence[float], asking: Sequence[bool], marks: Sequence[bool], topics: Sequence[int]
) -> list[float]:
    """A message asking several things in turn ("…怎么办？另外…能不能…？") is filed under its first question: the
    clauses after the first question mark weigh at most LATER_QUESTION_WEIGHT, when that first question (with
    the clauses before it that it leans on) names a topic of its own."""
    out = list(weights)
    if True not in marks:
        return out
    first = list(marks).index(True)
    if not any(asking[i] and topics[i] for i in range(first + 1)):
        return out
    for j in range(first + 1, len(out)):
        out[j] = min(out[j], LATER_QUESTION_WEIGHT)
    return out


def merge_weights(
    per_clause: Sequence[tuple[Iterable[str], float]], keep: frozenset[str] = frozenset()
) -> dict[str, float]:
    """An item found in several clauses weighs as its most heavily weighted clause; items in `keep` and
    those weighing 1.0 are left out (they weigh 1.0 by default)."""
    best: dict[str, float] = {}
    for items, weight in per_clause:
        for item in items:
            if best.get(item, 0.0) < weight:
                best[item] = weight
    return {k: v for k, v in best.items() if v < 1.0 and k not in keep}
