"""The cue words of ``config/triage_cues.yaml``, validated once and shaped for matching.

Everything is compared in Simplified, lower case: a Traditional message is read through t2s first, so the
lists only need Simplified words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import TRIAGE_CUES_PATH
from handlers.any_word import AnyWord


class TriageCuesError(ValueError):
    """The cue file is malformed; the message says where."""


class _Specific(BaseModel):
    model_config = ConfigDict(extra="forbid")
    earlier_request: list[str] = Field(min_length=1)
    offices: list[str] = Field(min_length=1)
    contact_asks: list[str] = Field(min_length=1)
    not_places: list[str]
    places: list[str]
    titles: list[str]
    surnames: str
    personal: list[str]
    fees: list[str]
    case_words: list[str]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    laughter: list[str]
    off_topic: list[str]
    domain: list[str] = Field(min_length=1)
    english_words: list[str]
    specific: _Specific


def _words(items: list[str]) -> tuple[str, ...]:
    """Lower case, longest first (so 哈哈 is removed before 哈), without blanks or repeats."""
    cleaned = {str(item).strip().lower() for item in items if str(item).strip()}
    return tuple(sorted(cleaned, key=lambda word: (-len(word), word)))


@dataclass(frozen=True, eq=False)  # compared (and hashed, for caches of what is built from it) as one object
class TriageCues:
    laughter: tuple[str, ...]
    off_topic: tuple[str, ...]
    domain: tuple[str, ...]
    english_words: frozenset[str]
    earlier_request: tuple[str, ...]
    offices: tuple[str, ...]
    contact_asks: tuple[str, ...]
    not_places: tuple[str, ...]
    places: tuple[str, ...]
    titles: tuple[str, ...]
    surnames: str
    personal: tuple[str, ...]
    fees: tuple[str, ...]
    case_words: tuple[str, ...]
    # Built from the lists above, for the checks every text message runs (``handlers.any_word``).
    domain_latin: frozenset[str] = field(init=False, repr=False)  # ASCII domain words: compared as whole words
    domain_han: AnyWord = field(init=False, repr=False)  # the others: found anywhere in the text
    any_off_topic: AnyWord = field(init=False, repr=False)
    any_earlier_request: AnyWord = field(init=False, repr=False)
    any_contact_ask: AnyWord = field(init=False, repr=False)
    any_office: AnyWord = field(init=False, repr=False)
    any_not_place: AnyWord = field(init=False, repr=False)
    any_place: AnyWord = field(init=False, repr=False)
    any_personal: AnyWord = field(init=False, repr=False)
    any_fee: AnyWord = field(init=False, repr=False)
    any_case_word: AnyWord = field(init=False, repr=False)

    def __post_init__(self) -> None:
        built = {
            "domain_latin": frozenset(word for word in self.domain if word.isascii()),
            "domain_han": AnyWord(word for word in self.domain if not word.isascii()),
            "any_off_topic": AnyWord(self.off_topic),
            "any_earlier_request": AnyWord(self.earlier_request),
            "any_contact_ask": AnyWord(self.contact_asks),
            "any_office": AnyWord(self.offices),
            "any_not_place": AnyWord(self.not_places),
            "any_place": AnyWord(self.places),
            "any_personal": AnyWord(self.personal),
            "any_fee": AnyWord(self.fees),
            "any_case_word": AnyWord(self.case_words),
        }
        for name, value in built.items():
            object.__setattr__(self, name, value)  # frozen: set once, here


def load_triage_cues(path: Path) -> TriageCues:
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise TriageCuesError(f"{path}: {exc}") from exc
    s = parsed.specific
    overlap = set(_words(parsed.domain)) & set(_words(parsed.off_topic))
    if overlap:
        raise TriageCuesError(f"{path}: words both domain and off_topic: {', '.join(sorted(overlap))}")
    return TriageCues(
        laughter=_words(parsed.laughter),
        off_topic=_words(parsed.off_topic),
        domain=_words(parsed.domain),
        english_words=frozenset(_words(parsed.english_words)),
        earlier_request=_words(s.earlier_request),
        offices=_words(s.offices),
        contact_asks=_words(s.contact_asks),
        not_places=_words(s.not_places),
        places=_words(s.places),
        titles=_words(s.titles),
        surnames="".join(sorted(set(s.surnames.replace(" ", "")))),
        personal=_words(s.personal),
        fees=_words(s.fees),
        case_words=_words(s.case_words),
    )


@cache
def triage_cues() -> TriageCues:
    return load_triage_cues(TRIAGE_CUES_PATH)
