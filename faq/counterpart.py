"""Whether a text asks about another country's own document or system (美国护照, 澳洲的Medicare, 申根签证).

A Chinese federation's KB means China's passport, visa, pension and licence when it says 护照, 签证, 养老金,
驾照. A user who asks how to renew their US passport or convert a Chinese licence into an Italian one shares
every topic word with such an entry and is answered confidently and wrongly. The words (countries, document
kinds, status markers) are general knowledge in ``config/foreign_counterparts.yaml``; the rules here only
say how they are read:

- a document is *qualified* by the country word right before it, with at most one modifier between
  ("美国工作签证", "US spouse visa"); a one-character short form only when attached ("美签");
- the document a message *asks about* is its last qualified or unqualified document mention: in
  "持美国护照在广州探亲，签证停留期快到了" it is the (Chinese) visa, in "我的美国护照到期了，能在这边续吗" the
  US passport;
- a qualified document after a status marker ("我是美国绿卡", "持美国护照") is who the user is, not what
  they ask about, so it is skipped;
- an entry *covers* foreign documents of a kind when one of its phrasings names one ("外国驾照在国内能用吗").

A message that asks about a foreign document of a kind its best entry does not cover is a near miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import FOREIGN_COUNTERPARTS_PATH
from faq.normalize import normalize_text

FOREIGN_ONLY = "foreign_only"
# "with a foreign passport", "holding my US passport": the marker stands before the determiner.
_DETERMINER = re.compile(r"(?:\s+(?:a|an|the|my|our|his|her|their))+$")


class CounterpartDataError(ValueError):
    """The counterpart file is malformed; the message says where."""


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    documents: dict[str, list[str]] = Field(min_length=1)
    modifiers: list[str]
    foreign_qualifiers: list[str] = Field(min_length=1)
    ambiguous_qualifiers: list[str]
    short_foreign_qualifiers: list[str]
    chinese_qualifiers: list[str] = Field(min_length=1)
    status_markers: list[str]
    location_markers: list[str]
    foreign_only: list[str]


def _clean(words: Iterable[str]) -> list[str]:
    out = {normalize_text(str(w)) for w in words}
    return sorted((w for w in out if w), key=lambda w: (-len(w), w))


def _alternation(words: Sequence[str]) -> str:
    """Longest first; ASCII words only on word boundaries (so "pr" is not found inside "province")."""
    parts = []
    for word in words:
        escaped = re.escape(word).replace(r"\ ", r"\s+")
        parts.append(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])" if word.isascii() else escaped)
    return "|".join(parts)


@dataclass(frozen=True)
class Mention:
    """One document mention: its kind, and whose it is ("foreign", "chinese", "ambiguous", or "" unqualified)."""

    kind: str
    side: str
    status: bool  # after a status marker: who the user is, not what they ask
    end: int


class CounterpartReader:
    """Compiled patterns of one counterpart file; thread-safe (immutable after construction)."""

    def __init__(self, data: _File) -> None:
        kinds = {kind: _clean(words) for kind, words in data.documents.items()}
        empty = [kind for kind, words in kinds.items() if not words]
        if empty:
            raise CounterpartDataError(f"document kinds without words: {', '.join(empty)}")
        self.kinds = tuple(sorted(kinds))
        self._kind_of = {word: kind for kind, words in kinds.items() for word in words}
        documents = _alternation(_clean(self._kind_of))
        modifiers = _alternation(_clean(data.modifiers))
        foreign = _alternation(_clean(data.foreign_qualifiers))
        ambiguous = _alternation(_clean(data.ambiguous_qualifiers)) or "(?!)"
        short = "|".join(re.escape(w) for w in _clean(data.short_foreign_qualifiers))
        chinese = _alternation(_clean(data.chinese_qualifiers))
        gap = rf"(?:\s*(?:{modifiers}))?\s*" if modifiers else r"\s*"
        self._document = re.compile(documents)
        self._qualified = re.compile(
            rf"(?:(?P<foreign>{foreign}){gap}|(?P<ambiguous>{ambiguous}){gap}|(?P<short>{short})|"
            rf"(?P<chinese>{chinese}){gap})(?P<doc>{documents})"
            if short
            else rf"(?:(?P<foreign>{foreign}){gap}|(?P<ambiguous>{ambiguous}){gap}|(?P<chinese>{chinese}){gap})"
            rf"(?P<doc>{documents})"
        )
        self._status = _clean(data.status_markers)
        self._location = _clean(data.location_markers)
        self._foreign_only = re.compile(_alternation(_clean(data.foreign_only))) if data.foreign_only else None

    def _kind(self, word: str) -> str:
        return self._kind_of.get(re.sub(r"\s+", " ", word), "")

    @staticmethod
    def _after(markers: Sequence[str], text: str, start: int) -> bool:
        before = _DETERMINER.sub("", text[max(0, start - 12) : start].rstrip())
        return any(before.endswith(marker) for marker in markers)

    def mentions(self, normalized: str) -> list[Mention]:
        """Every document mention of normalised text, in order."""
        out: list[Mention] = []
        covered: list[tuple[int, int]] = []
        for match in self._qualified.finditer(normalized):
            if self._after(self._location, normalized, match.start()):
                continue  # a place: the document after it is unqualified (found below)
            if not _joined(match):
                continue  # "我在加拿大，护照快到期": punctuation (now a space) parts the two
            side = "chinese" if match.group("chinese") else ("ambiguous" if match.group("ambiguous") else "foreign")
            kind = self._kind(match.group("doc"))
            out.append(Mention(kind, side, self._after(self._status, normalized, match.start()), match.end()))
            covered.append((match.start("doc"), match.end()))
        for match in self._document.finditer(normalized):
            if any(start <= match.start() < end for start, end in covered):
                continue
            out.append(Mention(self._kind(match.group(0)), "", False, match.end()))
        if self._foreign_only is not None:
            for match in self._foreign_only.finditer(normalized):
                if not any(start <= match.start() < end for start, end in covered):
                    out.append(Mention(FOREIGN_ONLY, "foreign", False, match.end()))
        out.sort(key=lambda m: m.end)
        return out

    def asked_foreign_kind(self, text: str) -> str | None:
        """The kind of foreign document the message asks about, or None (China's, or none named)."""
        asked = [m for m in self.mentions(normalize_text(text)) if not m.status]
        if not asked or asked[-1].side != "foreign":
            return None
        return asked[-1].kind

    def covered_kinds(self, phrasings: Iterable[str]) -> frozenset[str]:
        """Kinds of foreign document an entry's phrasings speak of."""
        kinds: set[str] = set()
        for phrasing in phrasings:
            kinds.update(m.kind for m in self.mentions(normalize_text(phrasing)) if m.side in ("foreign", "ambiguous"))
        return frozenset(kinds)


def _joined(match: re.Match[str]) -> bool:
    """Chinese words written apart (a comma became a space) do not qualify each other; English ones do."""
    qualifier = next(g for g in ("foreign", "ambiguous", "short", "chinese") if match.group(g))
    between = match.string[match.end(qualifier) : match.start("doc")]
    return not any(c.isspace() for c in between) or (match.group(qualifier).isascii() and match.group("doc").isascii())


def load_counterparts(path: Path) -> CounterpartReader:
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        return CounterpartReader(parsed)
    except (ValidationError, yaml.YAMLError, re.error, CounterpartDataError) as exc:
        raise CounterpartDataError(f"{path}: {exc}") from exc


@cache
def counterparts() -> CounterpartReader:
    """The shipped file, read and checked once per process."""
    return load_counterparts(FOREIGN_COUNTERPARTS_PATH)


class CounterpartGuard:
    """For one KB: which foreign document kinds each entry covers, so a near miss is not answered."""

    def __init__(self, reader: CounterpartReader, phrasings: Sequence[Sequence[str]]) -> None:
        self._reader = reader
        self._covered = [reader.covered_kinds(group) for group in phrasings]

    def asked(self, text: str) -> str | None:
        return self._reader.asked_foreign_kind(text)

    def conflicts(self, asked: str | None, position: int) -> bool:
        """The message asks about a foreign document of a kind the entry at `position` never speaks of."""
        return asked is not None and asked not in self._covered[position]
