"""``/api/tickets/{number}/…``: moving a ticket between queues — 分派 (dispatch), 转办 (transfer), 退单
(return) and 转介 (refer, which answers the user and closes it) — with the same rules as the ticket page
(``tickets.routing``: the department's members, dispatchers for the dispatcher's queue, supervisors). The
on-duty staff of the queue a ticket reaches are told (``tickets.arrivals``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.api.errors import ERRORS, WRITE_ERRORS
from console.api.errors import error_response as _error
from console.deps import ApiWrite, Db, services_of
from console.schemas import (
    AnswerOut,
    DispatchIn,
    ReferIn,
    ReturnIn,
    TicketChangeOut,
    TicketOut,
    TransferIn,
)
from staff.errors import StaffActionError
from tickets import routing
from tickets.actions import commit_and_enqueue
from tickets.arrivals import tell_on_duty
from tickets.department_store import load_book
from tickets.departments import DepartmentBook, DepartmentConfigError
from tickets.models import Ticket

router = APIRouter(prefix="/api/tickets", tags=["console"])


async def _book(request: Request, db: Db) -> DepartmentBook:
    try:
        return await load_book(db, services_of(request).settings.departments_path)
    except DepartmentConfigError as exc:
        raise StaffActionError(exc.message) from exc


async def _move(
    request: Request, db: Db, move: Callable[[DepartmentBook], Awaitable[Ticket]]
) -> Response | TicketChangeOut:
    services = services_of(request)
    try:
        ticket = await move(await _book(request, db))
        ids = await tell_on_duty(services.notifier, db, ticket, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = TicketChangeOut(ticket=TicketOut.model_validate(ticket, from_attributes=True), deliveries=ids)
    await commit_and_enqueue(services.deliveries, db, ids)
    return out


@router.post("/{number}/dispatch", response_model=TicketChangeOut, responses=ERRORS)
async def api_dispatch(
    request: Request, db: Db, staff: ApiWrite, number: str, body: DispatchIn
) -> Response | TicketChangeOut:
    """分派: a dispatcher sends a ticket from the dispatcher's queue to a department."""
    now = services_of(request).clock.now()
    return await _move(
        request, db, lambda book: routing.dispatch_ticket(db, book, number, staff.user, body.department, now)
    )


@router.post("/{number}/transfer", response_model=TicketChangeOut, responses=ERRORS)
async def api_transfer(
    request: Request, db: Db, staff: ApiWrite, number: str, body: TransferIn
) -> Response | TicketChangeOut:
    """转办: to another department, with a reason; nobody is assigned there yet."""
    now = services_of(request).clock.now()
    return await _move(
        request,
        db,
        lambda book: routing.transfer_ticket(db, book, number, staff.user, body.department, body.reason, now),
    )


@router.post("/{number}/return", response_model=TicketChangeOut, responses=ERRORS)
async def api_return(
    request: Request, db: Db, staff: ApiWrite, number: str, body: ReturnIn
) -> Response | TicketChangeOut:
    """退单: back to the dispatcher's queue, with a reason."""
    now = services_of(request).clock.now()
    return await _move(request, db, lambda _book: routing.return_ticket(db, number, staff.user, body.reason, now))


@router.post("/{number}/refer", response_model=AnswerOut, responses=WRITE_ERRORS)
async def api_refer(request: Request, db: Db, staff: ApiWrite, number: str, body: ReferIn) -> Response | AnswerOut:
    """转介: tell the user where to go outside the federation and close the ticket (counted apart)."""
    services = services_of(request)
    try:
        outcome = await routing.refer_ticket(
            services.answers, db, await _book(request, db), number, staff.user, body.referral, body.note, body.version
        )
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = AnswerOut(
        ticket=TicketOut.model_validate(outcome.ticket, from_attributes=True), deliveries=outcome.delivery_ids
    )
    await commit_and_enqueue(services.deliveries, db, outcome.delivery_ids)
    return out
