"""What a console page or API call answers when it needs Redis and Redis is out: 503 at once, saying so.

Most of the console never needs Redis (sessions, CSRF tokens, tickets and notifications are in the database),
and what it does need degrades where it is used: logins are throttled in memory, committed answers and notices
wait as pending deliveries for the sweeper, the 发送异常 page leaves out the failed jobs Redis holds. What is
left needs Redis itself (a preview sent through WeChat needs the shared access token): with Redis marked down it
fails without waiting (``storage.redis_guard``), and lands here instead of a bare 500.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from console.deps import services_of
from console.rendering import render_html

log = logging.getLogger(__name__)

# Handled app-wide, so the failing call may come after a commit: the text must not say nothing was done.
MESSAGE = "Redis 暂时不可用，这项操作需要它，可能没有全部完成。请在“系统状态”显示恢复后，先查看结果再决定是否重试。"


async def redis_outage_response(request: Request, exc: Exception) -> Response:
    health = services_of(request).health
    health.observe(exc)  # already marked by the guarded client; the state changes (and is logged) once
    path = request.url.path
    headers = {"Retry-After": "5"}
    if path.startswith("/api/"):
        return JSONResponse({"detail": MESSAGE}, status_code=503, headers=headers)
    if path.startswith("/console"):
        context = {"me": None, "csrf": "", "flash": None, "error": None, "health": health}
        response = render_html("error.html", {**context, "message": MESSAGE, "back": "/console/health"}, 503)
        response.headers.update(headers)
        return response
    log.error("Redis error outside the console on %s", path, exc_info=exc)
    return PlainTextResponse("Internal Server Error", status_code=500)
