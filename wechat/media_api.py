"""Temporary media (临时素材) over the shared access token: download what a user sent, upload what staff attach.

``media/get`` answers the file itself (its ``Content-Type`` and ``Content-disposition: attachment;
filename="MEDIA_ID.jpg"``), JSON ``{"video_url": …}`` for a video (then fetched without a token), or JSON
``{"errcode": 40007, "errmsg": "invalid media_id"}`` — also what an id older than WeChat's three days answers
(official 获取临时素材 / 新增临时素材 pages; details in ``wechat.fake_media``). ``media/upload`` takes the file as
form-data field ``media`` and answers ``{"type", "media_id", "created_at"}``.

Unlike a message send, both are safe to repeat: a download changes nothing, and a repeated upload only leaves
an unused temporary file on WeChat's side that it deletes after three days. So every transport failure here is
simply transient (the job queue retries it), and nothing is "outcome unknown".
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from wechat.api_client import WeChatApiClient
from wechat.api_errors import TOKEN_ERRCODES, WeChatApiError, WeChatTransportError

T = TypeVar("T")

INVALID_MEDIA_ID = 40007  # unknown, or past WeChat's three days
_FILENAME = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class DownloadedMedia:
    content: bytes
    content_type: str
    filename: str


class MediaTooLarge(Exception):
    """The file is larger than the limit we keep; ``size`` is what WeChat announced or what we had read."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"media of {size} bytes exceeds the {limit}-byte limit")
        self.size = size
        self.limit = limit


def filename_of(disposition: str | None) -> str:
    match = _FILENAME.search(disposition or "")
    return match.group(1).strip() if match else ""


def _is_json(content_type: str) -> bool:
    # WeChat's error answers on file endpoints come as application/json or text/plain.
    return content_type.startswith(("application/json", "text/plain"))


class WeChatMedia:
    def __init__(self, api: WeChatApiClient, *, timeout: float = 60.0) -> None:
        self._api = api
        self._timeout = timeout

    async def download(self, media_id: str, max_bytes: int) -> DownloadedMedia:
        """The file behind ``media_id``; ``MediaTooLarge`` past ``max_bytes`` (read no further than that),
        ``WeChatApiError`` 40007 when WeChat no longer has it."""
        url = f"{self._api.base_url}/cgi-bin/media/get"

        async def fetch(token: str) -> tuple[DownloadedMedia | None, dict[str, Any]]:
            return await self._fetch(url, {"access_token": token, "media_id": media_id}, max_bytes, "media/get")

        media, answer = await self._with_token("media/get", fetch)
        if media is not None:
            return media
        if errcode := _errcode(answer):
            raise WeChatApiError(errcode, str(answer.get("errmsg", "")), path="media/get")
        video_url = answer.get("video_url")
        if not isinstance(video_url, str) or not video_url:
            raise WeChatTransportError(f"media/get answered JSON without a file: {answer!r}", path="media/get")
        video, answer = await self._fetch(video_url, None, max_bytes, "video_url")
        if video is None:
            raise WeChatApiError(_errcode(answer) or -1, str(answer.get("errmsg", "")), path="video_url")
        return video

    async def upload(self, kind: str, filename: str, content: bytes, content_type: str) -> str:
        """Upload a temporary file (``kind`` image, voice, video or thumb); returns its media_id, good for 3 days."""

        async def post(token: str) -> tuple[None, dict[str, Any]]:
            try:
                async with asyncio.timeout(self._timeout):
                    response = await self._api.http.post(
                        f"{self._api.base_url}/cgi-bin/media/upload",
                        params={"access_token": token, "type": kind},
                        files={"media": (filename, content, content_type)},
                        timeout=self._timeout,
                    )
            except (TimeoutError, httpx.HTTPError) as exc:
                raise WeChatTransportError(f"upload failed: {exc!r}", path="media/upload", reached=False) from exc
            return None, _json_answer(response, "media/upload")

        _, answer = await self._with_token("media/upload", post)
        if errcode := _errcode(answer):
            raise WeChatApiError(errcode, str(answer.get("errmsg", "")), path="media/upload")
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeChatTransportError(f"upload answer without media_id: {answer!r}", path="media/upload")
        return media_id

    async def _with_token(
        self, path: str, call: Callable[[str], Awaitable[tuple[T | None, dict[str, Any]]]]
    ) -> tuple[T | None, dict[str, Any]]:
        """``call`` with the shared access token; when WeChat refuses the token (expired, or refreshed by another
        process), it is invalidated and the call made once more with a fresh one. What else WeChat answered is
        the caller's to read."""
        rejected: str | None = None
        for attempt in range(2):
            token = await self._token(rejected, path)
            result, answer = await call(token)
            if result is None and _errcode(answer) in TOKEN_ERRCODES and attempt == 0:
                await self._api.invalidate_access_token(token)
                rejected = token
                continue
            return result, answer
        raise AssertionError("unreachable")  # pragma: no cover

    async def _token(self, rejected: str | None, path: str) -> str:
        try:
            return await self._api.access_token(rejected=rejected)
        except WeChatTransportError as exc:
            raise WeChatTransportError(f"no access token: {exc.errmsg}", path=path, reached=False) from exc

    async def _fetch(
        self, url: str, params: dict[str, str] | None, max_bytes: int, path: str
    ) -> tuple[DownloadedMedia | None, dict[str, Any]]:
        """(the file, {}) or (None, the JSON answer)."""
        try:
            async with asyncio.timeout(self._timeout):
                async with self._api.http.stream("GET", url, params=params, timeout=self._timeout) as response:
                    if response.status_code >= 400:
                        raise WeChatTransportError(
                            f"HTTP {response.status_code}", path=path, http_status=response.status_code, reached=False
                        )
                    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if _is_json(content_type):
                        return None, _parse(await response.aread(), path)
                    announced = int(response.headers.get("content-length") or 0)
                    if announced > max_bytes:
                        raise MediaTooLarge(announced, max_bytes)
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise MediaTooLarge(size, max_bytes)
                        chunks.append(chunk)
                    filename = filename_of(response.headers.get("content-disposition"))
                    return DownloadedMedia(b"".join(chunks), content_type or "application/octet-stream", filename), {}
        except (TimeoutError, httpx.HTTPError) as exc:
            raise WeChatTransportError(f"download failed: {exc!r}", path=path, reached=False) from exc


def _parse(raw: bytes, path: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WeChatTransportError(f"unreadable answer {raw[:200]!r}", path=path, reached=False) from None
    if not isinstance(data, dict):
        raise WeChatTransportError(f"unexpected JSON {data!r}", path=path, reached=False)
    return data


def _json_answer(response: httpx.Response, path: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise WeChatTransportError(
            f"HTTP {response.status_code}", path=path, http_status=response.status_code, reached=False
        )
    return _parse(response.content, path)


def _errcode(answer: dict[str, Any]) -> int:
    try:
        return int(answer.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1
