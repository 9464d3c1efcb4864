"""The statistics page: 按时答复率 and counts by week, with bar charts; and the knowledge base's figures (how
messages were settled by week, the entries most answered and most followed by “人工”, entries due for review)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.charts import bar_chart
from console.deps import Db, PageStaff, services_of
from console.pages.common import base_context
from console.pages.missed import kb_stats
from console.pages.routing_view import book_or_none
from console.rendering import render_html
from tickets.calendar_source import current_calendar
from tickets.department_stats import department_stats
from tickets.satisfaction_stats import satisfaction_stats
from tickets.stats import ticket_stats

# The message log is read in full for the KB figures: at most half a year of it.
KB_WEEKS_MAX = 26

router = APIRouter(prefix="/console", include_in_schema=False)


def _previous_month(today: date) -> str:
    """The month a monthly report is usually wanted for: the one before this one."""
    first = today.replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


@router.get("/stats")
async def stats_page(
    request: Request, db: Db, staff: PageStaff, weeks: Annotated[int, Query(ge=1, le=104)] = 12
) -> Response:
    services = services_of(request)
    calendar = current_calendar(services.settings)
    stats = await ticket_stats(db, services.clock.now(), services.settings.tz, weeks, calendar)
    book, _ = await book_or_none(db, services.settings.departments_path)
    names = book.name_of if book is not None else (lambda code: code or "分派员（未派单）")
    satisfaction = await satisfaction_stats(db, services.clock.now(), services.settings.tz, weeks, names)
    by_department = await department_stats(db, book, services.clock.now(), services.settings.tz, weeks, calendar)
    labels = [g.label for g in stats.by_week]
    context = await base_context(request, db, staff, "stats")
    kb = await kb_stats(request, db, min(weeks, KB_WEEKS_MAX))
    return render_html(
        "stats.html",
        {
            **context,
            "stats": stats,
            "weeks": weeks,
            "by_department": by_department,
            "satisfaction": satisfaction,
            "rate_chart": bar_chart(labels, [g.on_time_rate for g in stats.by_week], max_value=1.0, percent=True),
            "count_chart": bar_chart(labels, [float(g.tickets) for g in stats.by_week]),
            "kb": kb,
            "last_month": _previous_month(services.clock.now().astimezone(services.settings.tz).date()),
        },
    )
