"""``/api/notifications``: what staff were told, and marking it read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api.errors import ERRORS
from console.api.errors import error_response as _error
from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import NotificationOut, OkOut
from staff import notifications
from staff.errors import StaffActionError

router = APIRouter(prefix="/api", tags=["console"])


@router.get("/notifications", response_model=list[NotificationOut], responses={401: ERRORS[401]})
async def api_notifications(db: Db, staff: ApiStaff, unread: bool = False) -> list[NotificationOut]:
    notes = await notifications.list_notifications(db, staff.user, unread_only=unread)
    return [NotificationOut.model_validate(n, from_attributes=True) for n in notes]


@router.post("/notifications/{notification_id}/read", response_model=OkOut, responses=ERRORS)
async def api_notification_read(request: Request, db: Db, staff: ApiWrite, notification_id: int) -> Response | OkOut:
    try:
        await notifications.mark_notification_read(db, staff.user, notification_id, services_of(request).clock.now())
    except StaffActionError as exc:
        return _error(exc)
    await db.commit()
    return OkOut()
