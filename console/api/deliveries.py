"""``/api/deliveries``: sends that need a person (failed or uncertain): retry or confirm."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api.errors import ERRORS
from console.api.errors import error_response as _error
from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import DeliveryOut, OkOut
from delivery.admin import confirm_delivery, problem_deliveries, requeue_delivery, retry_delivery
from staff.errors import StaffActionError

router = APIRouter(prefix="/api", tags=["console"])


@router.get("/deliveries/problems", response_model=list[DeliveryOut], responses={401: ERRORS[401]})
async def api_problem_deliveries(db: Db, staff: ApiStaff) -> list[DeliveryOut]:
    """Failed deliveries, and uncertain ones (WeChat may or may not have delivered them: a worker stopped
    mid-send or the API did not answer in time); a person confirms them or decides on a resend."""
    return [DeliveryOut.model_validate(x, from_attributes=True) for x in await problem_deliveries(db)]


@router.post("/deliveries/{delivery_id}/confirm", response_model=OkOut, responses=ERRORS)
async def api_confirm_delivery(request: Request, db: Db, staff: ApiWrite, delivery_id: int) -> Response | OkOut:
    """Record an uncertain delivery as received (staff checked with the user); nothing is sent."""
    services = services_of(request)
    try:
        await confirm_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    await db.commit()
    return OkOut()


@router.post("/deliveries/{delivery_id}/retry", response_model=OkOut, responses=ERRORS)
async def api_retry_delivery(request: Request, db: Db, staff: ApiWrite, delivery_id: int) -> Response | OkOut:
    """Supervisors: send a failed or uncertain delivery again."""
    services = services_of(request)
    try:
        await retry_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    await db.commit()
    await requeue_delivery(services.deliveries, services.queue, delivery_id)
    return OkOut()
