"""Recognise messages that are only a greeting, thanks or goodbye.

These must not become tickets: the bot greets back instead.  A greeting *plus* a
question ("你好，护照丢了") is not small talk; fillers are stripped and the rest matched.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from faq.normalize import normalize_text
from faq.vocabulary import vocabulary

SmallTalk = Literal["greeting", "thanks", "bye"]

_THANKS_EMOJI = frozenset("👍🙏💐🌹❤♥😊🙂👌🤝")
_BYE_EMOJI = frozenset("👋")
_NOISE = frozenset("啊呀哦喔嗯哈啦嘛呢吧的了好您你们大家各位")
# Words that soften small talk without adding a request ("thanks a lot", "hi there").
_SOFTENERS = ("alot", "somuch", "verymuch", "there", "everyone", "all", "guys", "you")


@cache
def _phrases() -> list[tuple[str, SmallTalk]]:
    """All phrases, longest first across kinds, so 你好 is not eaten as 好 (an okay)."""
    words = vocabulary()
    kinds: tuple[tuple[SmallTalk, tuple[str, ...]], ...] = (
        ("bye", words.byes),
        ("thanks", words.thanks),
        ("greeting", words.greetings),
    )
    out = {normalize_text(p).replace(" ", ""): kind for kind, items in kinds for p in items}
    return sorted(((p, k) for p, k in out.items() if p), key=lambda pk: len(pk[0]), reverse=True)


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
    for phrase, kind in _phrases():
        if phrase in rest:
            rest = rest.replace(phrase, "")
            found.add(kind)
    if found:
        for softener in _SOFTENERS:
            rest = rest.replace(softener, "")
    rest = "".join(c for c in _REPEATS.sub(r"\1", rest) if c not in _NOISE)
    if rest or not found:
        return None
    for kind in ("bye", "thanks", "greeting"):
        if kind in found:
            return kind
    return None
