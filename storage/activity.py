"""What happened in conversations, written behind the webhook: the message log and followers' state.

The webhook must answer within WeChat's 5 seconds and at thousands of messages a second, so it does not
write these rows itself. It queues each record in Redis in the same MULTI that marks the message handled
(so a message is marked handled exactly when its records are queued), and a flusher moves them into the
database in batches. Records carry a unique key, so a flusher that dies between its insert and its trim
repeats nothing. Followers' state is also cached in Redis, so a message needs no database read either.
"""

from __future__ import annotations

import json
import json.encoder
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Follower, MessageLog

log = logging.getLogger(__name__)

QUEUE_KEY = "qiaobot:activity"
FOLLOWER_PREFIX = "qiaobot:follower:"
RECENT_PREFIX = "qiaobot:recent:"
FOLLOWER_TTL_S = 7 * 24 * 3600
RECENT_TTL_S = 30 * 60
RECENT_KEEP = 6
# What of the bot's reply the recent list keeps for a ticket's context: enough to see which answer it was.
RECENT_REPLY_CHARS = 300


def _encoder(*, ensure_ascii: bool, default: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=…, default=…).encode`` (default separators), with its C encoder built once.

    ``JSONEncoder.encode`` builds a new C encoder (and a dict for the circular-reference check) on every call, about
    a third of encoding a message-log record; a message serialises four or five such values (its records, the
    follower's state, its recent text). The text is the same: these values are plain dicts, lists, strings,
    numbers and None, never circular (a circular one would raise RecursionError here instead of ValueError).
    Without the C module, the standard encoder."""
    standard = json.JSONEncoder(ensure_ascii=ensure_ascii, default=default)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return standard.encode
    strings = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    iterencode = make(None, standard.default, strings, None, ": ", ", ", False, False, True)

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode


_ENCODE_TEXT = _encoder(ensure_ascii=False)
_ENCODE_RECORD = _encoder(ensure_ascii=False, default=str)
_ENCODE_ASCII = _encoder(ensure_ascii=True)  # as json.dumps() with no options


@dataclass(frozen=True)
class RecentMessage:
    """One of the user's recent texts: when it came, what it said (as written) and what the bot replied."""

    text: str
    at: datetime | None = None
    reply: str = ""

    def to_json(self) -> str:
        at = self.at.isoformat() if self.at is not None else None
        return _ENCODE_TEXT({"text": self.text, "at": at, "reply": self.reply[:RECENT_REPLY_CHARS]})

    @classmethod
    def from_json(cls, raw: bytes | str) -> RecentMessage:
        value = raw.decode() if isinstance(raw, bytes) else raw
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            return cls(text=value)  # written by a version that kept the bare text
        at = datetime.fromisoformat(data["at"]) if isinstance(data.get("at"), str) else None
        return cls(text=data["text"], at=at, reply=str(data.get("reply") or ""))


@dataclass
class FollowerState:
    """What handlers know and change about a follower; written back through the activity queue."""

    openid: str
    script: str = "hans"
    subscribed: bool = True
    subscribed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    subscribe_scene: str | None = None

    # Written out by hand: dataclasses.asdict/fields cost more than the rest of a cache hit.
    def to_json(self) -> str:
        return _ENCODE_ASCII(
            {
                "openid": self.openid,
                "script": self.script,
                "subscribed": self.subscribed,
                "subscribed_at": self.subscribed_at.isoformat() if self.subscribed_at else None,
                "unsubscribed_at": self.unsubscribed_at.isoformat() if self.unsubscribed_at else None,
                "subscribe_scene": self.subscribe_scene,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> FollowerState:
        data = json.loads(raw)
        subscribed_at, unsubscribed_at = data.get("subscribed_at"), data.get("unsubscribed_at")
        return cls(
            openid=data["openid"],
            script=data.get("script", "hans"),
            subscribed=bool(data.get("subscribed", True)),
            subscribed_at=datetime.fromisoformat(subscribed_at) if subscribed_at else None,
            unsubscribed_at=datetime.fromisoformat(unsubscribed_at) if unsubscribed_at else None,
            subscribe_scene=data.get("subscribe_scene"),
        )

    @classmethod
    def from_row(cls, row: Follower) -> FollowerState:
        return cls(
            openid=row.openid,
            script=row.script,
            subscribed=row.subscribed,
            subscribed_at=row.subscribed_at,
            unsubscribed_at=row.unsubscribed_at,
            subscribe_scene=row.subscribe_scene,
        )


async def stored_follower(sessions: async_sessionmaker[AsyncSession], openid: str) -> FollowerState:
    """The database's copy of a follower's state (defaults for one never stored)."""
    async with sessions() as session:
        row = await session.get(Follower, openid)
    return FollowerState.from_row(row) if row is not None else FollowerState(openid=openid)


class ActivityLog:
    def __init__(self, redis: aioredis.Redis, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.redis = redis
        self.sessions = sessions

    @staticmethod
    def follower_key(openid: str) -> str:
        return FOLLOWER_PREFIX + openid

    async def follower(self, openid: str, cached: bytes | None = None) -> FollowerState:
        """The follower's state: ``cached`` when the caller already read the cache key, else Redis, else the
        database (then cached)."""
        raw = cached if cached is not None else await self.redis.get(FOLLOWER_PREFIX + openid)
        if raw is not None:
            return FollowerState.from_json(raw)
        async with self.sessions() as session:
            row = await session.get(Follower, openid)
        state = FollowerState.from_row(row) if row is not None else FollowerState(openid=openid)
        await self.redis.set(FOLLOWER_PREFIX + openid, state.to_json(), ex=FOLLOWER_TTL_S)
        return state

    async def recent_messages(self, openid: str) -> list[RecentMessage]:
        """The user's last few texts with their times and the bot's replies, oldest first (a hand-over's
        context)."""
        items = await self.redis.lrange(RECENT_PREFIX + openid, 0, -1)
        return [RecentMessage.from_json(item) for item in reversed(items)]

    @staticmethod
    def records(
        messages: list[dict[str, Any]], follower: FollowerState | None, interacted_at: datetime | None
    ) -> tuple[list[str], str]:
        """Serialised queue records for one handled message, and the follower's state JSON. ``follower`` is
        None when its state could not be read (an outage): then nothing about the follower is written, rather
        than defaults over what is stored."""
        records = [_ENCODE_RECORD({"t": "msg", **message}) for message in messages]
        if follower is None:
            return records, ""
        follower_json = follower.to_json()
        records.append(
            '{"t": "follower", "state": '
            + follower_json
            + ', "at": '
            + (_ENCODE_ASCII(interacted_at.isoformat()) if interacted_at else "null")
            + "}"
        )
        return records, follower_json

    async def flush(self, batch: int = 1000) -> int:
        """Move queued records into the database; returns how many. One flusher at a time (a Redis lock)."""
        lock = self.redis.lock("qiaobot:activity:flush", timeout=60, blocking_timeout=5)
        if not await lock.acquire():
            return 0
        moved = 0
        try:
            while True:
                raw = await self.redis.lrange(QUEUE_KEY, 0, batch - 1)
                if not raw:
                    return moved
                await self._write([json.loads(item) for item in raw])
                await self.redis.ltrim(QUEUE_KEY, len(raw), -1)
                moved += len(raw)
                if len(raw) < batch:
                    return moved
        finally:
            await lock.release()

    async def _write(self, records: list[dict[str, Any]]) -> None:
        messages = [r for r in records if r["t"] == "msg"]
        followers: dict[str, tuple[dict[str, Any], str | None]] = {}
        for record in records:
            if record["t"] == "follower":
                openid = record["state"]["openid"]
                previous_at = followers.get(openid, (None, None))[1]
                at = max(filter(None, (previous_at, record["at"])), default=None)
                followers[openid] = (record["state"], at)
        async with self.sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            if messages:
                rows = [
                    {
                        "record_key": m["key"],
                        "openid": m["openid"],
                        "direction": m["direction"],
                        "channel": m["channel"],
                        "msg_type": m["msg_type"],
                        "wechat_msg_id": m.get("wechat_msg_id"),
                        "content": m.get("content") or "",
                        "meta": m.get("meta"),
                        "created_at": datetime.fromisoformat(m["at"]),
                    }
                    for m in messages
                ]
                await session.execute(
                    insert(MessageLog).on_conflict_do_nothing(index_elements=["record_key"]),
                    rows,
                )
            if followers:
                await session.execute(
                    _follower_upsert(insert, dialect),
                    [
                        _follower_row(state, datetime.fromisoformat(at) if at else None)
                        for state, at in followers.values()
                    ],
                )


def _follower_row(state: dict[str, Any], interacted: datetime | None) -> dict[str, Any]:
    def when(name: str) -> datetime | None:
        value = state.get(name)
        return datetime.fromisoformat(value) if value else None

    return {
        "openid": state["openid"],
        "script": state["script"],
        "subscribed": bool(state["subscribed"]),
        "subscribe_scene": state.get("subscribe_scene"),
        "subscribed_at": when("subscribed_at"),
        "unsubscribed_at": when("unsubscribed_at"),
        "last_interaction_at": interacted,
        "created_at": interacted or datetime.now(UTC),
    }


def _follower_upsert(insert: Any, dialect: str) -> Any:
    """One statement for the whole batch; the newest interaction wins whatever order batches arrive in."""
    statement = insert(Follower)
    new, old = statement.excluded.last_interaction_at, Follower.last_interaction_at
    newest = func.greatest if dialect == "postgresql" else func.max
    return statement.on_conflict_do_update(
        index_elements=["openid"],
        set_={
            "script": statement.excluded.script,
            "subscribed": statement.excluded.subscribed,
            "subscribe_scene": statement.excluded.subscribe_scene,
            "subscribed_at": statement.excluded.subscribed_at,
            "unsubscribed_at": statement.excluded.unsubscribed_at,
            "last_interaction_at": newest(func.coalesce(old, new), func.coalesce(new, old)),
        },
    )
