"""Recognise the few fixed words users type to steer the bot, in either script and in English."""

from __future__ import annotations

import re
import unicodedata

_HUMAN = {
    "人工",
    "转人工",
    "人工客服",
    "人工服务",
    "真人",
    "客服",
    "找人工",
    "留言",
    "human",
    "agent",
    "staff",
    "轉人工",
    "人工客服務",
    "真人客服",
}
_STATUS = {"查询", "进度", "查询进度", "查进度", "我的留言", "查詢", "進度", "查詢進度", "status", "progress"}
_MENU = {"菜单", "目录", "帮助", "功能", "菜單", "目錄", "幫助", "menu", "help", "?", "？"}
_MORE = {"更多", "继续", "繼續", "more"}
_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def _squash(text: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()


def command_of(text: str) -> str | None:
    """Return "human" | "status" | "menu" | "more" | "choice:N" or None for ordinary text."""
    squashed = _squash(text)
    raw = unicodedata.normalize("NFKC", text).strip()
    if raw.isdigit() and 1 <= int(raw) <= 20:
        return f"choice:{int(raw)}"
    for name, words in (("human", _HUMAN), ("status", _STATUS), ("menu", _MENU), ("more", _MORE)):
        if squashed in words or raw.lower() in words:
            return name
    if squashed.startswith(("转人工", "轉人工", "我要人工", "人工服务", "找人工")):
        return "human"
    return None
