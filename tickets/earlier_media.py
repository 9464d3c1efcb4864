"""Files a user sends before they have a ticket, kept for the ticket they open a moment later.

Users often photograph a document first and then ask for a person (“人工”). The bot cannot read the picture and
there is no ticket to put it on, so it would be lost: the message log records that a picture came (its PicUrl,
written behind the webhook), not the WeChat ``media_id`` a download needs, and the media itself lives on WeChat's
side for three days. So such a file waits in a short Redis list of the user's own
(``qiaobot:earlier-media:<openid>``, at most ``KEEP`` entries) for ``QIAOBOT_HANDOVER_MEDIA_WINDOW_MINUTES`` (10)
and no longer (after a “人工” that asked for the question, as long as the desk waits for it, and the window then
counts back from the “人工”). A ticket the user opens within that time takes the files of the window before it:

- only this user's (the list is keyed by their openid);
- only files not on a ticket already: an attachment is keyed by its WeChat message (``source_key``), which is
  checked, and the list is dropped once the ticket that took them is committed;
- each once: WeChat's redelivery of the picture message is answered from the dedupe key without handling it
  again, and a message handled twice (its first handler died) pushes an entry with the same key, which is read
  once.

They are recorded as pending attachments shown with the ticket's question and downloaded by the same job as any
other file (``tickets.attachment_download``), queued after the ticket's commit.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
from sqlalchemy import select

from handlers.inbound_media import InboundMedia
from storage.redis_batch import ScriptBatcher
from tickets.attachment_models import Attachment
from tickets.attachments import record_inbound
from tickets.desk_flags import AWAITING_TTL_S

if TYPE_CHECKING:
    from handlers.context import HandlerContext
    from tickets.attachment_download import AttachmentDownloads
    from tickets.models import Ticket

log = logging.getLogger(__name__)

PREFIX = "qiaobot:earlier-media:"
ASKED_PREFIX = "qiaobot:earlier-media:asked:"  # when “人工” asked for the question while files were waiting
# After “人工” the desk waits this long for the question; the files wait with it.
HOLD_FOR = timedelta(seconds=AWAITING_TTL_S)
KEEP = 20  # WeChat sends a user's nine-picture selection as nine messages; keep a little more than that
MEASURES = {"image": "张图片", "voice": "段语音", "video": "个视频", "shortvideo": "个视频", "file": "个文件"}


# The list's writes and its read, each one script sent with the webhook's other scripts (``ScriptBatcher``) rather
# than a redis-py pipeline, whose object costs more than its round trip. Atomic, as the MULTI they replace.
# KEYS[1] the list; ARGV: the entry, how many to keep, the window in seconds.
_REMEMBER = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 0
"""
# KEYS[1] the "asked" marker, KEYS[2] the list; ARGV: the marker's value and seconds, the list's seconds.
_HOLD = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 0
"""
# KEYS[1] the list, KEYS[2] the "asked" marker: {the entries, the marker or false}.
_WAITING = """
return {redis.call('LRANGE', KEYS[1], 0, -1), redis.call('GET', KEYS[2])}
"""


def key_of(openid: str) -> str:
    return PREFIX + openid


def asked_key(openid: str) -> str:
    return ASKED_PREFIX + openid


def _entry(message_key: str, media: InboundMedia) -> str:
    return json.dumps(
        {
            "key": message_key,
            "kind": media.kind,
            "media_id": media.media_id,
            "at": media.received_at.isoformat(),
            "recognition": media.recognition,
            "filename": media.filename,
        },
        ensure_ascii=False,
    )


def _parse(raw: bytes | str) -> tuple[str, InboundMedia] | None:
    try:
        data = json.loads(raw)
        media = InboundMedia(
            kind=str(data["kind"]),
            media_id=str(data["media_id"]),
            received_at=datetime.fromisoformat(str(data["at"])),
            recognition=data.get("recognition"),
            filename=data.get("filename"),
        )
        return str(data["key"]), media
    except (ValueError, KeyError, TypeError):
        log.warning("unreadable entry in the earlier-media list skipped: %r", raw[:200])
        return None


def describe(kinds: list[str]) -> str:
    """“2张图片、1段语音”: what the user is told was passed on with their question."""
    counts: dict[str, int] = {}
    for kind in kinds:
        measure = MEASURES.get(kind, "个文件")
        counts[measure] = counts.get(measure, 0) + 1
    return "、".join(f"{count}{measure}" for measure, count in counts.items())


class EarlierMedia:
    def __init__(self, redis: aioredis.Redis, downloads: AttachmentDownloads, window: timedelta) -> None:
        self.redis = redis
        self.downloads = downloads
        self.window = window
        self._batch = ScriptBatcher.of(redis)
        self._remember = redis.register_script(_REMEMBER)
        self._hold = redis.register_script(_HOLD)
        self._waiting = redis.register_script(_WAITING)

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)

    async def remember(self, ctx: HandlerContext, media: InboundMedia) -> bool:
        """Keep a file that went on no ticket for the window; False when the window is off."""
        if self.window <= timedelta(0):
            return False
        entry = _entry(ctx.dedupe_key, media)
        await self._batch.run(self._remember, [key_of(ctx.openid)], [entry, KEEP, int(self.window.total_seconds())])
        return True

    async def hold(self, ctx: HandlerContext) -> None:
        """“人工” with files waiting and no question yet: the bot asks for it, and the user may take a while to
        write it. The window then counts back from this moment, and the files wait as long as the desk waits
        for the question."""
        keys = [asked_key(ctx.openid), key_of(ctx.openid)]
        seconds = [int(HOLD_FOR.total_seconds()), int((HOLD_FOR + self.window).total_seconds())]
        await self._batch.run(self._hold, keys, [ctx.now.isoformat(), *seconds])

    async def waiting(self, ctx: HandlerContext) -> list[tuple[str, InboundMedia]]:
        """The user's files of the window before now (or before the “人工” that asked for the question), oldest
        first, each message once."""
        if self.window <= timedelta(0):
            return []
        entries, asked = await self._batch.run(self._waiting, [key_of(ctx.openid), asked_key(ctx.openid)], [])
        anchor = ctx.now
        if asked:
            with contextlib.suppress(ValueError):  # an unreadable marker: count from now
                anchor = min(anchor, datetime.fromisoformat(asked.decode() if isinstance(asked, bytes) else asked))
        since = anchor - self.window
        found: dict[str, InboundMedia] = {}
        for raw in entries:
            parsed = _parse(raw)
            if parsed is None:
                continue
            message_key, media = parsed
            if since <= media.received_at <= ctx.now and message_key != ctx.dedupe_key:
                found.setdefault(message_key, media)
        return list(found.items())

    async def take(self, ctx: HandlerContext, ticket: Ticket) -> list[Attachment]:
        """Put the window's files on the ticket just opened (in its transaction); after the commit the list is
        dropped and their downloads are queued (the download sweep queues any this loses)."""
        waiting = await self.waiting(ctx)
        if not waiting:
            return []
        keys = [message_key for message_key, _media in waiting]
        attached = set(
            (await ctx.session.scalars(select(Attachment.source_key).where(Attachment.source_key.in_(keys)))).all()
        )
        taken = []
        for message_key, media in waiting:
            if message_key in attached:
                continue  # on a ticket already
            attachment = await record_inbound(
                ctx.session, ticket, media, ctx.openid, message_key, ctx.now, before_ticket=True
            )
            taken.append(attachment)
        ids = [attachment.id for attachment in taken]
        list_key = key_of(ctx.openid)

        async def after_commit() -> None:
            # Only once the attachments are stored: a transaction rolled back (the database went out) leaves the
            # list for the hand-over written later. A failed delete is harmless: the list lapses with the window,
            # and a file is never put on a ticket twice (its message key).
            await self.redis.delete(list_key, asked_key(ctx.openid))
            for attachment_id in ids:
                await self.downloads.enqueue(attachment_id)

        ctx.after_commit.append(after_commit)
        return taken
