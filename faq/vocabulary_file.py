"""The vocabulary file's format: ``config/faq_vocabulary.yaml`` read and validated into one frozen object.

The words people use for a visa, a passport or a pension are knowledge about the domain that staff
maintain, not code. faq.vocabulary assembles the served vocabulary from this file and the data files that
extend it (faq.places), which build on this module. Every problem is reported at once, each with the file,
the line and the key ("concepts.passport, item 3"), so whoever broke the file fixes it in one round; a broken
file is refused, never half-used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_CONCEPT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Lists of words beside the concepts, in the order the file holds them.
_WORD_LISTS = ("opinion_cues", "question_cues", "stopwords", "fillers", "greetings", "thanks", "byes")
_KEYS = frozenset(
    {
        "concepts",
        "china_anchors",
        "situation_concepts",
        "generic_concepts",
        "english_irregular",
        "english_split_forms",
        *_WORD_LISTS,
    }
)
_ENGLISH_WORD = re.compile(r"^[a-z]+$")
# "get … back": a verb, the gap (… or ...), a particle; each one lower-case English word.
_SPLIT_FORM = re.compile(r"^([a-z]+) +(?:…|\.\.\.) +([a-z]+)$")


class VocabularyError(ValueError):
    """A staff-maintained word file is malformed; `problems` holds every one, each naming its line and key.
    `kind` names the file's kind in the message (the vocabulary, the flow cues, the China places), so whoever
    reads the error opens the right file."""

    def __init__(self, path: Path, problems: list[str], kind: str = "FAQ vocabulary") -> None:
        self.path = path
        self.kind = kind
        self.problems = tuple(problems)
        super().__init__(f"{path}: the {kind} is invalid:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Vocabulary:
    concepts: Mapping[str, tuple[str, ...]]  # concept id -> surface forms, in file order
    # Concepts that tie a message naming a foreign place back to what the hotline handles.
    china_anchors: frozenset[str]
    opinion_cues: tuple[str, ...]
    stopwords: frozenset[str]
    fillers: tuple[str, ...]
    greetings: tuple[str, ...]
    thanks: tuple[str, ...]
    byes: tuple[str, ...]
    # Irregular English forms and spelling variants -> the form the vocabulary lists (came -> come).
    english_irregular: Mapping[str, str] = field(default_factory=dict)
    # Words that make a clause ask or say what the user wants (faq.focus): the story around it weighs less.
    question_cues: tuple[str, ...] = ()
    # Concepts saying who and where the user is: never weighed down as a story's narration (faq.focus).
    situation_concepts: frozenset[str] = frozenset()
    # Concepts that ask how/where/what it takes without naming a topic (faq.focus).
    generic_concepts: frozenset[str] = frozenset()
    # English phrasal verbs whose object may stand between verb and particle ("get my hukou back"):
    # concept id -> (verb, particle) pairs, in file order (faq.english.EnglishForms.split_at reads them).
    english_split_forms: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


class _Lines:
    """Line numbers of the document's keys and list items, from PyYAML's node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._lines: dict[tuple[str | int, ...], int] = {}
        if root is not None:
            self._walk(root, ())

    def _walk(self, node: yaml.Node, where: tuple[str | int, ...]) -> None:
        self._lines[where] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*where, str(key.value))
                self._walk(value, child)
                self._lines[child] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*where, i))

    def of(self, where: tuple[str | int, ...]) -> int:
        while where and where not in self._lines:
            where = where[:-1]
        return self._lines.get(where, 1)


