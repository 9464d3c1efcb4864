"""Fetch what a user sent from WeChat's temporary media into the blob store, from the job queue.

A job per attachment (``attachment:<id>``). WeChat keeps temporary media three days ("媒体文件在微信后台保存时间
为3天"), so a download that fails (WeChat busy, the store out, the network) is retried with back-off for as
long as WeChat may still have the file; past that the attachment says ``expired``. A file over the configured
limit is not kept and says so (``too_large``, with its size), so staff know to ask the user for it another way.
A voice (AMR, which browsers cannot play) also gets an MP3 copy when ffmpeg is installed.
A download changes nothing on WeChat's side, so repeating one is always safe.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from jobs.queue import JobQueue
from jobs.worker import RetryLater, backoff
from storage.blobs import BlobStore, BlobStoreError
from tickets.attachment_models import Attachment
from tickets.voice_playback import PLAYABLE_TYPE, amr_to_mp3
from wechat.api_errors import WeChatApiError
from wechat.media_api import INVALID_MEDIA_ID, DownloadedMedia, MediaTooLarge, WeChatMedia

log = logging.getLogger(__name__)

JOB_KIND = "attachment-download"
WECHAT_KEEPS = timedelta(days=3)
# WeChat's clock and ours differ a little: a 40007 this close to the three days is the expiry.
EXPIRY_SLACK = timedelta(hours=1)
# A pending attachment whose job finished or vanished is given a new one after this long (the sweep).
STALE_AFTER = timedelta(minutes=2)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "audio/amr": "amr",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
}


def job_id(attachment_id: int) -> str:
    return f"attachment:{attachment_id}"


def blob_key_for(attachment: Attachment, content_type: str, now: datetime) -> str:
    extension = EXTENSIONS.get(content_type, "bin")
    return f"attachments/{now:%Y/%m/%d}/{attachment.id}-{secrets.token_hex(8)}.{extension}"


class AttachmentDownloads:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue: JobQueue,
        media: WeChatMedia,
        blobs: BlobStore,
        clock: Clock,
        *,
        max_bytes: int,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.media = media
        self.blobs = blobs
        self.clock = clock
        self.max_bytes = max_bytes

    async def enqueue(self, attachment_id: int) -> None:
        await self.queue.enqueue(JOB_KIND, {"attachment_id": attachment_id}, job_id=job_id(attachment_id))

    async def run_job(self, payload: dict[str, Any]) -> None:
        attachment_id = int(payload["attachment_id"])
        async with self.sessions() as session:
            attachment = await session.get(Attachment, attachment_id)
            if attachment is None or attachment.state != "pending" or attachment.direction != "in":
                return
            media_id, received_at = attachment.media_id or "", attachment.received_at
        now = self.clock.now()
        if now - received_at >= WECHAT_KEEPS:
            await self._finish(attachment_id, "expired", "微信临时素材只保存 3 天，已过期，未能取回")
            return
        try:
            downloaded = await self.media.download(media_id, self.max_bytes)
            key = await self._store(attachment_id, downloaded)
        except MediaTooLarge as exc:
            await self._finish(attachment_id, "too_large", f"文件 {_mb(exc.size)} 超过上限 {_mb(exc.limit)}，未保存")
            return
        except WeChatApiError as exc:
            if exc.errcode == INVALID_MEDIA_ID and now - received_at >= WECHAT_KEEPS - EXPIRY_SLACK:
                await self._finish(attachment_id, "expired", "微信临时素材只保存 3 天，已过期，未能取回")
                return
            if not exc.transient:
                await self._finish(attachment_id, "failed", f"微信拒绝提供文件（错误码 {exc.errcode}）")
                return
            await self._retry(attachment_id, exc)
            return  # unreachable: _retry raises
        except BlobStoreError as exc:
            await self._retry(attachment_id, exc)
            return
        playable = await self._playable_copy(key, downloaded)
        async with self.sessions() as session, session.begin():
            attachment = await session.get(Attachment, attachment_id)
            if attachment is None:
                return
            if playable is not None:
                attachment.playable_key, attachment.playable_type = playable, PLAYABLE_TYPE
            attachment.state = "stored"
            attachment.blob_key = key
            attachment.size = len(downloaded.content)
            attachment.sha256 = hashlib.sha256(downloaded.content).hexdigest()
            attachment.content_type = downloaded.content_type
            attachment.filename = downloaded.filename or attachment.filename
            attachment.error = ""
            attachment.stored_at = attachment.updated_at = self.clock.now()

    async def _store(self, attachment_id: int, downloaded: DownloadedMedia) -> str:
        async with self.sessions() as session:
            attachment = await session.get(Attachment, attachment_id)
            assert attachment is not None
            key = blob_key_for(attachment, downloaded.content_type, self.clock.now())
        await self.blobs.put(key, downloaded.content, downloaded.content_type)
        return key

    async def _playable_copy(self, key: str, downloaded: DownloadedMedia) -> str | None:
        """A voice's MP3 beside the original (browsers cannot play AMR); None without ffmpeg or on failure."""
        if downloaded.content_type != "audio/amr" and not downloaded.content.startswith(b"#!AMR\n"):
            return None
        mp3 = await amr_to_mp3(downloaded.content)
        if mp3 is None:
            return None
        playable = key.rsplit(".", 1)[0] + "-play.mp3"
        await self.blobs.put(playable, mp3, PLAYABLE_TYPE)
        return playable

    async def _finish(self, attachment_id: int, state: str, error: str) -> None:
        async with self.sessions() as session, session.begin():
            attachment = await session.get(Attachment, attachment_id)
            if attachment is not None and attachment.state == "pending":
                attachment.state = state
                attachment.error = error
                attachment.updated_at = self.clock.now()
        log.warning("attachment %s %s: %s", attachment_id, state, error)

    async def _retry(self, attachment_id: int, exc: Exception) -> None:
        async with self.sessions() as session, session.begin():
            attachment = await session.get(Attachment, attachment_id)
            attempts = 0
            if attachment is not None:
                attachment.attempts += 1
                attempts = attachment.attempts
                attachment.error = f"下载暂未成功，稍后重试（第 {attempts} 次）：{exc}"[:2000]
                attachment.updated_at = self.clock.now()
        raise RetryLater(str(exc), delay=backoff(attempts)) from exc

    async def sweep(self) -> int:
        """Give a job to every pending inbound attachment whose job is gone (never enqueued after a crash, or
        given up by the worker): retrying stops only when the file is stored, refused or expired."""
        cutoff = self.clock.now() - STALE_AFTER
        async with self.sessions() as session:
            ids = (
                await session.scalars(
                    select(Attachment.id)
                    .where(Attachment.state == "pending", Attachment.direction == "in", Attachment.updated_at < cutoff)
                    .limit(200)
                )
            ).all()
        requeued = 0
        for attachment_id in ids:
            job = await self.queue.get(job_id(attachment_id))
            if job is None or job.state in ("done", "failed"):
                await self.queue.redis.delete(self.queue.data_prefix + job_id(attachment_id))
                await self.queue.redis.zrem(self.queue.failed_key, job_id(attachment_id))
                await self.enqueue(attachment_id)
                requeued += 1
        return requeued


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
