"""``/api/tickets/{number}/…``: a ticket's clock — 延期 (ask for an extension, a supervisor's decision, the
list of requests) and 待补充 (ask the user for more, which stops the clock) — with the same rules as the
ticket page (``tickets.time_limits``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api.errors import ERRORS
from console.api.errors import error_response as _error
from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import (
    AskIn,
    ExtensionDecisionIn,
    ExtensionDecisionOut,
    ExtensionIn,
    ExtensionOut,
    TicketChangeOut,
    TicketOut,
)
from staff.errors import StaffActionError
from tickets.actions import commit_and_enqueue
from tickets.detail import get_ticket
from tickets.time_limits import extensions_of

router = APIRouter(prefix="/api/tickets", tags=["console"])


@router.get("/{number}/extensions", response_model=list[ExtensionOut], responses=ERRORS)
async def api_extensions(db: Db, staff: ApiStaff, number: str) -> Response | list[ExtensionOut]:
    try:
        ticket = await get_ticket(db, number)
    except StaffActionError as exc:
        return _error(exc)
    return [ExtensionOut.model_validate(e, from_attributes=True) for e in await extensions_of(db, ticket)]


@router.post("/{number}/extension", response_model=ExtensionOut, responses=ERRORS)
async def api_request_extension(
    request: Request, db: Db, staff: ApiWrite, number: str, body: ExtensionIn
) -> Response | ExtensionOut:
    """延期: ask for more working days, with a reason, before the due time; a supervisor decides."""
    time_limits = services_of(request).time_limits
    try:
        extension = await time_limits.request_extension(db, number, staff.user, body.days, body.reason)
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = ExtensionOut.model_validate(extension, from_attributes=True)
    await db.commit()
    return out


@router.post("/{number}/extension/decision", response_model=ExtensionDecisionOut, responses=ERRORS)
async def api_decide_extension(
    request: Request, db: Db, staff: ApiWrite, number: str, body: ExtensionDecisionIn
) -> Response | ExtensionDecisionOut:
    """Supervisors: approve (the due time moves and the user is told) or refuse the pending request."""
    services = services_of(request)
    try:
        ticket = await get_ticket(db, number)
        pending = [e for e in await extensions_of(db, ticket) if e.state == "pending"]
        ids = await services.time_limits.decide_extension(db, number, staff.user, body.decision == "approve", body.note)
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = ExtensionDecisionOut(
        ticket=TicketOut.model_validate(ticket, from_attributes=True),
        extension=ExtensionOut.model_validate(pending[0], from_attributes=True),
        deliveries=ids,
    )
    await commit_and_enqueue(services.deliveries, db, ids)
    return out


@router.post("/{number}/ask", response_model=TicketChangeOut, responses=ERRORS)
async def api_ask_user(
    request: Request, db: Db, staff: ApiWrite, number: str, body: AskIn
) -> Response | TicketChangeOut:
    """待补充: the request goes to the user and the clock stops until they reply."""
    services = services_of(request)
    try:
        ids = await services.time_limits.ask_user(db, number, staff.user, body.request)
        ticket = await get_ticket(db, number)
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = TicketChangeOut(ticket=TicketOut.model_validate(ticket, from_attributes=True), deliveries=ids)
    await commit_and_enqueue(services.deliveries, db, ids)
    return out
