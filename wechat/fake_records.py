"""What the fake WeChat API remembers: calls, delivered messages, template messages, mass jobs, tokens,
followers and injected faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from wechat.fake_rules import JsonDict


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str  # without the "/cgi-bin/" prefix, e.g. "message/custom/send"
    query: dict[str, str]
    json: Any
    at: datetime


@dataclass(frozen=True)
class DeliveredMessage:
    """A customer-service message WeChat accepted for delivery."""

    seq: int
    openid: str
    msgtype: str
    payload: JsonDict
    at: datetime

    @property
    def text(self) -> str | None:
        body = self.payload.get("text")
        return str(body.get("content")) if isinstance(body, dict) and "content" in body else None

    def as_json(self) -> JsonDict:
        return {
            "seq": self.seq,
            "openid": self.openid,
            "msgtype": self.msgtype,
            "payload": self.payload,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class StoredMedia:
    media_id: str
    kind: str  # image | voice | video | shortvideo | thumb | file
    content: bytes
    content_type: str
    filename: str
    created_at: datetime
    origin: str  # "user" (sent with a message) or "upload" (media/upload)


@dataclass(frozen=True)
class TemplateMessage:
    msgid: int
    openid: str
    template_id: str
    data: JsonDict
    url: str | None
    at: datetime


@dataclass
class MassJob:
    msg_id: int
    msg_data_id: int | None
    clientmsgid: str
    payload: JsonDict
    at: datetime
    total_count: int
    recipients: list[str]
    status: str = "SEND_SUCCESS"

    @property
    def filter_count(self) -> int:
        return len(self.recipients)


@dataclass(frozen=True)
class _Fault:
    errcode: int | None
    http_status: int | None
    delay: float
    errmsg: str | None


@dataclass
class _Token:
    value: str
    kind: Literal["basic", "stable"]
    expires_at: datetime
    invalid_after: datetime | None = None  # superseded or revoked tokens stop working here (40001)


@dataclass
class _Follower:
    openid: str
    subscribed: bool
    since: datetime
    tags: list[int] = field(default_factory=list)
    last_interaction: datetime | None = None
    replies_since_interaction: int = 0
    mass_received: list[datetime] = field(default_factory=list)
