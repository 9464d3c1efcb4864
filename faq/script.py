"""Which Chinese script a user writes in, so answers go back in the same script.

Users from Hong Kong, Taiwan and older Southeast Asian communities write Traditional;
an answer in Simplified reads as careless to them.
"""

from __future__ import annotations

import re
import threading

import opencc

from faq.normalize import is_cjk_char

_lock = threading.Lock()
_s2t: opencc.OpenCC | None = None
_t2s_check: opencc.OpenCC | None = None


def _converters() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    global _s2t, _t2s_check
    with _lock:
        if _s2t is None or _t2s_check is None:
            # s2hk keeps the forms people actually write (台灣, 為) rather than s2t's 臺灣, 爲
            _s2t = opencc.OpenCC("s2hk")
            _t2s_check = opencc.OpenCC("t2s")
        return _s2t, _t2s_check


def _count_changed(text: str, converter: opencc.OpenCC) -> int:
    """Chinese characters the converter would change (phrase-aware when lengths allow)."""
    converted = str(converter.convert(text))
    if len(text) != len(converted):  # a phrase mapping changed length: fall back to per char
        return sum(1 for c in text if is_cjk_char(c) and str(converter.convert(c)) != c)
    return sum(1 for a, b in zip(text, converted, strict=True) if a != b and is_cjk_char(a))


def is_traditional(text: str) -> bool:
    """True when the text has more Traditional-only than Simplified-only characters.

    Most characters are shared by both scripts, so only the characters that a
    conversion would change are evidence; a tie (e.g. no Chinese at all) means
    Simplified, the hotline's default.
    """
    s2t, t2s = _converters()
    traditional_only = _count_changed(text, t2s)
    simplified_only = _count_changed(text, s2t)
    return traditional_only > simplified_only


# OpenCC's phrase table turns 别着急 into 彆着急; 彆 belongs only to 彆扭 (awkward). Every other 别 (don't, other,
# farewell) is 別.
_BIE = re.compile("彆(?!扭)")


def to_traditional(text: str) -> str:
    s2t, _ = _converters()
    return _BIE.sub("別", str(s2t.convert(text)))
