"""The fake's media endpoints over HTTP: ``media/get`` answers the file itself (or JSON), ``media/upload`` takes
form-data, videos download from ``/video-cdn/…`` (shapes and sources in ``wechat.fake_media``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import Response

from wechat.fake_media import MediaBody
from wechat.fake_rules import JsonDict, WeChatError

if TYPE_CHECKING:
    from wechat.fake_media import TemporaryMedia

MEDIA_PATHS = frozenset({"media/get", "media/get/jssdk", "media/upload"})
VIDEO_CDN = "/video-cdn"


def _json(payload: JsonDict) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), media_type="application/json; charset=utf-8")


def _file(body: MediaBody) -> Response:
    return Response(
        body.content,
        media_type=body.content_type,
        headers={
            "Content-disposition": f'attachment; filename="{body.filename}"',
            "Cache-Control": "no-cache, must-revalidate",
        },
    )


def upload_summary(form_media: object) -> JsonDict:
    """What the call log keeps of an upload (not the bytes)."""
    filename = getattr(form_media, "filename", "") or ""
    size = getattr(form_media, "size", None)
    return {"media": {"filename": filename, "size": size}}


async def media_call(fake: TemporaryMedia, method: str, path: str, request: Request, query: dict[str, str]) -> Response:
    """One of ``MEDIA_PATHS``, after the token was checked; WeChat errors as JSON."""
    try:
        if path == "media/upload":
            if method != "POST":
                raise WeChatError(43002, "require POST method")
            form = await request.form()
            media = form.get("media")
            if media is None or isinstance(media, str):
                raise WeChatError(41005)
            content = await media.read()
            content_type = media.content_type or "application/octet-stream"
            return _json(fake.upload_media(query.get("type"), media.filename or "", content_type, content))
        if method != "GET":
            raise WeChatError(43001, "require GET method")
        if path == "media/get/jssdk":
            fake.live_media(query.get("media_id"))  # 41006 without an id
            raise WeChatError(40007)  # chat media is never a JSSDK upload (see wechat.fake_media)
        video_base = str(request.base_url).rstrip("/") + VIDEO_CDN
        answer = fake.get_media(query, video_base)
        return _file(answer) if isinstance(answer, MediaBody) else _json(answer)
    except WeChatError as error:
        return _json(error.body())


def add_media_routes(app: FastAPI, fake: TemporaryMedia, loopback_only: object) -> None:
    """The video download links ``media/get`` hands out, and the test control that stands for a user's phone
    uploading a picture, voice or video with a message (``POST /_fake/media?type=image``, the file as body)."""

    @app.get(VIDEO_CDN + "/{token}")
    async def video_download(token: str) -> Response:
        body = fake.video_download(token)
        if body is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return _file(body)

    @app.post("/_fake/media", dependencies=[loopback_only])  # type: ignore[list-item]
    async def add_user_media(request: Request, type: str = "image", filename: str = "") -> Response:
        content = await request.body()
        content_type = request.headers.get("content-type") or None
        media_id = fake.add_user_media(type, content, content_type=content_type, filename=filename)
        return _json({"media_id": media_id})
