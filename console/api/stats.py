"""``/api/stats``: the reply tracker's statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from console.api.errors import ERRORS
from console.deps import ApiStaff, Db, services_of
from console.schemas import StatGroupOut, StatsOut
from tickets.stats import StatGroup, ticket_stats

router = APIRouter(prefix="/api", tags=["console"])


def _group_out(group: StatGroup) -> StatGroupOut:
    return StatGroupOut(
        label=group.label,
        tickets=group.tickets,
        answered=group.answered,
        on_time=group.on_time,
        counted=group.counted,
        on_time_rate=group.on_time_rate,
        median_answer_hours=group.median_answer_hours,
        open=group.open,
        overdue=group.overdue,
    )


@router.get("/stats", response_model=StatsOut, responses={401: ERRORS[401]})
async def api_stats(
    request: Request, db: Db, staff: ApiStaff, weeks: Annotated[int, Query(ge=1, le=104)] = 12
) -> StatsOut:
    """按时答复率, median time to answer, open and overdue counts; by week (Monday start) and by category."""
    services = services_of(request)
    stats = await ticket_stats(db, services.clock.now(), services.settings.tz, weeks)
    return StatsOut(
        since=stats.since,
        weeks=weeks,
        total=_group_out(stats.total),
        by_week=[_group_out(g) for g in stats.by_week],
        by_category=[_group_out(g) for g in stats.by_category],
        open_now=stats.open_now,
        overdue_now=stats.overdue_now,
    )
