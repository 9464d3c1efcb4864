"""Time clauses: which parts of a message are dated before or after the act it asks about.

"申请美国国籍后中国户口怎么办" asks about the Chinese 户口; the naturalisation is the question's background, done
or assumed. "去美国前要办中国护照吗" asks for China's passport, applied for in China; the trip to the US is still
ahead. Rules that read a foreign document obtained (faq.counterpart), a trip (faq.counterpart, faq.whereabouts)
or a naturalisation (faq.analysis) would otherwise take such an act for what is asked, or for where the user is.
The words are in ``config/time_clauses.yaml``; the rules here only say how they are read:

- a Chinese clause runs from the previous comma (a space once normalised), the start, or the previous closer in
  the same clause, to its closer; an after-closer (后, 之后, 以后) makes it EARLIER, a before-closer (前, 之前, 以前)
  LATER; a closer with nothing before it in its clause closes nothing ("以前在国外住过": formerly), nor does one
  inside a word of ``not_closers`` ("然后", "目前", "前往");
- an English clause runs from its opener (after, once: EARLIER; before: LATER) to the first word that starts the
  main clause (can, do, what …), or at most ``english_reach`` words;
- "先 X 再 Y" ("先在国内办好护照再去美国"): X is done first (EARLIER), Y is ahead (LATER) to its clause's end;
- a plan marker before an act in its clause ("我要回加拿大", "next month") makes it planned, not made (`planned`).

EARLIER: the clause's act is done (or assumed done) by the time the asked act happens. LATER: it has not
happened yet, and the asked act comes first.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import TIME_CLAUSES_PATH
from faq.normalize import normalize_text
from faq.vocabulary_file import VocabularyError, read_word_file

EARLIER = "earlier"
LATER = "later"
KIND = "time clause file"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"[a-z0-9']+")
_ONE_WORD = re.compile(r"^[a-z0-9']+$")
# Lists read one English word at a time (TimeClauses._english): a phrase there would never match.
_ENGLISH_WORD_LISTS = ("after_openers", "before_openers", "english_clause_ends")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after_closers: list[str] = Field(min_length=1)
    before_closers: list[str] = Field(min_length=1)
    not_closers: list[str]
    after_openers: list[str] = Field(min_length=1)
    before_openers: list[str] = Field(min_length=1)
    english_clause_ends: list[str]
    english_reach: int = Field(ge=1)
    first_markers: list[str]
    then_markers: list[str]
    not_first: list[str]
    then_reach: int = Field(ge=1)
    plan_markers: list[str]


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of normalised text, dated `kind` (EARLIER or LATER) against the asked act."""

    start: int
    end: int
    kind: str


def _problems(data: _File) -> list[str]:
    """What the schema cannot say: a word that normalises to nothing (its pattern would match everywhere), an
    English opener or clause end of several words (never matched), a closer both after and before."""
    out: list[str] = []
    for name in _File.model_fields:
        value = getattr(data, name)
        if not isinstance(value, list):
            continue
        for word in value:
            normalized = normalize_text(word).strip()
            if not normalized:
                out.append(f"{name}: {word!r} is empty once normalised (it would match everywhere)")
            elif name in _ENGLISH_WORD_LISTS and not _ONE_WORD.match(normalized):
                out.append(f"{name}: {word!r} must be one English word (a-z, 0-9, '): words are read one at a time")
    for word in sorted(set(_words(data.after_closers)) & set(_words(data.before_closers))):
        out.append(f"{word!r} is in both after_closers and before_closers: a closer dates one way")
    for word in sorted(set(_words(data.after_openers)) & set(_words(data.before_openers))):
        out.append(f"{word!r} is in both after_openers and before_openers: an opener dates one way")
    return out


