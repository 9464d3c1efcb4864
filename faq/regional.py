"""Regional words read as their mainland forms: 義大利 is 意大利, 戶頭 is 账户, 喺邊度 is 在哪里.

OpenCC's t2s changes characters, not words: 義大利 stays 义大利, 紐西蘭 纽西兰, 身分證 身分证, and
written Cantonese (冇, 喺, 屋企, 揾) is left as it is. The KBs are written in mainland Simplified, so a user
in Hong Kong, Taiwan or the older diaspora would share no word with them. ``config/regional_words.yaml``
lists the words (reviewed data, one entry per word, its mainland form and why); this module checks it and
rewrites text that already went through t2s, longest word first, so a longer listed word (仲裁,
arbitration) is never cut by a shorter one (仲, still).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import opencc
import yaml

from config.settings import REGIONAL_WORDS_PATH


class RegionalWordsError(ValueError):
    """The regional words file is malformed; `problems` names every bad entry."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{path}: the regional words are invalid:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class RegionalWords:
    mainland: dict[str, str]  # regional word (Simplified characters) -> mainland word; a kept word maps to itself
    pattern: re.Pattern[str] | None

    def to_mainland(self, text: str) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(lambda m: self.mainland[m.group(0)], text)


def _cjk(text: str) -> bool:
    return bool(text) and all(
        "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" or "\U00020000" <= c <= "\U0002ffff" for c in text
    )


def _entry_lines(text: str | None) -> tuple[list[int], list[int]]:
    """Line numbers of the words: entries and the keep: items, for messages staff can act on."""
    if text is None:
        return [], []
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return [], []
    lines: dict[str, list[int]] = {"words": [], "keep": []}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value in lines and isinstance(value, yaml.SequenceNode):
                lines[key.value] = [item.start_mark.line + 1 for item in value.value]
    return lines["words"], lines["keep"]


def parse_regional_words(data: Any, path: Path, text: str | None = None) -> RegionalWords:
    """Check every entry (all problems at once) and compile the replacement; `text`, the file's text, lets the
    problems name their lines."""
    word_lines, keep_lines = _entry_lines(text)
    if not isinstance(data, dict) or not isinstance(data.get("words"), list):
        raise RegionalWordsError(path, ["expected a mapping with a 'words' list (and optionally 'keep')"])
    unknown = set(data) - {"words", "keep"}
    problems = [f"unknown key {k!r} (known: keep, words)" for k in sorted(map(str, unknown))]
    t2s = opencc.OpenCC("t2s")
    mainland: dict[str, str] = {}
    for number, item in enumerate(data["words"], start=1):
        line = f"line {word_lines[number - 1]}: " if number <= len(word_lines) else ""
        where = f"{line}words, entry {number}"
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("regional"), str)
            or not isinstance(item.get("mainland"), str)
        ):
            problems.append(f"{where}: needs text fields regional and mainland (and why)")
            continue
        regional, target = item["regional"].strip(), item["mainland"].strip()
        if not _cjk(regional) or not _cjk(target):
            problems.append(f"{where}: {regional!r} -> {target!r}: both sides are Chinese characters only")
        elif str(t2s.convert(regional)) != regional:
            problems.append(
                f"{where}: write {regional!r} in Simplified ({t2s.convert(regional)}): text is converted first"
            )
        elif regional == target:
            problems.append(f"{where}: {regional!r} maps to itself (list it under keep: instead)")
        elif regional in mainland:
            problems.append(f"{where}: {regional!r} is listed twice")
        else:
            mainland[regional] = target
    keep = data.get("keep") or []
    if not isinstance(keep, list):
        problems.append("keep: expected a list of words")
        keep = []
    for number, word in enumerate(keep, start=1):
        line = f"line {keep_lines[number - 1]}: " if number <= len(keep_lines) else ""
        if not isinstance(word, str) or not _cjk(word.strip()):
            problems.append(f"{line}keep, item {number}: {word!r} is not a word of Chinese characters")
        elif word.strip() in mainland:
            problems.append(f"{line}keep, item {number}: {word!r} is also listed under words")
        else:
            mainland[word.strip()] = word.strip()
    if problems:
        raise RegionalWordsError(path, problems)
    keys = sorted(mainland, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys)) if keys else None
    return RegionalWords(mainland, pattern)


def load_regional_words(path: Path) -> RegionalWords:
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RegionalWordsError(Path(path), [f"cannot be read: {exc}"]) from None
    return parse_regional_words(data, Path(path), text)


@cache
def regional_words() -> RegionalWords:
    """The shipped file, read and checked once per process."""
    return load_regional_words(REGIONAL_WORDS_PATH)
