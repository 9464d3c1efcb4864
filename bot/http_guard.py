"""Every HTTP request's body read under a deadline, a bound on uploads in progress, and one log line per
failure.

uvicorn times out idle keep-alive connections but not a request body that trickles in: a client sending a
byte a second holds a connection, a task and a buffer for as long as it likes, and a few hundred of them
exhaust the process. So the body is read here first, whole, within ``body_timeout`` seconds (answered 408
otherwise), by at most ``max_pending`` requests at once (503 beyond that), and at most ``max_bytes`` (413);
then the application reads it from memory.

Logging: a client that went away is one info line, not a traceback; an unhandled error is logged here
once, with its traceback, and answered 500 if nothing was sent yet (uvicorn never sees it, so it does not
log it a second time).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Disconnected(Exception):
    pass


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _who(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}" if client else "?"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class RequestGuard:
    def __init__(self, app: ASGIApp, *, body_timeout: float, max_pending: int, max_bytes: int) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_pending = max_pending
        self.max_bytes = max_bytes
        self.pending = 0  # requests whose body is being read now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        what = f"{scope.get('method', '?')} {scope.get('path', '?')}"
        if scope.get("method") not in _BODYLESS_METHODS:
            declared = _declared_length(scope)
            if declared is not None and declared > self.max_bytes:
                await _plain(send, 413, "request body too large")
                return
            if self.pending >= self.max_pending:
                log.warning("refused %s from %s: %s uploads already in progress", what, _who(scope), self.pending)
                await _plain(send, 503, "too many requests in progress, try again")
                return
            self.pending += 1
            try:
                async with asyncio.timeout(self.body_timeout):
                    messages = await self._read_body(receive)
            except TimeoutError:
                log.warning("closed %s from %s: body not received within %.0f s", what, _who(scope), self.body_timeout)
                await _plain(send, 408, "request body not received in time")
                return
            except _Disconnected:
                log.info("client %s went away before sending the body of %s", _who(scope), what)
                return
            except OverflowError:
                await _plain(send, 413, "request body too large")
                return
            finally:
                self.pending -= 1
            receive = _replay(messages, receive)
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except (ClientDisconnect, ConnectionError) as exc:
            log.info("client %s went away during %s (%s)", _who(scope), what, type(exc).__name__)
        except Exception:
            log.exception("unhandled error in %s", what)
            if not started:
                await _plain(send, 500, "internal error")

    async def _read_body(self, receive: Receive) -> list[Message]:
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                raise OverflowError
            messages.append(message)
            if not message.get("more_body", False):
                return messages


def _replay(messages: list[Message], receive: Receive) -> Any:
    """A ``receive`` that hands out the buffered body, then waits on the real one (for a disconnect)."""
    queue = list(messages)

    async def replayed() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replayed
