"""Form posts that move a ticket between queues: 分派, 转办, 退单 and 转介 (referral, which also answers the
user and closes the ticket). Each redirects back to the ticket, or shows it again with the refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageWrite, services_of
from console.pages.tickets import run_ticket_action
from console.sessions import StaffSession
from staff.errors import StaffActionError
from tickets import routing
from tickets.arrivals import tell_on_duty
from tickets.department_store import load_book
from tickets.departments import DepartmentBook, DepartmentConfigError
from tickets.models import Ticket

router = APIRouter(prefix="/console/tickets", include_in_schema=False)


async def _run(
    request: Request,
    db: Db,
    staff: StaffSession,
    number: str,
    done: str,
    action: Callable[[DepartmentBook], Awaitable[object]],
) -> Response:
    """A ticket action that needs the department document; a document that cannot be read is shown as the
    refusal, like any other (run_ticket_action shows the ticket again with it)."""
    departments_path = services_of(request).settings.departments_path

    async def with_book() -> object:
        try:
            return await action(await load_book(db, departments_path))
        except DepartmentConfigError as exc:
            raise StaffActionError(exc.message) from exc

    return await run_ticket_action(request, db, staff, number, done, with_book)


async def _arrived(request: Request, db: Db, move: Awaitable[Ticket]) -> list[int]:
    """After 分派, 转办 or 退单 the on-duty staff of the queue it reached are told on WeChat."""
    services = services_of(request)
    return await tell_on_duty(services.notifier, db, await move, services.clock.now())


@router.post("/{number}/dispatch")
async def dispatch_form(
    request: Request, db: Db, staff: PageWrite, number: str, department: Annotated[str, Form(max_length=32)]
) -> Response:
    now = services_of(request).clock.now()
    return await _run(
        request,
        db,
        staff,
        number,
        "dispatched",
        lambda book: _arrived(request, db, routing.dispatch_ticket(db, book, number, staff.user, department, now)),
    )


@router.post("/{number}/transfer")
async def transfer_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    department: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    now = services_of(request).clock.now()
    return await _run(
        request,
        db,
        staff,
        number,
        "transferred",
        lambda book: _arrived(
            request, db, routing.transfer_ticket(db, book, number, staff.user, department, reason, now)
        ),
    )


@router.post("/{number}/return")
async def return_form(
    request: Request, db: Db, staff: PageWrite, number: str, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    now = services_of(request).clock.now()
    return await _run(
        request,
        db,
        staff,
        number,
        "returned",
        lambda _book: _arrived(request, db, routing.return_ticket(db, number, staff.user, reason, now)),
    )


@router.post("/{number}/refer")
async def refer_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    referral: Annotated[str, Form(max_length=32)],
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    services = services_of(request)
    return await _run(
        request,
        db,
        staff,
        number,
        "referred",
        lambda book: routing.refer_ticket(services.answers, db, book, number, staff.user, referral, note, version),
    )