class _Checker:
    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.problems: list[str] = []

    def problem(self, where: tuple[str | int, ...], message: str) -> None:
        self.problems.append(f"line {self.lines.of(where)}: {_key_name(where)}: {message}")

    def word_map(self, value: Any, where: tuple[str | int, ...]) -> dict[str, str]:
        """A mapping of one lower-case English word to another (english_irregular)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(where, f"expected a mapping of word: word, got {_kind(value)}")
            return {}
        out: dict[str, str] = {}
        for key, target in value.items():
            at = (*where, str(key))
            if not isinstance(key, str) or not isinstance(target, str):
                self.problem(at, f"{key!r}: {target!r}: both sides must be text (put yes/no/numbers in quotes)")
            elif not _ENGLISH_WORD.match(key) or not _ENGLISH_WORD.match(target):
                self.problem(at, f"{key!r}: {target!r}: each side is one lower-case English word (a-z only)")
            elif key == target:
                self.problem(at, f"{key!r} maps to itself")
            else:
                out[key] = target
        for key, target in out.items():
            if target in out:
                self.problem((*where, key), f"{key!r} -> {target!r}, which is itself mapped: map {key!r} directly")
        return out

    def split_forms(
        self, value: Any, where: tuple[str | int, ...], concepts: Mapping[str, tuple[str, ...]]
    ) -> dict[str, tuple[tuple[str, str], ...]]:
        """Concept id -> list of "verb … particle" (english_split_forms). One verb and particle pair means one
        concept: listed under two, the reading would depend on the file's order."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(where, f"expected a mapping of concept id: [verb … particle, …], got {_kind(value)}")
            return {}
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        owner: dict[tuple[str, str], str] = {}
        for name, items in value.items():
            at = (*where, str(name))
            if str(name) not in concepts:
                self.problem(at, f"{name!r} is not a concept defined under concepts:")
                continue
            pairs: list[tuple[str, str]] = []
            for i, item in enumerate(self.words(items, at, required=True)):
                match = _SPLIT_FORM.match(item)
                if match is None:
                    self.problem(
                        (*at, i),
                        f"{item!r}: write a verb, … (or ...) and a particle, each one lower-case English word "
                        "(get … back)",
                    )
                    continue
                verb, particle = match.group(1), match.group(2)
                if verb == particle:
                    self.problem((*at, i), f"{item!r}: the verb and the particle are the same word")
                elif (verb, particle) in owner:
                    self.problem((*at, i), f"{item!r} is already listed under {owner[verb, particle]!r}")
                else:
                    owner[verb, particle] = str(name)
                    pairs.append((verb, particle))
            out[str(name)] = tuple(pairs)
        return out

    def words(self, value: Any, where: tuple[str | int, ...], *, required: bool) -> tuple[str, ...]:
        """A list of non-empty texts without repeats; anything else is a problem at its line."""
        if value is None and not required:
            return ()
        if not isinstance(value, list):
            self.problem(where, f"expected a list of words, got {_kind(value)}")
            return ()
        out: list[str] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            if not isinstance(item, str):
                # yes/no/on/off and numbers are not text to YAML: say how to write them.
                self.problem((*where, i), f"item {i + 1} is {_kind(item)} ({item!r}), not text: put it in quotes")
            elif not item.strip():
                self.problem((*where, i), f"item {i + 1} is empty")
            elif item.strip() in seen:
                self.problem((*where, i), f"item {i + 1} {item!r} is listed twice")
            else:
                seen.add(item.strip())
                out.append(item.strip())
        if required and not value:
            self.problem(where, "needs at least one word")
        return tuple(out)


def _key_name(where: tuple[str | int, ...]) -> str:
    parts = [str(p) for p in where if isinstance(p, str)]
    return ".".join(parts) or "(top level)"


def kind_of(value: Any) -> str:
    """What a YAML value is, in the words a staff member reads ("a yes/no value", "a number")."""
    return _kind(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def parse_vocabulary(text: str, path: Path) -> Vocabulary:
    """Validate the file's text; raise VocabularyError listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise VocabularyError(path, [f"{line}not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    check = _Checker(_Lines(root))
    if not isinstance(data, dict):
        raise VocabularyError(path, [f"line 1: the file must be a mapping with a concepts: key, got {_kind(data)}"])
    for key in data:
        if key not in _KEYS:
            check.problem((str(key),), f"unknown key (known: {', '.join(sorted(_KEYS))})")
    concepts: dict[str, tuple[str, ...]] = {}
    raw = data.get("concepts")
    if not isinstance(raw, dict) or not raw:
        check.problem(("concepts",), "missing or empty: the file needs concept id -> list of words")
        raw = {}
    for name, forms in raw.items():
        if not isinstance(name, str) or not _CONCEPT_ID.match(name):
            check.problem(("concepts", str(name)), "a concept id is lower-case letters, digits and _")
            continue
        concepts[name] = check.words(forms, ("concepts", name), required=True)
    anchors = check.words(data.get("china_anchors"), ("china_anchors",), required=False)
    situation = check.words(data.get("situation_concepts"), ("situation_concepts",), required=False)
    generic = check.words(data.get("generic_concepts"), ("generic_concepts",), required=False)
    for key, names in (("china_anchors", anchors), ("situation_concepts", situation), ("generic_concepts", generic)):
        for i, name in enumerate(names):
            if name not in concepts:
                check.problem((key, i), f"{name!r} is not a concept defined under concepts:")
    lists = {key: check.words(data.get(key), (key,), required=False) for key in _WORD_LISTS}
    irregular = check.word_map(data.get("english_irregular"), ("english_irregular",))
    split = check.split_forms(data.get("english_split_forms"), ("english_split_forms",), concepts)
    if check.problems:
        raise VocabularyError(path, check.problems)
    return Vocabulary(
        concepts=concepts,
        china_anchors=frozenset(anchors),
        opinion_cues=lists["opinion_cues"],
        stopwords=frozenset(lists["stopwords"]),
        fillers=lists["fillers"],
        greetings=lists["greetings"],
        thanks=lists["thanks"],
        byes=lists["byes"],
        english_irregular=irregular,
        question_cues=lists["question_cues"],
        situation_concepts=frozenset(situation),
        generic_concepts=frozenset(generic),
        english_split_forms=split,
    )


def read_word_file(path: Path, kind: str = "FAQ vocabulary") -> str:
    """A staff-maintained word file's text; one that cannot be read is a VocabularyError naming it, like one
    that is malformed."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabularyError(Path(path), [f"cannot be read: {exc}"], kind) from None


def load_vocabulary(path: Path) -> Vocabulary:
    return parse_vocabulary(read_word_file(path), Path(path))
