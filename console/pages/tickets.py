"""The queue and one ticket, and the forms staff post on it (answer, note, assign, close, reopen, into the
FAQ). A conflicting answer is shown at once with the draft kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.canned_replies import for_ticket as canned_for_ticket
from console.pages.clock_view import ticket_clock
from console.pages.common import base_context, error_page, redirect
from console.pages.queue_query import QueueQuery, queue_query
from console.pages.routing_view import department_options, ticket_routing
from console.rendering import render_html
from console.sessions import StaffSession
from knowledge.from_ticket import propose_from_ticket
from staff.accounts import active_staff, display_names
from staff.errors import StaffActionError
from tickets.actions import (
    AnswerOutcome,
    add_note,
    assign_ticket,
    close_ticket,
    commit_and_enqueue,
    reopen_ticket,
)
from tickets.answer_delivery import answer_text_for
from tickets.answer_drafts import staff_draft
from tickets.answer_images import AnswerImage
from tickets.answering import answer_with_image
from tickets.arrivals import change_marker
from tickets.attachments import files_by_message, may_open
from tickets.detail import get_ticket, ticket_detail
from tickets.errors import AnswerConflict
from tickets.queue import list_queue, ticket_categories

router = APIRouter(prefix="/console", include_in_schema=False)


KB_CHOICES_LIMIT = 300
# The ticket page shows this many of the newest additions and answers; older ones fold away, so the question
# and the answer form stay on the first screen however long the conversation grew.
RECENT_MESSAGES = 3


def _names(names: dict[str, str]) -> Callable[[str | None], str]:
    """Who did something, as the console shows people: display names; openids and "system" as they are."""

    def name_of(who: str | None) -> str:
        return names.get(who or "", who or "")

    return name_of


@router.get("")
@router.get("/")
async def home() -> Response:
    return redirect("/console/tickets")


@router.get("/tickets")
async def queue_page(
    request: Request,
    db: Db,
    staff: PageStaff,
    query: Annotated[QueueQuery, Depends(queue_query)],
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    services = services_of(request)
    filters = await query.to_filter(db, staff.user, services.settings.tz, page=page)
    result = await list_queue(db, filters, services.clock.now())

    def page_url(number: int) -> str:
        return query.url("/console/tickets", page=number)

    context = await base_context(request, db, staff, "queue")
    return render_html(
        "queue.html",
        {
            **context,
            "page": result,
            "f": filters,
            "query": query,
            "export_url": query.url("/console/tickets/export.xlsx"),
            "categories": await ticket_categories(db),
            "staff": await active_staff(db),
            "name_of": _names(await display_names(db)),
            "page_url": page_url,
            "department": query.department,
            "departments": await department_options(db, services.settings.departments_path),
            "marker": await change_marker(db),  # console.js refreshes the table when /api/notices moves on
        },
    )


async def _ticket_page(
    request: Request,
    db: Db,
    staff: StaffSession,
    number: str,
    *,
    draft: str | None = None,
    conflict: AnswerConflict | None = None,
    error: str | None = None,
    preview: str | None = None,
    status_code: int = 200,
) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "queue")
    try:
        detail = await ticket_detail(services.knowledge.matcher, db, number, services.clock.now())
    except StaffActionError as exc:
        return error_page(context, exc, "/console/tickets")
    kb_entries = []
    if staff.user.can("supervisor") and detail.ticket.answer:
        shown = {entry.id for entry in detail.suggestions}
        same_category = [e for e in services.knowledge.entries if e.id not in shown]
        same_category.sort(key=lambda e: e.category != detail.ticket.category)
        kb_entries = same_category[:KB_CHOICES_LIMIT]
    if error:
        context["error"] = error
    limit = services.settings.answer_image_max_bytes
    return render_html(
        "ticket.html",
        {
            **context,
            "d": detail,
            "draft": draft,
            "conflict": conflict,
            "staff": await active_staff(db),
            "name_of": _names(await display_names(db)),
            "RECENT_MESSAGES": RECENT_MESSAGES,
            "drafts": {entry.id: staff_draft(entry.answer) for entry in detail.suggestions},
            "kb_entries": kb_entries,
            "preview": preview,
            "routing": await ticket_routing(db, services.settings.departments_path, staff.user, detail.ticket),
            "clock": await ticket_clock(db, services, staff.user, detail.ticket),
            "canned": await canned_for_ticket(db, staff.user, detail.ticket.department),
            "files": await files_by_message(db, detail.ticket.id),
            "may_open_files": await may_open(db, staff.user, detail.ticket),
            "answer_image_max": limit,
            "answer_image_mb": f"{limit / (1024 * 1024):g}",
        },
        status_code=status_code,
    )


@router.get("/tickets/{number}")
async def ticket_page(request: Request, db: Db, staff: PageStaff, number: str) -> Response:
    return await _ticket_page(request, db, staff, number)


@router.post("/tickets/{number}/answer")
async def answer_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    answer: Annotated[str, Form(max_length=20000)],
    version: Annotated[int, Form()],
    image: Annotated[UploadFile | None, File()] = None,
) -> Response:
    services = services_of(request)
    picture = AnswerImage(await image.read(), image.filename or "") if image is not None and image.filename else None
    try:
        outcome, _image = await answer_with_image(
            services.answers,
            db,
            services.blobs,
            number,
            staff.user,
            answer,
            version,
            picture,
            services.settings.answer_image_max_bytes,
        )
    except AnswerConflict as conflict:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, draft=answer, conflict=conflict, status_code=409)
    except StaffActionError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, draft=answer, error=exc.message, status_code=exc.status)
    await commit_and_enqueue(services.deliveries, db, outcome.delivery_ids)
    return redirect(f"/console/tickets/{number}?done=answered")


@router.post("/tickets/{number}/preview")
async def preview_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    answer: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """The answer as a Traditional-script user will receive it, wrapper included; nothing is sent or saved."""
    try:
        ticket = await get_ticket(db, number)
    except StaffActionError as exc:
        return await _ticket_page(request, db, staff, number, error=exc.message, status_code=exc.status)
    return await _ticket_page(request, db, staff, number, draft=answer, preview=answer_text_for(ticket, answer))


async def run_ticket_action(
    request: Request, db: Db, staff: StaffSession, number: str, done: str, action: Callable[[], Awaitable[object]]
) -> Response:
    """Run one staff action on a ticket: on a refusal roll back and show the ticket again with the reason;
    otherwise commit, hand any deliveries the action stored to the queue, and go back to the ticket.

    An action may return an ``AnswerOutcome`` or a list of delivery ids; anything else stores no delivery."""
    try:
        result = await action()
    except StaffActionError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, error=exc.message, status_code=exc.status)
    if isinstance(result, AnswerOutcome):
        delivery_ids: list[int] = result.delivery_ids
    elif isinstance(result, list):
        delivery_ids = result
    else:
        delivery_ids = []
    await commit_and_enqueue(services_of(request).deliveries, db, delivery_ids)
    return redirect(f"/console/tickets/{number}?done={done}")


@router.post("/tickets/{number}/note")
async def note_form(
    request: Request, db: Db, staff: PageWrite, number: str, body: Annotated[str, Form(max_length=20000)]
) -> Response:
    now = services_of(request).clock.now()
    return await run_ticket_action(
        request, db, staff, number, "note", lambda: add_note(db, number, staff.user, body, now)
    )


@router.post("/tickets/{number}/assign")
async def assign_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    now = services_of(request).clock.now()
    return await run_ticket_action(
        request,
        db,
        staff,
        number,
        "assigned",
        lambda: assign_ticket(db, number, staff.user, assignee or None, now),
    )


@router.post("/tickets/{number}/close")
async def close_form(request: Request, db: Db, staff: PageWrite, number: str) -> Response:
    now = services_of(request).clock.now()
    return await run_ticket_action(
        request, db, staff, number, "closed", lambda: close_ticket(db, number, staff.user, now)
    )


@router.post("/tickets/{number}/reopen")
async def reopen_form(request: Request, db: Db, staff: PageWrite, number: str) -> Response:
    now = services_of(request).clock.now()
    return await run_ticket_action(
        request, db, staff, number, "reopened", lambda: reopen_ticket(db, number, staff.user, now)
    )


@router.post("/tickets/{number}/faq")
async def faq_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    number: str,
    mode: Annotated[str, Form(pattern="^(new|similar)$")],
    faq_id: Annotated[str, Form(max_length=80)] = "",
    question: Annotated[str, Form(max_length=400)] = "",
    answer: Annotated[str, Form(max_length=20000)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    services = services_of(request)
    return await run_ticket_action(
        request,
        db,
        staff,
        number,
        "faq",
        lambda: propose_from_ticket(
            db,
            number,
            staff.user,
            "new" if mode == "new" else "similar",
            now=services.clock.now(),
            tz=services.settings.tz,
            faq_id=faq_id or None,
            question=question or None,
            answer=answer or None,
            category=category or None,
        ),
    )
