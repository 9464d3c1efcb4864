"""``/api/notices``: what the console polls to keep its badges and the queue current without a reload."""

from __future__ import annotations

from fastapi import APIRouter

from console.api.errors import ERRORS
from console.deps import ApiStaff, Db
from console.schemas import NoticesOut
from staff import notifications
from tickets import arrivals

router = APIRouter(prefix="/api", tags=["console"])


@router.get("/notices", response_model=NoticesOut, responses={401: ERRORS[401]})
async def api_notices(db: Db, staff: ApiStaff) -> NoticesOut:
    """The badge counts and the queue's change marker (cheap: two counts and a primary-key maximum)."""
    return NoticesOut(
        new_tickets=await arrivals.new_count(db, staff.user),
        unread=await notifications.unread_count(db, staff.user),
        marker=await arrivals.change_marker(db),
    )
