"""Form posts on a ticket's clock: ask for an extension (延期), a supervisor's decision on it, and asking
the user for more (待补充, which stops the clock). Each redirects back to the ticket, or shows it again with
the refusal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageWrite, services_of
from console.pages.tickets import run_ticket_action

router = APIRouter(prefix="/console/tickets", include_in_schema=False)


@router.post("/{number}/extension")
async def extension_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    days: Annotated[int, Form(ge=-1000, le=1000)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    time_limits = services_of(request).time_limits
    return await run_ticket_action(
        request,
        db,
        staff,
        number,
        "extension_requested",
        lambda: time_limits.request_extension(db, number, staff.user, days, reason),
    )


@router.post("/{number}/extension/decide")
async def decide_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    decision: Annotated[str, Form(pattern="^(approve|refuse)$")],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    time_limits = services_of(request).time_limits
    approve = decision == "approve"
    return await run_ticket_action(
        request,
        db,
        staff,
        number,
        "extension_approved" if approve else "extension_refused",
        lambda: time_limits.decide_extension(db, number, staff.user, approve, note),
    )


@router.post("/{number}/ask")
async def ask_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    request_text: Annotated[str, Form(alias="request", max_length=4000)],
) -> Response:
    time_limits = services_of(request).time_limits
    return await run_ticket_action(
        request, db, staff, number, "asked", lambda: time_limits.ask_user(db, number, staff.user, request_text)
    )
