"""Where files live (attachments users send, images staff attach): a small interface and its two adapters.

- ``LocalBlobStore``: a directory (``var/attachments`` in embedded mode). Writes go to a temporary file in the
  same directory, are fsynced and renamed into place, so a crash never leaves half a file under a key.
- ``S3BlobStore``: an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Tencent COS, Aliyun OSS in S3 mode),
  spoken to with httpx and Signature Version 4 (``storage.s3_sigv4``), path-style URLs
  (``{endpoint}/{bucket}/{key}``), which every S3-compatible server accepts.

Keys are chosen by the caller from a safe alphabet (``attachments/2026/12/01/<random>.jpg``); anything else is
refused, so no key can climb out of the directory or name another bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from config.settings import Settings
from storage.s3_sigv4 import EMPTY_SHA256, sign

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class BlobMissing(KeyError):
    """No file under this key."""


class BlobStoreError(RuntimeError):
    """The store could not be reached or refused the request; worth trying again later."""

    transient = True  # the job worker retries jobs that fail with it


def check_key(key: str) -> str:
    if len(key) > 512 or not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"unsafe blob key {key!r}")
    return key


class BlobStore(Protocol):
    async def put(self, key: str, content: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...
    async def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, self.path_of(key), content)

    @staticmethod
    def _put(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
        try:
            with open(temporary, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut
        finally:
            os.close(directory)

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobMissing(key) from None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)


def blob_store_for(settings: Settings, http: httpx.AsyncClient) -> BlobStore:
    """The store the settings name: the attachment directory, or the S3 bucket."""
    if settings.attachment_store == "s3":
        return S3BlobStore(
            settings.s3_endpoint,
            settings.s3_bucket,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            http=http,
        )
    assert settings.attachment_dir is not None  # filled in by the settings
    return LocalBlobStore(settings.attachment_dir)


class S3BlobStore:
    def __init__(
        self,
        endpoint: str,
        bucket: str,
        *,
        region: str,
        access_key: str,
        secret_key: str,
        http: httpx.AsyncClient,
        timeout: float = 30.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self._access_key = access_key
        self._secret_key = secret_key
        self._http = http
        self._timeout = timeout
        self._host = urlsplit(self.endpoint).netloc
        self._now = now or (lambda: datetime.now(UTC))

    def _path(self, key: str) -> str:
        return f"/{self.bucket}/{check_key(key)}"

    async def _request(
        self, method: str, key: str, content: bytes = b"", extra: dict[str, str] | None = None
    ) -> httpx.Response:
        path = self._path(key)
        headers = {"host": self._host, **(extra or {})}
        digest = hashlib.sha256(content).hexdigest() if content else EMPTY_SHA256
        headers.update(
            sign(
                method,
                path,
                {},
                headers,
                digest,
                access_key=self._access_key,
                secret_key=self._secret_key,
                region=self.region,
                at=self._now(),
            )
        )
        # Keys use only unreserved characters, so the path goes out exactly as it was signed.
        url = self.endpoint + path
        try:
            return await self._http.request(
                method, url, content=content or None, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise BlobStoreError(f"S3 {method} {key}: {exc!r}") from exc

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code >= 300:
            raise BlobStoreError(f"S3 {what}: HTTP {response.status_code} {response.text[:300]}")

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        response = await self._request(
            "PUT", key, content, {"content-type": content_type, "content-length": str(len(content))}
        )
        self._check(response, f"PUT {key}")

    async def get(self, key: str) -> bytes:
        response = await self._request("GET", key)
        if response.status_code == 404:
            raise BlobMissing(key)
        self._check(response, f"GET {key}")
        return response.content

    async def delete(self, key: str) -> None:
        response = await self._request("DELETE", key)
        if response.status_code != 404:
            self._check(response, f"DELETE {key}")

    async def exists(self, key: str) -> bool:
        response = await self._request("HEAD", key)
        if response.status_code == 404:
            return False
        self._check(response, f"HEAD {key}")
        return True
