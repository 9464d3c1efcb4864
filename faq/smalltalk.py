"""Recognise messages that are only a greeting, thanks or goodbye.

These must not become tickets: the bot greets back instead.  A greeting *plus* a
question ("你好，护照丢了") is not small talk; fillers are stripped and the rest matched.
"""

from __future__ import annotations

import re
from typing import Literal

from faq.lexicon import BYES, GREETINGS, THANKS
from faq.normalize import normalize_text

SmallTalk = Literal["greeting", "thanks", "bye"]

_THANKS_EMOJI = frozenset("👍🙏💐🌹❤♥😊🙂👌🤝")
_BYE_EMOJI = frozenset("👋")
_NOISE = frozenset("啊呀哦喔嗯哈啦嘛呢吧的了好")


def _phrases(items: tuple[str, ...]) -> list[str]:
    return sorted({normalize_text(p).replace(" ", "") for p in items if normalize_text(p)}, key=len, reverse=True)


_KINDS: tuple[tuple[SmallTalk, list[str]], ...] = (
    ("bye", _phrases(BYES)),
    ("thanks", _phrases(THANKS)),
    ("greeting", _phrases(GREETINGS)),
)
_REPEATS = re.compile(r"(.)\1+")


def classify_smalltalk(text: str) -> SmallTalk | None:
    """The kind of small talk if the message is nothing else, otherwise None."""
    emoji = {c for c in text if c in _THANKS_EMOJI or c in _BYE_EMOJI}
    rest = normalize_text(text).replace(" ", "")
    found: set[SmallTalk] = set()
    if emoji & _BYE_EMOJI:
        found.add("bye")
    if emoji & _THANKS_EMOJI:
        found.add("thanks")
    changed = True
    while rest and changed:
        changed = False
        for kind, phrases in _KINDS:
            for phrase in phrases:
                if phrase in rest:
                    rest = rest.replace(phrase, "")
                    found.add(kind)
                    changed = True
    rest = "".join(c for c in _REPEATS.sub(r"\1", rest) if c not in _NOISE)
    if rest or not found:
        return None
    for kind in ("bye", "thanks", "greeting"):
        if kind in found:
            return kind  # type: ignore[return-value]
    return None
