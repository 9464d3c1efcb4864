"""AWS Signature Version 4 for S3 requests (header-based, single-chunk payload), pure functions.

Follows AWS's "Authenticating Requests: Using the Authorization Header (AWS Signature Version 4)" for S3:
canonical request = method, URI-encoded path (each segment, ``/`` kept; S3 does not normalise the path),
canonical query (names and values URI-encoded, sorted), lower-cased sorted headers, the signed header list and
the payload's SHA-256 (also sent as ``x-amz-content-sha256``); string to sign = ``AWS4-HMAC-SHA256``, the
timestamp, the scope ``date/region/s3/aws4_request`` and the hash of the canonical request; the key is derived
from ``"AWS4" + secret`` through the date, region, service and ``aws4_request``. Checked against the examples
in that page (tests/storage/test_s3_sigv4.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def uri_encode(value: str, *, keep_slash: bool = False) -> str:
    """RFC 3986 unreserved characters stay; everything else is %XX (upper case), space is %20."""
    return quote(value, safe="-_.~/" if keep_slash else "-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    pairs = sorted((uri_encode(k), uri_encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, day: str, region: str, service: str = "s3") -> bytes:
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def sign(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    at: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The headers to add to the request: ``x-amz-date``, ``x-amz-content-sha256`` and ``Authorization``.

    ``headers`` must include ``host``; every header given is signed. ``path`` is the object path as sent,
    not yet encoded (e.g. ``/bucket/attachments/2026/a b.jpg``)."""
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    signed = {k.lower().strip(): " ".join(str(v).strip().split()) for k, v in headers.items()}
    signed["x-amz-date"] = stamp
    signed["x-amz-content-sha256"] = payload_sha256
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            method.upper(),
            uri_encode(path or "/", keep_slash=True),
            canonical_query(query),
            canonical_headers,
            signed_headers,
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    signature = hmac.new(
        signing_key(secret_key, day, region, service), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return {
        "x-amz-date": stamp,
        "x-amz-content-sha256": payload_sha256,
        "Authorization": (
            f"{ALGORITHM} Credential={access_key}/{scope},SignedHeaders={signed_headers},Signature={signature}"
        ),
    }
