"""WeChat truncates a passive text reply beyond 2048 bytes (“回复文本消息” Content 不超过2048个字节), so long
answers are cut at a line or sentence boundary and the rest is kept for “更多”."""

from __future__ import annotations

REPLY_LIMIT_BYTES = 2048
_BREAKS = ("\n", "。", "！", "？", "；", ".", "!", "?", ";", "，", ",", " ")


def split_for_wechat(text: str, limit: int = REPLY_LIMIT_BYTES, reserve: int = 0) -> list[str]:
    """Split ``text`` into chunks of at most ``limit - reserve`` UTF-8 bytes, preferring natural breaks."""
    budget = limit - reserve
    if budget < 16:
        raise ValueError("limit too small")
    chunks: list[str] = []
    rest = text
    while len(rest.encode("utf-8")) > budget:
        cut = _fit(rest, budget)
        window = rest[:cut]
        best = max(window.rfind(mark) for mark in _BREAKS)
        if best >= cut // 2:
            cut = best + 1
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _fit(text: str, budget: int) -> int:
    """Largest prefix length whose UTF-8 encoding fits in ``budget`` bytes."""
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode("utf-8"))
        if size > budget:
            return index
    return len(text)
