"""Form posts that move a ticket between queues: 分派, 转办, 退单 and 转介 (referral, which also answers the
user and closes the ticket). Each redirects back to the ticket, or shows it again with the refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from console.deps import Db, PageWrite, services_of
from console.pages.tickets import _ticket_page
from console.sessions import StaffSession
from staff.errors import StaffActionError
from tickets import routing
from tickets.actions import AnswerOutcome, commit_and_enqueue
from tickets.department_store import load_book
from tickets.departments import DepartmentBook, DepartmentConfigError

router = APIRouter(prefix="/console/tickets", include_in_schema=False)


async def _run(
    request: Request,
    db: Db,
    staff: StaffSession,
    number: str,
    done: str,
    action: Callable[[DepartmentBook], Awaitable[Any]],
) -> Response:
    services = services_of(request)
    try:
        book = await load_book(db, services.settings.departments_path)
        result = await action(book)
    except DepartmentConfigError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, error=exc.message, status_code=400)
    except StaffActionError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, error=exc.message, status_code=exc.status)
    if isinstance(result, AnswerOutcome):
        await commit_and_enqueue(services.deliveries, db, result.delivery_ids)
    else:
        await db.commit()
    return RedirectResponse(f"/console/tickets/{number}?done={done}", status_code=303)


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
        lambda book: routing.dispatch_ticket(db, book, number, staff.user, department, now),
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
        lambda book: routing.transfer_ticket(db, book, number, staff.user, department, reason, now),
    )


@router.post("/{number}/return")
async def return_form(
    request: Request, db: Db, staff: PageWrite, number: str, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    now = services_of(request).clock.now()
    return await _run(
        request, db, staff, number, "returned", lambda _book: routing.return_ticket(db, number, staff.user, reason, now)
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
