"""Whether a text contains any of a list of words, in one regular-expression search.

The triage and specific-case cues are lists of tens to a hundred words, and every text message is checked
against several of them, often more than once: ``any(word in text for word in words)`` runs a Python step per
word, where one search over their alternation runs in C (about 2-3 µs against 0.2-0.5 µs for the cue lists).
The answer is the same: a match exists exactly when one of the words occurs in the text (an empty word occurs
in every text, and matches the empty alternative).
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class AnyWord:
    __slots__ = ("_search",)

    def __init__(self, words: Iterable[str]) -> None:
        alternatives = [re.escape(word) for word in words]
        self._search = re.compile("|".join(alternatives)).search if alternatives else None

    def __call__(self, text: str) -> bool:
        return self._search is not None and self._search(text) is not None
