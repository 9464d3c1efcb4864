"""The fake's temporary media (临时素材): what users' phones uploaded with their messages, ``media/upload`` and
``media/get``, with WeChat's shapes, limits and three-day lifetime.

Sources (official pages, mirrored in the developer community and wechatpy's ``client/api/media.py``):

- 获取临时素材 ``GET cgi-bin/media/get?access_token=…&media_id=…``
  (developers.weixin.qq.com/doc/service/api/material/temporary/api_getmedia): on success the body is the file
  itself, ``HTTP/1.1 200 OK``, ``Content-Type: image/jpeg``, ``Content-disposition: attachment;
  filename="MEDIA_ID.jpg"``, ``Cache-Control: no-cache, must-revalidate``; a video answers JSON
  ``{"video_url": DOWN_URL}`` instead (fetched without a token); an error is JSON, e.g.
  ``{"errcode":40007,"errmsg":"invalid media_id"}``.
- 新增临时素材 ``POST cgi-bin/media/upload?access_token=…&type=TYPE`` with the file as form-data field ``media``
  (…/api_uploadtempmedia): answers ``{"type":"image","media_id":"…","created_at":1672500000}``; ``type`` is
  image, voice, video or thumb (else 40004 "invalid media type"). Limits: image 10 MB PNG/JPEG/JPG/GIF (the same
  page's 注意事项 says 2 MB, so qiaobot's own sends stay under 2 MB), voice 2 MB AMR/MP3, video 10 MB MP4, thumb
  64 KB JPG.
- "媒体文件在微信后台保存时间为3天，即3天后media_id失效": after that ``media/get`` answers 40007, like an id
  that never existed.
- 全局返回码: 40004 invalid media type, 40005 invalid file type, 40007 invalid media_id, 40009–40012 invalid
  image/voice/video/thumb size, 41005 media data missing, 41006 media_id missing, 44001 empty media data.

``media/get/jssdk`` (高清语音, speex 16 kHz) serves only voices uploaded with the JSSDK's ``uploadVoice`` from a
web page; a voice *message* a user sends in the chat is AMR and is fetched with ``media/get``, so qiaobot never
calls it and the fake answers it 40007 for every chat media id.
"""

from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass
from datetime import datetime

from wechat.fake_records import StoredMedia
from wechat.fake_rules import (
    MEDIA_LIFETIME,
    UPLOAD_FORMATS,
    UPLOAD_LIMITS,
    UPLOAD_SIZE_ERRCODE,
    JsonDict,
    WeChatError,
)
from wechat.fake_state import FakeStateBase

# What a phone records, as WeChat stores it: chat voices are AMR (Format=amr), pictures JPEG, videos MP4.
DEFAULT_CONTENT_TYPES = {
    "image": "image/jpeg",
    "voice": "audio/amr",
    "video": "video/mp4",
    "shortvideo": "video/mp4",
    "thumb": "image/jpeg",
    "file": "application/octet-stream",
}
_EXTENSIONS = {"image/jpeg": ".jpg", "audio/amr": ".amr", "video/mp4": ".mp4", "audio/mpeg": ".mp3"}


@dataclass(frozen=True)
class MediaBody:
    """A successful ``media/get``: the file, with the headers WeChat sends."""

    content: bytes
    content_type: str
    filename: str


def _extension(content_type: str, filename: str) -> str:
    if "." in filename:
        return "." + filename.rsplit(".", 1)[1].lower()
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


def new_media_id() -> str:
    return secrets.token_urlsafe(48)[:64]


class TemporaryMedia(FakeStateBase):
    def add_user_media(
        self,
        kind: str,
        content: bytes,
        *,
        content_type: str | None = None,
        filename: str = "",
        media_id: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """What a user's phone uploaded along with a message: returns the MediaId the message will carry."""
        media_id = media_id or new_media_id()
        content_type = content_type or DEFAULT_CONTENT_TYPES.get(kind, "application/octet-stream")
        with self._lock:
            self._media[media_id] = StoredMedia(
                media_id, kind, bytes(content), content_type, filename, at or self.now(), "user"
            )
        return media_id

    def media(self, media_id: str) -> StoredMedia | None:
        with self._lock:
            return self._media.get(media_id)

    def uploaded_media(self) -> list[StoredMedia]:
        with self._lock:
            return [m for m in self._media.values() if m.origin == "upload"]

    def live_media(self, media_id: object) -> StoredMedia:
        """The media behind ``media_id`` if it exists and is younger than three days; else 40007."""
        if not media_id:
            raise WeChatError(41006)
        with self._lock:
            stored = self._media.get(str(media_id))
        if stored is None or self.now() - stored.created_at >= MEDIA_LIFETIME:
            raise WeChatError(40007)
        return stored

    def get_media(self, query: dict[str, str], video_base: str) -> MediaBody | JsonDict:
        """``video_base`` is where the fake serves video downloads (its own URL + ``/video-cdn``)."""
        stored = self.live_media(query.get("media_id"))
        if stored.kind in ("video", "shortvideo"):
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._video_links[token] = stored.media_id
            return {"video_url": f"{video_base.rstrip('/')}/{token}"}
        filename = f"{stored.media_id}{_extension(stored.content_type, stored.filename)}"
        return MediaBody(stored.content, stored.content_type, filename)

    def video_download(self, token: str) -> MediaBody | None:
        with self._lock:
            media_id = self._video_links.get(token)
        if media_id is None:
            return None
        try:
            stored = self.live_media(media_id)
        except WeChatError:
            return None
        return MediaBody(stored.content, stored.content_type, f"{stored.media_id}.mp4")

    def upload_media(self, kind: str | None, filename: str, content_type: str, content: bytes | None) -> JsonDict:
        if kind not in UPLOAD_LIMITS:
            raise WeChatError(40004)
        if content is None:
            raise WeChatError(41005)
        if not content:
            raise WeChatError(44001)
        if len(content) > UPLOAD_LIMITS[kind]:
            raise WeChatError(UPLOAD_SIZE_ERRCODE[kind])
        extension = filename.rsplit(".", 1)[1].lower() if "." in filename else ""
        if extension not in UPLOAD_FORMATS[kind]:
            raise WeChatError(40005)
        now = self.now()
        media_id = new_media_id()
        with self._lock:
            self._media[media_id] = StoredMedia(media_id, kind, content, content_type, filename, now, "upload")
        return {"type": kind, "media_id": media_id, "created_at": int(now.timestamp())}

    def check_message_media(self, msgtype: str, content: JsonDict) -> None:
        """A customer-service image/voice/video names a media_id that must still exist (40007 otherwise)."""
        if msgtype in ("image", "voice", "video"):
            self.live_media(content.get("media_id"))
