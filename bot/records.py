"""What a handled message leaves behind, as one ``Closing``: the dedupe result, the message-log records, the
follower's state, the user's recent text, and writes deferred until the database is back."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from wechatpy.messages import BaseMessage

from bot.closing import Closing
from bot.dedupe import DONE_PREFIX
from bot.replies import text_reply_xml
from storage.activity import (
    FOLLOWER_TTL_S,
    QUEUE_KEY,
    RECENT_KEEP,
    RECENT_PREFIX,
    RECENT_TTL_S,
    ActivityLog,
    FollowerState,
    RecentMessage,
)

if TYPE_CHECKING:
    from bot.bootstrap import Services


def build_closing(
    services: Services,
    message: BaseMessage,
    key: str,
    now: datetime,
    follower: FollowerState | None,
    main: str,
    meta: dict[str, Any],
    deferred: list[str],
    delete_keys: list[str] | None = None,
    sent: str | None = None,
    set_keys: dict[str, tuple[str, int]] | None = None,
) -> Closing:
    """``sent``: what the bot replied when it was not the passive reply (a late or pushed reply), for the
    user's recent list that a later ticket takes its context from."""
    openid = str(message.source)
    xml = text_reply_xml(openid, str(message.target), main, now.timestamp()) if main else ""
    at = now.isoformat()
    records = [inbound_record(message, key, now, at)]
    if main:
        records.append(
            {
                "key": f"{key}:out",
                "openid": openid,
                "direction": "out",
                "channel": "passive",
                "msg_type": "text",
                "content": main,
                "meta": meta or None,
                "at": at,
            }
        )
    unsubscribing = getattr(message, "event", None) == "unsubscribe"
    serialized, follower_json = ActivityLog.records(records, follower, None if unsubscribing else now)
    return Closing(
        dedupe_key=services.dedupe.full_key(key),
        done_value=DONE_PREFIX + xml.encode("utf-8"),
        done_ttl_s=services.dedupe.done_ttl_s,
        queue_key=QUEUE_KEY,
        follower_key=ActivityLog.follower_key(openid),
        follower_json=follower_json,
        follower_ttl_s=FOLLOWER_TTL_S,
        recent_key=RECENT_PREFIX + openid,
        recent_text=recent_record(message, now, main or sent or ""),
        recent_keep=RECENT_KEEP,
        recent_ttl_s=RECENT_TTL_S,
        records=serialized,
        delete_keys=delete_keys or [],
        set_keys=[(key, value, ttl) for key, (value, ttl) in (set_keys or {}).items()],
        deferred=deferred,
        sender_key=services.dedupe.sender_key(openid),
    )


def recent_record(message: BaseMessage, now: datetime, reply: str) -> str:
    """The user's text as written, its time and the bot's reply ("" = nothing to remember)."""
    text = user_text(message)
    return RecentMessage(text[:1000], now, reply).to_json() if text else ""


def user_text(message: BaseMessage) -> str | None:
    if message.type == "text":
        return str(message.content or "") or None
    if message.type == "voice":
        return str(getattr(message, "recognition", "") or "") or None
    return None


def inbound_record(message: BaseMessage, key: str, now: datetime, at: str | None = None) -> dict[str, object]:
    """``at``: ``now.isoformat()`` when the caller has it already."""
    data = message._data
    msg_type = str(data.get("MsgType", "")).lower()
    if msg_type == "event":
        content = f"{data.get('Event', '')} {data.get('EventKey') or ''}".strip()
    elif msg_type == "voice":
        content = str(data.get("Recognition") or "")
    else:
        content = str(data.get("Content") or data.get("Url") or data.get("PicUrl") or data.get("Label") or "")
    return {
        "key": f"{key}:in",
        "openid": str(message.source),
        "direction": "in",
        "channel": "webhook",
        "msg_type": msg_type[:32],
        "wechat_msg_id": str(data.get("MsgId") or "")[:64] or None,
        "content": content,
        "meta": {"dedupe": key},
        "at": at if at is not None else now.isoformat(),
    }
