"""``/console/health``: whether Redis and the database answer, and what is waiting to be written because
one of them was out (the local spool, deferred hand-overs). Staff see from here why tickets may lag."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, services_of
from console.pages.common import base_context
from console.rendering import render_html

router = APIRouter(prefix="/console", include_in_schema=False)

NAMES = {"redis": "Redis（去重、任务队列、会话状态）", "database": "数据库（工单、消息记录）"}


@router.get("/health")
async def health_page(request: Request, db: Db, staff: PageStaff) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "health")
    counts: dict[str, int | None] = {"deferred": None, "failed": None, "backlog": None, "backlog_failed": None}
    if not services.health.redis_down:
        try:
            counts.update(await services.deferred_counts())
        except Exception as exc:
            if not services.health.observe(exc):
                raise
    # After the counts: a Redis found silent just now is shown down on this very page.
    rows = [
        {
            "name": NAMES[name],
            "up": state["up"],
            "since": datetime.fromtimestamp(float(str(state["since"])), UTC),
            "error": state["last_error"],
        }
        for name, state in services.health.snapshot().items()
    ]
    return render_html(
        "health.html", {**context, "rows": rows, "spooled": services.spool.pending(), "counts": counts}
    )
