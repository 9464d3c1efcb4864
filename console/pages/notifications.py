"""The notifications page: what staff were told, and marking it read."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.common import base_context, redirect
from console.rendering import render_html
from staff import notifications
from staff.errors import StaffActionError
from tickets.models import Ticket

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/notifications")
async def notifications_page(request: Request, db: Db, staff: PageStaff) -> Response:
    notes = await notifications.list_notifications(db, staff.user)
    ids = {n.ticket_id for n in notes if n.ticket_id is not None}
    numbers: dict[int, str] = {}
    if ids:
        found = await db.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids)))
        numbers = {int(ticket_id): str(number) for ticket_id, number in found.all()}
    rows = [
        {
            "id": n.id,
            "kind": n.kind,
            "text": n.text,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "ticket_number": numbers.get(n.ticket_id) if n.ticket_id else None,
        }
        for n in notes
    ]
    # New tickets are not notifications (every arrival for every colleague would bury the reminders that
    # matter); the page says what it shows, and how many tickets wait unassigned in the queue.
    unassigned = await db.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.state == "open", Ticket.assignee.is_(None))
    )
    context = await base_context(request, db, staff, "notifications")
    return render_html(
        "notifications.html",
        {
            **context,
            "notes": rows,
            "unassigned": int(unassigned or 0),
            "lead_minutes": services_of(request).settings.reminder_lead_minutes,
        },
    )


@router.post("/notifications/{notification_id}/read")
async def notification_read(request: Request, db: Db, staff: PageWrite, notification_id: int) -> Response:
    try:
        await notifications.mark_notification_read(db, staff.user, notification_id, services_of(request).clock.now())
    except StaffActionError as exc:
        raise HTTPException(exc.status, exc.message) from None
    await db.commit()
    return redirect("/console/notifications?done=read")
