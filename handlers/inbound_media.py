"""A picture, voice, video or file in a user's message, as the help desk needs it (official 接收普通消息:
image has ``PicUrl`` and ``MediaId``; voice ``MediaId``, ``Format`` (amr) and, with 语音识别 on,
``Recognition``; video and shortvideo ``MediaId`` and ``ThumbMediaId``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wechatpy.messages import BaseMessage

MEDIA_KINDS = ("image", "voice", "video", "shortvideo", "file")
KIND_NAMES = {"image": "图片", "voice": "语音", "video": "视频", "shortvideo": "小视频", "file": "文件"}


@dataclass(frozen=True)
class InboundMedia:
    kind: str
    media_id: str
    received_at: datetime
    recognition: str | None = None
    filename: str | None = None

    @property
    def name(self) -> str:
        return KIND_NAMES.get(self.kind, "文件")

    def thread_line(self) -> str:
        """How the message reads in the ticket's conversation."""
        if self.kind == "voice" and self.recognition:
            return f"[语音] {self.recognition}"
        if self.filename:
            return f"[{self.name}] {self.filename}"
        return f"[{self.name}]"


def media_of(message: BaseMessage, now: datetime) -> InboundMedia | None:
    data = getattr(message, "_data", {}) or {}
    kind = str(data.get("MsgType", getattr(message, "type", "")) or "").lower()
    media_id = str(data.get("MediaId") or "").strip()
    if kind not in MEDIA_KINDS or not media_id:
        return None
    recognition = str(data.get("Recognition") or "").strip() or None
    filename = str(data.get("Title") or data.get("FileName") or "").strip() or None
    received = getattr(message, "create_time", None)
    at = received if isinstance(received, datetime) and received.tzinfo is not None else now
    return InboundMedia(kind, media_id, min(at, now), recognition, filename)

