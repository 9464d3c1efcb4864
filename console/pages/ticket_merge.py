"""合并 on the ticket page: a supervisor merges this ticket (a duplicate) into another of the same user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageWrite, services_of
from console.pages.tickets import run_ticket_action
from tickets.merge import merge_tickets

router = APIRouter(prefix="/console/tickets", include_in_schema=False)


@router.post("/{number}/merge")
async def merge_form(
    request: Request, db: Db, staff: PageWrite, number: str, into: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    now = services_of(request).clock.now()
    response = await run_ticket_action(
        request, db, staff, number, "merged", lambda: merge_tickets(db, number, into, staff.user, now)
    )
    if response.status_code == 303:  # show the ticket the conversation went into
        response.headers["location"] = f"/console/tickets/{into.strip()}?done=merged"
    return response
