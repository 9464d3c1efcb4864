"""Serve ``/wechat`` ahead of the framework's middleware stack.

WeChat's callback is the one hot endpoint: thousands of small XML posts a second. Routed through FastAPI it
pays for exception middleware, routing and telemetry on every message; here it is matched first and handled
directly, and everything else (console, API, simulator, lifespan) goes to the FastAPI app unchanged.

It is also where a request's clock starts: ``RECEIVED_AT`` in the scope is the first moment the application
sees the request (uvicorn has parsed its head), before the body is read, and the webhook's 5-second budget
counts from it (``bot.pipeline``), so time spent waiting for the process is part of the budget.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.http_guard import RequestGuard
from bot.webhook import RECEIVED_AT, wechat_endpoint


class WeChatFastPath:
    """Also the one place that believes ``X-Forwarded-For``/``-Proto``: only from ``trusted_proxies``
    (uvicorn's own proxy-header handling is off in ``qiaobot serve``), so the client address the login
    throttle sees and the scheme the cookies depend on cannot be forged by anyone else."""

    def __init__(
        self,
        app: Any,
        path: str = "/wechat",
        trusted_proxies: str = "",
        *,
        body_timeout: float = 10.0,
        max_pending_uploads: int = 64,
        max_request_bytes: int = 2 * 1024 * 1024,
    ) -> None:
        self.app = app
        self.path = path
        trusted = [host for host in trusted_proxies.split(",") if host]
        guarded: Any = RequestGuard(
            self._route, body_timeout=body_timeout, max_pending=max_pending_uploads, max_bytes=max_request_bytes
        )
        self._entry: Any = ProxyHeadersMiddleware(guarded, trusted_hosts=trusted) if trusted else guarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[RECEIVED_AT] = time.monotonic()
        await self._entry(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "POST"):
            await PlainTextResponse("method not allowed", status_code=405)(scope, receive, send)
            return
        scope["app"] = self.app
        try:
            response = await wechat_endpoint(Request(scope, receive))
        except Exception:
            # Nothing was stored or the message was released: answer 500 so WeChat redelivers it, and
            # re-raise for the one error log line (bot.http_guard).
            await PlainTextResponse("internal error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        # Everything else (state, routes, openapi, dependency overrides…) is the FastAPI app's.
        return getattr(self.app, name)
