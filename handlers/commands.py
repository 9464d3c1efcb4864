"""Recognise the few fixed words users type to steer the bot, from one validated table.

The words live in ``config/command_words.yaml`` so the hand-over and status words are the same wherever
they are used: the text handler, the menu's summary line and the texts that tell users what to type.
Matching squashes spaces, punctuation and case and reads Traditional as Simplified, so 轉人工 and 转人工
are one word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

import opencc
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import COMMAND_WORDS_PATH

Command = Literal["human", "status", "menu", "more", "confirm", "decline", "helpful", "unhelpful"]
COMMANDS: tuple[Command, ...] = ("human", "status", "menu", "more", "confirm", "decline", "helpful", "unhelpful")
# Words that only mean something as the answer to the bot's question back, or to an answer's feedback line.
_ANSWERS = ("confirm", "decline", "helpful", "unhelpful")
# Plain numbers pick from the list the bot showed last (or confirm its question back).
MAX_CHOICE = 20
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)
_t2s = opencc.OpenCC("t2s")


class CommandWordsError(ValueError):
    """The command word file is malformed; the message says where."""


class _Words(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exact: list[str] = Field(min_length=1)
    starts_with: list[str] = Field(default_factory=list)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    commands: dict[Command, _Words]


@lru_cache(maxsize=4096)
def squash(text: str) -> str:
    """The text as commands compare it: NFKC, no spaces or punctuation, lower case, Simplified. Remembered:
    one message asks it several times (exact words, then the starts), each an OpenCC conversion."""
    return str(_t2s.convert(_STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()))


class CommandWords:
    """The table, squashed for matching, with each command's first word kept for the bot's texts."""

    def __init__(self, exact: dict[Command, list[str]], starts_with: dict[Command, list[str]]) -> None:
        self.display = {name: words[0] for name, words in exact.items()}
        self._exact: dict[str, Command] = {}
        for name in COMMANDS:
            for word in exact.get(name, []):
                key = squash(word)
                if not key:
                    raise CommandWordsError(f"command {name}: {word!r} is only spaces or punctuation")
                owner = self._exact.setdefault(key, name)
                if owner != name:
                    raise CommandWordsError(f"{word!r} is listed for both {owner} and {name}")
        self._prefixes = [(squash(word), name) for name, words in starts_with.items() for word in words]
        self._prefixes.sort(key=lambda item: -len(item[0]))

    def exact(self, text: str) -> Command | None:
        return self._exact.get(squash(text))

    def starting(self, text: str) -> Command | None:
        squashed = squash(text)
        for prefix, name in self._prefixes:
            if prefix and squashed.startswith(prefix):
                return name
        return None


def load_command_words(path: Path) -> CommandWords:
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise CommandWordsError(f"{path}: {exc}") from exc
    missing = [name for name in COMMANDS if name not in parsed.commands]
    if missing:
        raise CommandWordsError(f"{path}: no words for {', '.join(missing)}")
    words = parsed.commands
    return CommandWords(
        {name: [str(w) for w in words[name].exact] for name in COMMANDS},
        {name: [str(w) for w in words[name].starts_with] for name in COMMANDS},
    )


@cache
def command_words() -> CommandWords:
    return load_command_words(COMMAND_WORDS_PATH)


def word(name: Command) -> str:
    """The word the bot's texts tell users to type for this command."""
    return command_words().display[name]


def choice_number(text: str) -> int | None:
    raw = unicodedata.normalize("NFKC", text).strip()
    if raw.isdigit() and 1 <= int(raw) <= MAX_CHOICE:
        return int(raw)
    return None


def command_of(text: str) -> str | None:
    """Return "human" | "status" | "menu" | "more" | "choice:N" or None for ordinary text.

    "confirm", "decline", "helpful" and "unhelpful" are not returned here: only the handler that asked the question
    back knows whether a "是" is an answer to it (see ``is_confirmation``), and only with the feedback line on is
    "有用" an answer (``handlers.answer_feedback.feedback_of``).
    """
    number = choice_number(text)
    if number is not None:
        return f"choice:{number}"
    words = command_words()
    found = words.exact(text)
    if found is not None and found not in _ANSWERS:
        return found
    started = words.starting(text)
    return started if started is not None and started not in _ANSWERS else None


def is_confirmation(text: str) -> bool:
    return command_words().exact(text) == "confirm"


def is_decline(text: str) -> bool:
    return command_words().exact(text) == "decline"
