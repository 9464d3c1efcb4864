"""Turn a verified callback dict into wechatpy's message classes, and derive the key WeChat retries under."""

from __future__ import annotations

from typing import Any

from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage

from bot.protocol import ProtocolError

REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


def build_message(data: dict[str, Any]) -> BaseMessage:
    """Same dispatch as ``wechatpy.parse_message``, but from our already-parsed, DTD-free dict."""
    missing = [name for name in REQUIRED if not isinstance(data.get(name), str) or not data.get(name)]
    if missing:
        raise ProtocolError(400, "message lacks required fields", f"missing {missing}")
    if not str(data["CreateTime"]).isdigit():
        raise ProtocolError(400, "message lacks required fields", "CreateTime is not a number")
    message_type = data["MsgType"].lower()
    if message_type != "event":
        message_class = MESSAGE_TYPES.get(message_type, UnknownMessage)
        return message_class(data)
    event_type = str(data.get("Event", "")).lower()
    if event_type == "subscribe":
        event_key = data.get("EventKey") or ""
        if isinstance(event_key, str) and event_key.startswith("qrscene_"):
            data = {**data, "Event": "subscribe_scan", "EventKey": event_key[len("qrscene_") :]}
            event_type = "subscribe_scan"
    return EVENT_TYPES.get(event_type, UnknownMessage)(data)


def dedupe_key(data: dict[str, Any]) -> str:
    """WeChat retries a message with the same MsgId; events have none, so it documents
    FromUserName + CreateTime as their identity (“排重”, 接收普通消息 / 接收事件推送). Event and EventKey are
    added because two different events from one user can share a second."""
    sender = data.get("FromUserName", "")
    msg_id = data.get("MsgId") or data.get("MsgID")
    if msg_id and data.get("MsgType") != "event":
        return f"m:{sender}:{msg_id}"
    return f"e:{sender}:{data.get('CreateTime', '')}:{data.get('Event', '')}:{data.get('EventKey') or ''}"
