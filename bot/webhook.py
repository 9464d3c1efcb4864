"""``/wechat``: the URL WeChat calls. Verifies, opens, dedupes and answers in the request's own mode.

Every refusal is logged with the reason and answered without internals; nothing is stored for a request that
fails verification.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.bootstrap import Services
from bot.messages import build_message, dedupe_key
from bot.pipeline import respond
from bot.protocol import ProtocolError
from bot.replay import timestamp_is_fresh

log = logging.getLogger(__name__)
XML = "application/xml; charset=utf-8"
# Scope key: ``time.monotonic()`` when the request reached the application (set by ``bot.fast_path``).
RECEIVED_AT = "qiaobot.received_at"


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def query_of(request: Request) -> dict[str, str]:
    """The query string's parameters, the last of a repeated one winning, as Starlette's ``query_params.get``
    reads them (the same decoding), without building its multi-dict for the six a callback carries.

    WeChat's parameters (hex signatures, digits, an openid) need no decoding: without a ``%`` or a ``+`` the
    fields are split as ``parse_qsl`` splits them (empty fields skipped, a bare name blank), without its
    twelve ``unquote`` calls."""
    raw = request.scope["query_string"].decode("latin-1")
    if "%" in raw or "+" in raw:
        return dict(parse_qsl(raw, keep_blank_values=True))
    query: dict[str, str] = {}
    for field in raw.split("&"):
        if field:
            name, _, value = field.partition("=")
            query[name] = value
    return query


async def verify_url(request: Request) -> Response:
    """The URL check done when the server address is saved in the admin console (接入概述: echo ``echostr``)."""
    query = query_of(request)
    signature, timestamp, nonce, echostr = (query.get(name) for name in ("signature", "timestamp", "nonce", "echostr"))
    if not (signature and timestamp and nonce and echostr is not None):
        return PlainTextResponse("missing signature, timestamp, nonce or echostr", status_code=400)
    if not services_of(request).codec.check_url_signature(signature, timestamp, nonce):
        log.warning("GET /wechat with a bad signature from %s", request.client.host if request.client else "?")
        return PlainTextResponse("invalid signature", status_code=403)
    return PlainTextResponse(echostr)


async def receive(request: Request) -> Response:
    services = services_of(request)
    query = query_of(request)
    signature, timestamp, nonce = query.get("signature"), query.get("timestamp"), query.get("nonce")
    if not (signature and timestamp and nonce):
        return PlainTextResponse("missing signature, timestamp or nonce", status_code=400)
    if not timestamp_is_fresh(timestamp, services.settings.wechat_timestamp_tolerance_seconds):
        log.warning("refused callback (403): timestamp %r is too far from now", timestamp[:20])
        return PlainTextResponse("stale or future timestamp", status_code=403)
    try:
        body = await _read_body(request, services.settings.max_body_bytes)
        envelope = services.codec.open(
            body,
            signature=signature,
            timestamp=timestamp,
            nonce=nonce,
            encrypt_type=query.get("encrypt_type"),
            msg_signature=query.get("msg_signature"),
        )
        message = build_message(envelope.message)
    except ProtocolError as exc:
        log.warning("refused callback (%s): %s", exc.status, exc)
        return PlainTextResponse(exc.public, status_code=exc.status)
    try:
        reply = await respond(services, message, dedupe_key(envelope.message), nonce, request.scope.get(RECEIVED_AT))
    except ProtocolError as exc:
        log.warning("refused callback (%s): %s", exc.status, exc)
        return PlainTextResponse(exc.public, status_code=exc.status)
    if not reply:
        return PlainTextResponse("success")
    return Response(services.codec.seal(reply.decode("utf-8"), envelope.mode, nonce), media_type=XML)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise ProtocolError(400, "bad content-length")
    if declared is not None and int(declared) > limit:
        raise ProtocolError(413, "body too large", f"content-length {declared}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, "body too large", f"more than {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise ProtocolError(400, "empty body")
    return body


async def wechat_endpoint(request: Request) -> Response:
    return await (verify_url(request) if request.method == "GET" else receive(request))


# A plain Starlette route: the callback is XML, not part of the JSON API, and FastAPI's dependency solving
# would cost more per message than verifying it does.
routes = [Route("/wechat", wechat_endpoint, methods=["GET", "POST"], include_in_schema=False)]
