"""Blob stores: the local directory adapter, AWS's Signature Version 4 examples, and the S3 adapter's requests.

No S3-compatible server can be run from this machine's package index (MinIO is not packaged; moto is itself a
fake), so the S3 adapter is checked in two steps: the signer reproduces the four worked examples of AWS's
"Signature Calculations for the Authorization Header" page (GET object with a range, PUT object, GET bucket
lifecycle, list objects), and the adapter's requests are verified by a small bucket that recomputes each
signature with that signer and refuses any mismatch, as S3 does (403 SignatureDoesNotMatch).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from storage.blobs import BlobMissing, BlobStoreError, LocalBlobStore, S3BlobStore, check_key
from storage.s3_sigv4 import EMPTY_SHA256, sign

EXAMPLE = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "region": "us-east-1",
    "at": datetime(2013, 5, 24, tzinfo=UTC),
}
HOST = {"host": "examplebucket.s3.amazonaws.com"}


def _signature(headers: dict[str, str]) -> str:
    return headers["Authorization"].rsplit("Signature=", 1)[1]


def test_aws_example_get_object_with_range() -> None:
    headers = sign("GET", "/test.txt", {}, {**HOST, "range": "bytes=0-9"}, EMPTY_SHA256, **EXAMPLE)  # type: ignore[arg-type]
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"


def test_aws_example_put_object() -> None:
    body = b"Welcome to Amazon S3."
    headers = sign(
        "PUT",
        "/test$file.text",
        {},
        {**HOST, "date": "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY"},
        hashlib.sha256(body).hexdigest(),
        **EXAMPLE,  # type: ignore[arg-type]
    )
    assert _signature(headers) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"


def test_aws_example_get_bucket_lifecycle_and_list_objects() -> None:
    lifecycle = sign("GET", "/", {"lifecycle": ""}, HOST, EMPTY_SHA256, **EXAMPLE)  # type: ignore[arg-type]
    assert _signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    listing = sign("GET", "/", {"max-keys": "2", "prefix": "J"}, HOST, EMPTY_SHA256, **EXAMPLE)  # type: ignore[arg-type]
    assert _signature(listing) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"


def test_a_changed_byte_changes_the_signature() -> None:
    one = sign("PUT", "/b/k", {}, HOST, hashlib.sha256(b"a").hexdigest(), **EXAMPLE)  # type: ignore[arg-type]
    other = sign("PUT", "/b/k", {}, HOST, hashlib.sha256(b"b").hexdigest(), **EXAMPLE)  # type: ignore[arg-type]
    assert _signature(one) != _signature(other)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/../b", "a b.jpg", "", ".hidden", "a/.."])
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(ValueError):
        check_key(key)


async def test_local_store_round_trip(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    key = "attachments/2026/12/01/abc.jpg"
    assert not await store.exists(key)
    await store.put(key, b"\xff\xd8data", "image/jpeg")
    assert await store.exists(key)
    assert await store.get(key) == b"\xff\xd8data"
    assert (tmp_path / "blobs" / key).read_bytes() == b"\xff\xd8data"
    await store.put(key, b"second", "image/jpeg")  # replaced whole, never appended
    assert await store.get(key) == b"second"
    assert [p.name for p in (tmp_path / "blobs" / "attachments/2026/12/01").iterdir()] == ["abc.jpg"]
    await store.delete(key)
    await store.delete(key)  # deleting twice is fine
    with pytest.raises(BlobMissing):
        await store.get(key)


async def test_local_store_refuses_escaping_keys(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(ValueError):
        await store.put("../outside.txt", b"x", "text/plain")
    assert not (tmp_path / "outside.txt").exists()


class VerifyingBucket:
    """An S3 stand-in that accepts only requests whose SigV4 signature it recomputes to the same value."""

    def __init__(self, access_key: str, secret_key: str, region: str, bucket: str) -> None:
        self.access_key, self.secret_key, self.region, self.bucket = access_key, secret_key, region, bucket
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        auth = request.headers.get("authorization", "")
        signed_names = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";") if auth else []
        body = request.content
        if hashlib.sha256(body).hexdigest() != request.headers.get("x-amz-content-sha256"):
            return httpx.Response(400, text="XAmzContentSHA256Mismatch")
        own = ("x-amz-date", "x-amz-content-sha256")
        headers = {name: request.headers[name] for name in signed_names if name not in own}
        stamp = datetime.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expected = sign(
            request.method,
            request.url.path,
            dict(request.url.params),
            headers,
            request.headers["x-amz-content-sha256"],
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            at=stamp,
        )
        if expected["Authorization"] != auth or f"Credential={self.access_key}/" not in auth:
            return httpx.Response(403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
        prefix = f"/{self.bucket}/"
        if not request.url.path.startswith(prefix):
            return httpx.Response(404, text="NoSuchBucket")
        key = request.url.path[len(prefix) :]
        if request.method == "PUT":
            self.objects[key] = (body, request.headers.get("content-type", ""))
            return httpx.Response(200)
        if key not in self.objects:
            return httpx.Response(404, text="NoSuchKey")
        if request.method == "DELETE":
            del self.objects[key]
            return httpx.Response(204)
        return httpx.Response(200, content=b"" if request.method == "HEAD" else self.objects[key][0])


def _s3(bucket: VerifyingBucket, secret: str | None = None) -> S3BlobStore:
    http = httpx.AsyncClient(transport=httpx.MockTransport(bucket))
    return S3BlobStore(
        "https://s3.example.internal:9000",
        "qiaobot",
        region=bucket.region,
        access_key=bucket.access_key,
        secret_key=secret or bucket.secret_key,
        http=http,
    )


async def test_s3_store_round_trip_with_verified_signatures() -> None:
    bucket = VerifyingBucket("AKIDQIAOBOT", "s3cr3t/Key+With=Chars", "cn-north-1", "qiaobot")
    store = _s3(bucket)
    key = "attachments/2026/12/01/abc.amr"
    assert not await store.exists(key)
    await store.put(key, b"#!AMR\n\x01", "audio/amr")
    assert bucket.objects[key] == (b"#!AMR\n\x01", "audio/amr")
    assert await store.exists(key)
    assert await store.get(key) == b"#!AMR\n\x01"
    await store.delete(key)
    with pytest.raises(BlobMissing):
        await store.get(key)
    put = next(r for r in bucket.requests if r.method == "PUT")
    assert put.url.path == "/qiaobot/attachments/2026/12/01/abc.amr"  # path-style, as every S3 server takes
    assert "content-type" in put.headers["authorization"]


async def test_s3_store_with_a_wrong_secret_is_refused() -> None:
    bucket = VerifyingBucket("AKIDQIAOBOT", "right", "us-east-1", "qiaobot")
    store = _s3(bucket, secret="wrong")
    with pytest.raises(BlobStoreError, match="403"):
        await store.put("attachments/x.jpg", b"x", "image/jpeg")
    assert bucket.objects == {}


async def test_s3_store_unreachable_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    store = S3BlobStore(
        "http://127.0.0.1:1",
        "b",
        region="us-east-1",
        access_key="a",
        secret_key="s",
        http=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    )
    with pytest.raises(BlobStoreError) as raised:
        await store.get("attachments/x.jpg")
    assert raised.value.transient