def _words(words: Sequence[str]) -> list[str]:
    out = {normalize_text(w) for w in words}
    return sorted((w for w in out if w), key=lambda w: (-len(w), w))


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Longest first; ASCII words only on word boundaries ("once" is not in "concern")."""
    parts = [re.escape(w) if not w.isascii() else rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])" for w in _words(words)]
    return re.compile("|".join(parts))


class TimeClauses:
    """The compiled words of one time-clause file; immutable, so thread-safe."""

    def __init__(self, data: _File) -> None:
        closers = [*data.after_closers, *data.before_closers]
        self._closer = _pattern(closers)
        self._after = frozenset(_words(data.after_closers))
        self._not_closer = _pattern(data.not_closers) if data.not_closers else None
        self._openers = {w: EARLIER for w in _words(data.after_openers)}
        self._openers.update({w: LATER for w in _words(data.before_openers)})
        self._ends = frozenset(_words(data.english_clause_ends))
        self._reach = data.english_reach
        self._first = _pattern(data.first_markers) if data.first_markers else None
        self._then = _pattern(data.then_markers) if data.then_markers else None
        self._not_first = _pattern(data.not_first) if data.not_first else None
        self._then_reach = data.then_reach
        self._plan = _pattern(data.plan_markers) if data.plan_markers else None

    def spans(self, normalized: str) -> tuple[Span, ...]:
        """Every time clause of text already through faq.normalize.normalize_text, in order of their start."""
        out = [*self._chinese(normalized), *self._english(normalized), *self._first_then(normalized)]
        return tuple(sorted(out, key=lambda s: (s.start, s.end)))

    def planned(self, normalized: str, position: int) -> bool:
        """Whether a plan marker stands before `position` in its clause ("我要回加拿大", "I'm going to fly to
        Canada"): the act there has not been made yet."""
        if self._plan is None:
            return False
        if normalized[position : position + 1].isascii():
            words = normalized[:position].split()[-self._reach :]
            head = " ".join(words)
            return any(m.group(0).isascii() for m in self._plan.finditer(head))
        clause = normalized.rfind(" ", 0, position) + 1
        return any(not m.group(0).isascii() for m in self._plan.finditer(normalized, clause, position))

    def _chinese(self, text: str) -> list[Span]:
        if not _CJK.search(text):
            return []
        blocked = [m.span() for m in self._not_closer.finditer(text)] if self._not_closer is not None else []
        out: list[Span] = []
        previous = 0  # where the previous closer ended: a clause starts after it
        for match in self._closer.finditer(text):
            start, end = match.span()
            if any(a < end and start < b for a, b in blocked):
                continue
            clause = max(text.rfind(" ", 0, start) + 1, previous)
            previous = end
            if not _CJK.search(text[clause:start]):
                continue  # "以前在国外住过": nothing before it, so "formerly", not "before …"
            kind = EARLIER if match.group(0) in self._after else LATER
            out.append(Span(clause, start, kind))
        return out

    def _english(self, text: str) -> list[Span]:
        if not _LATIN.search(text):
            return []
        out: list[Span] = []
        words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
        for n, (word, _, end) in enumerate(words):
            kind = self._openers.get(word)
            if kind is None:
                continue
            last = end
            for following, _, stop in words[n + 1 : n + 1 + self._reach]:
                if following in self._ends or following in self._openers:
                    break
                last = stop
            if last > end:
                out.append(Span(end + 1, last, kind))
        return out

    def _first_then(self, text: str) -> list[Span]:
        if self._first is None or self._then is None:
            return []
        blocked = [m.span() for m in self._not_first.finditer(text)] if self._not_first is not None else []
        out: list[Span] = []
        for first in self._first.finditer(text):
            if any(a < first.end() and first.start() < b for a, b in blocked):
                continue
            then = self._then.search(text, first.end(), first.end() + self._then_reach)
            if then is None or not text[first.end() : then.start()].strip():
                continue
            later_end = text.find(" ", then.end())
            if later_end < 0:
                later_end = len(text)
            out.append(Span(first.end(), then.start(), EARLIER))
            if later_end > then.end():
                out.append(Span(then.end(), later_end, LATER))
        return out


def kind_at(spans: Sequence[Span], position: int) -> str | None:
    """EARLIER or LATER when `position` lies in one of `spans` (the innermost, the shortest), else None."""
    inside = [s for s in spans if s.start <= position < s.end]
    return min(inside, key=lambda s: s.end - s.start).kind if inside else None


def token_offsets(text: str, tokens: Sequence[str]) -> list[int]:
    """Where each token of `text` starts (tokens are contiguous pieces of it, in order; an English phrase's words
    are joined by single spaces); -1 for one that is not found."""
    out: list[int] = []
    position = 0
    for token in tokens:
        found = text.find(token, position)
        out.append(found)
        if found >= 0:
            position = found + len(token)
    return out


def parse_time_clauses(text: str, path: Path) -> TimeClauses:
    """Validate the file's text; raise VocabularyError naming what is wrong."""
    try:
        data = _File.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise VocabularyError(path, [f"not valid YAML: {exc}"], KIND) from None
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise VocabularyError(path, problems, KIND) from None
    problems = _problems(data)
    if problems:
        raise VocabularyError(path, problems, KIND)
    return TimeClauses(data)


_lock = threading.Lock()
_shipped: TimeClauses | None = None


def time_clauses() -> TimeClauses:
    """The shipped file, read and checked once per process."""
    global _shipped
    if _shipped is not None:
        return _shipped
    with _lock:
        if _shipped is None:
            _shipped = parse_time_clauses(read_word_file(TIME_CLAUSES_PATH, KIND), Path(TIME_CLAUSES_PATH))
        return _shipped
