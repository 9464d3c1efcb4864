"""Requests the hotline does not serve, even in a KB topic's words (``config/out_of_scope_intents.yaml``).

"人民币兑美元今天汇率多少" shares 汇率 with the foreign-exchange entry, "宝宝发烧39度要不要去医院" 医院 with the
medical-insurance one, "附近有没有24小时药店" a place word with the consulate's: each scores like a real
question, and the gate answers it with the entry. What they ask for (a live rate, a sum, a doctor's advice, a
map search, someone else's timetable) is no entry's answer in any KB the federation writes, so the intents are
staff-maintained data, read here and applied by the matcher before it may answer.

The rules, over clauses (faq.focus.split_clauses: a message's parts between ，。？！；: and line breaks):

- an intent matches a clause when every one of its cue groups has a cue there and none of its ``unless`` cues
  is; only a clause that asks (a question cue or mark, faq.focus.QuestionCues) or ends the message counts, so
  a story's "机票订好了" is not a request to book; a question that matches nothing alone is read together with
  the telling clause right before it ("我腰疼好几天了，吃什么药好");
- the clauses no intent matched are the message's *rest*; when one of them asks, the message asks something
  else as well ("我想汇五万美元回国，今天汇率多少？每年额度是多少？"), and the matcher decides the rest on its own:
  its answer is the message's answer;
- otherwise the message is not answered from the KB: the user is told what the hotline does not do and where
  to look (the intent's ``reply``), with any choices the matcher found and the way to a person;
- an intent one of the KB's own phrasings matches is the KB's business after all (staff wrote an entry "今天的
  汇率在哪里查"): for that KB it is not applied (``served_by``).

Pure: no I/O once the file is read; thread-safe (immutable after construction).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.settings import OUT_OF_SCOPE_INTENTS_PATH
from faq.focus import QuestionCues, split_clauses
from faq.normalize import normalize_text
from faq.vocabulary import vocabulary

_INTENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class OutOfScopeDataError(ValueError):
    """The intents file is malformed; the message says where."""


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is a {type(value).__name__}, not text: put it in quotes")
    return value


def _texts(cues: object) -> object:
    """Every item of a cue list must be text (YAML reads 12306 or yes unquoted as a number or a bool)."""
    if isinstance(cues, list):
        for item in cues:
            _text(item)
    return cues


class _Group(BaseModel):
    """A cue group that needs several different cues ("一万美元换多少日元": two currencies)."""

    model_config = ConfigDict(extra="forbid")
    at_least: int = Field(ge=1)
    cues: list[str] = Field(min_length=1)

    _cues = field_validator("cues", mode="before")(_texts)


class _Intent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1)
    all_of: list[list[str] | _Group] = Field(min_length=1)
    unless: list[str] = []
    reply: str | None = None

    @field_validator("all_of", mode="before")
    @classmethod
    def _groups(cls, groups: object) -> object:
        if isinstance(groups, list):
            for number, group in enumerate(groups, 1):
                if isinstance(group, dict):
                    continue  # checked as a _Group
                if not isinstance(group, list) or not group:
                    raise ValueError(f"group {number} must be a non-empty list of cues or {{at_least: N, cues: [...]}}")
                for item in group:
                    _text(item)
        return groups

    _unless = field_validator("unless", mode="before")(_texts)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_reply: str = Field(min_length=1)
    intents: dict[str, _Intent] = Field(min_length=1)

    @field_validator("intents")
    @classmethod
    def _ids(cls, intents: dict[str, _Intent]) -> dict[str, _Intent]:
        bad = [name for name in intents if not _INTENT_ID.match(name)]
        if bad:
            raise ValueError(f"intent ids must be lower_case_with_underscores: {', '.join(bad)}")
        return intents


class _Cues:
    """At least `at_least` different cues in normalised text: Chinese (and digits) as substrings, English
    words whole."""

    def __init__(self, cues: Iterable[str], at_least: int = 1) -> None:
        words = sorted({normalize_text(c) for c in cues} - {""}, key=lambda w: (-len(w), w))
        self.at_least = at_least
        self.words = tuple(words)
        plain = [re.escape(w) for w in words if not w.isascii() or not re.search(r"[a-z]", w)]
        latin = [re.escape(w).replace(r"\ ", r"\s+") for w in words if w.isascii() and re.search(r"[a-z]", w)]
        self._plain = re.compile("|".join(plain)) if plain else None
        self._latin = re.compile(r"(?<![a-z0-9])(?:" + "|".join(latin) + r")(?![a-z0-9])") if latin else None
        self.empty = len(plain) + len(latin) < at_least

    def found(self, text: str) -> bool:
        if self.at_least == 1:
            if self._plain is not None and self._plain.search(text):
                return True
            return self._latin is not None and self._latin.search(text) is not None
        seen = {w for w in self.words if w in text} if self._plain is not None else set()
        if self._latin is not None:
            seen.update(" ".join(m.group(0).split()) for m in self._latin.finditer(text))
        return len(seen) >= self.at_least


@dataclass(frozen=True)
class Intent:
    """One kind of request the hotline does not serve."""

    name: str
    description: str
    groups: tuple[_Cues, ...]
    unless: _Cues
    reply: str

    def matches(self, normalized_clause: str) -> bool:
        for group in self.groups:
            if not group.found(normalized_clause):
                return False
        return self.unless.empty or not self.unless.found(normalized_clause)


@dataclass(frozen=True)
class OutOfScope:
    """What a message asks that the hotline does not serve, and what else it asks (None: nothing else)."""

    intent: str
    rest: str | None


class OutOfScopeIntents:
    """The intents of one file; `find` reads a message, `served_by` says which intents a KB answers itself."""

    def __init__(self, intents: Sequence[Intent], default_reply: str, question_cues: Iterable[str]) -> None:
        self.intents = tuple(intents)
        self.default_reply = default_reply
        self._asks = QuestionCues(question_cues)
        self._by_name = {i.name: i for i in self.intents}
        # every group of an intent must have a cue, so a text without any first-group cue matches none
        self._any_first = _Cues(w for i in self.intents for w in i.groups[0].words)
        # ... and one without any of them even inside a word or across other spaces is passed over at once for
        # every intent (what _Cues.found finds is always one of these): most clauses of most messages
        first = sorted({w for i in self.intents for w in i.groups[0].words}, key=lambda w: (-len(w), w))
        self._first_cues = re.compile("|".join(re.escape(w).replace(r"\ ", r"\s+") for w in first)) if first else None

    def served_by(self, normalized_phrasings: Iterable[str]) -> frozenset[str]:
        """The intents one of a KB's own (normalised) phrasings matches: that KB answers such requests itself
        (an entry "今天的汇率在哪里查"), so for it they are not out of scope."""
        served: set[str] = set()
        for text in normalized_phrasings:
            if not self._any_first.found(text):
                continue
            served.update(i.name for i in self.intents if i.name not in served and i.matches(text))
        return frozenset(served)

    def reply(self, intent: str) -> str:
        """What the user is told for `intent` (the default reply for an intent the file no longer has)."""
        found = self._by_name.get(intent)
        return found.reply if found is not None else self.default_reply

    def _intent_of(self, normalized_clause: str, skip: frozenset[str]) -> str | None:
        if self._first_cues is not None and not self._first_cues.search(normalized_clause):
            return None
        for intent in self.intents:
            if intent.name not in skip and intent.matches(normalized_clause):
                return intent.name
        return None

    def find(self, text: str, skip: frozenset[str] = frozenset()) -> OutOfScope | None:
        """The first intent (not in `skip`) a message's asking clause matches, with the rest of the message when
        the rest asks something too; None when no intent matches."""
        clauses = split_clauses(text)
        if not clauses:
            return None
        normalized = [normalize_text(clause) for clause, _ in clauses]
        asking = [mark or self._asks.asks(n) for (_, mark), n in zip(clauses, normalized, strict=True)]
        last = len(clauses) - 1
        found: str | None = None
        rest: list[int] = []
        for i, clause in enumerate(normalized):
            intent = self._intent_of(clause, skip) if asking[i] or i == last else None
            told = bool(rest) and rest[-1] == i - 1 and not asking[i - 1]
            leans = told and self._intent_of(normalized[i - 1], skip) is None
            if intent is None and (asking[i] or i == last) and leans:
                # "我腰疼好几天了，吃什么药好": the question leans on the clause that tells it (which alone asks
                # for nothing; "附近药店都关门了，护照丢了怎么办" tells a story and asks about the passport)
                intent = self._intent_of(f"{normalized[i - 1]} {clause}", skip)
                if intent is not None:
                    rest.pop()
            if intent is None:
                rest.append(i)
            elif found is None:
                found = intent
        if found is None:
            return None
        if not any(asking[i] for i in rest):
            return OutOfScope(found, None)
        remainder = "".join(clauses[i][0] + ("？" if clauses[i][1] else "，") for i in rest)
        return OutOfScope(found, remainder)


# A folded YAML line break becomes a space; between Chinese characters it is none.
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")


def _one_line(text: str) -> str:
    return _CJK_GAP.sub("", " ".join(text.split()))


def _load(data: _File) -> OutOfScopeIntents:
    intents = []
    for name, item in data.intents.items():
        groups = tuple(
            _Cues(group.cues, group.at_least) if isinstance(group, _Group) else _Cues(group) for group in item.all_of
        )
        empty = [str(n) for n, group in enumerate(groups, 1) if group.empty]
        if empty:
            raise OutOfScopeDataError(
                f"intents.{name}: group {', '.join(empty)} has fewer different cues than it needs after normalising"
            )
        reply = _one_line(item.reply or data.default_reply)
        intents.append(Intent(name, item.description, groups, _Cues(item.unless), reply))
    return OutOfScopeIntents(intents, _one_line(data.default_reply), vocabulary().question_cues)


def load_out_of_scope(path: Path) -> OutOfScopeIntents:
    """Read and check one intents file; a mistake is reported with the file and the key."""
    try:
        return _load(_File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))
    except (ValidationError, yaml.YAMLError, OutOfScopeDataError) as exc:
        raise OutOfScopeDataError(f"{path}: {exc}") from exc


@cache
def out_of_scope_intents() -> OutOfScopeIntents:
    """The shipped file, read and checked once per process."""
    return load_out_of_scope(OUT_OF_SCOPE_INTENTS_PATH)
