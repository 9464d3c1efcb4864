"""``/api/tickets``: the queue, one ticket, and what staff do to it (answer, note, assign, close, reopen,
into the FAQ)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.api.errors import ERRORS, WRITE_ERRORS
from console.api.errors import error_response as _error
from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import (
    AnswerIn,
    AnswerOut,
    AssignIn,
    ConversationOut,
    DeliveryOut,
    EventOut,
    FaqIn,
    FaqOut,
    FaqSuggestionOut,
    MessageOut,
    NoteIn,
    QueueOut,
    TicketDetailOut,
    TicketOut,
    WindowOut,
)
from knowledge.from_ticket import propose_from_ticket
from staff.errors import StaffActionError
from tickets.actions import add_note, assign_ticket, close_ticket, commit_and_enqueue, reopen_ticket
from tickets.answer_images import decoded_image
from tickets.answering import answer_with_image
from tickets.detail import ticket_detail
from tickets.models import Ticket
from tickets.queue import MAX_PER_PAGE, QueueFilter, list_queue

router = APIRouter(prefix="/api", tags=["console"])


def _aware(at: datetime | None, tz: tzinfo) -> datetime | None:
    """A time without an offset is the hotline's local time."""
    return at.replace(tzinfo=tz) if at is not None and at.tzinfo is None else at


def _ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut.model_validate(ticket, from_attributes=True)


@router.get("/tickets", response_model=QueueOut, responses={401: ERRORS[401]})
async def api_queue(
    request: Request,
    db: Db,
    staff: ApiStaff,
    state: Annotated[str, Query(pattern="^(open|waiting|answered|closed|all)$")] = "open",
    category: str | None = None,
    assignee: Annotated[str | None, Query(description='A username, or "-" for unassigned')] = None,
    overdue: bool = False,
    q: Annotated[str, Query(max_length=200, description="Search: every space-separated term in the ticket")] = "",
    received_from: Annotated[datetime | None, Query(alias="from", description="Received at or after")] = None,
    received_before: Annotated[datetime | None, Query(alias="before", description="Received before")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> QueueOut:
    """The queue, earliest due first (newest first when searching); ``overdue`` and ``due_soon`` flag open
    tickets."""
    filters = QueueFilter(
        state=None if state == "all" else state,
        category=category,
        assignee=assignee,
        overdue_only=overdue,
        text=q,
        received_from=_aware(received_from, services_of(request).settings.tz),
        received_before=_aware(received_before, services_of(request).settings.tz),
        page=page,
        per_page=per_page,
    )
    result = await list_queue(db, filters, services_of(request).clock.now())
    return QueueOut(
        items=result.items,
        total=result.total,
        total_capped=result.capped,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        open_count=result.open_count,
        overdue_count=result.overdue_count,
    )


@router.get("/tickets/{number}", response_model=TicketDetailOut, responses=ERRORS)
async def api_ticket(request: Request, db: Db, staff: ApiStaff, number: str) -> Response | TicketDetailOut:
    services = services_of(request)
    try:
        d = await ticket_detail(services.knowledge.matcher, db, number, services.clock.now())
    except StaffActionError as exc:
        return _error(exc)

    def messages(items: list[Any]) -> list[MessageOut]:
        return [MessageOut.model_validate(m, from_attributes=True) for m in items]

    return TicketDetailOut(
        ticket=_ticket_out(d.ticket),
        messages=messages(d.messages),
        notes=messages(d.notes),
        conversation=[ConversationOut.model_validate(m, from_attributes=True) for m in d.conversation],
        events=[EventOut.model_validate(e, from_attributes=True) for e in d.events],
        deliveries=[DeliveryOut.model_validate(x, from_attributes=True) for x in d.deliveries],
        window=WindowOut(state=d.window.state, closes_at=d.window.closes_at),
        suggestions=[
            FaqSuggestionOut(id=e.id, category=e.category, question=e.question, answer=e.answer) for e in d.suggestions
        ],
        overdue=d.overdue,
        due_soon=d.due_soon,
    )


@router.post("/tickets/{number}/answer", response_model=AnswerOut, responses=WRITE_ERRORS)
async def api_answer(request: Request, db: Db, staff: ApiWrite, number: str, body: AnswerIn) -> Response | AnswerOut:
    """Answer the user. ``version`` is the ticket version the answer was written against; if the ticket
    changed since (someone else answered), the answer is refused with 409 and the current answer.

    ``image`` (optional) goes as an image message after the text, as from the ticket page: uploaded with
    ``media/upload`` just before it is sent, held until the text was delivered (outside the 48-hour window,
    until the user next writes); a send whose outcome is unknown is *uncertain* and never repeated blindly.
    A refused image (format, size, encoding) answers 400 and keeps nothing, not even the answer."""
    services = services_of(request)
    try:
        image = decoded_image(body.image.content_base64, body.image.filename) if body.image is not None else None
        outcome, image_delivery = await answer_with_image(
            services.answers,
            db,
            services.blobs,
            number,
            staff.user,
            body.answer,
            body.version,
            image,
            services.settings.answer_image_max_bytes,
        )
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    ticket = _ticket_out(outcome.ticket)
    image_id = image_delivery.id if image_delivery is not None else None
    await commit_and_enqueue(services.deliveries, db, outcome.delivery_ids)
    return AnswerOut(ticket=ticket, deliveries=outcome.delivery_ids, image_delivery=image_id)


@router.post("/tickets/{number}/notes", response_model=MessageOut, responses=ERRORS)
async def api_note(request: Request, db: Db, staff: ApiWrite, number: str, body: NoteIn) -> Response | MessageOut:
    try:
        note = await add_note(db, number, staff.user, body.body, services_of(request).clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = MessageOut.model_validate(note, from_attributes=True)
    await db.commit()
    return out


async def _ticket_change(db: Db, change: Any) -> Response | TicketOut:
    try:
        ticket = await change()
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    out = _ticket_out(ticket)
    await db.commit()
    return out


@router.post("/tickets/{number}/assign", response_model=TicketOut, responses=WRITE_ERRORS)
async def api_assign(request: Request, db: Db, staff: ApiWrite, number: str, body: AssignIn) -> Response | TicketOut:
    """Staff may take a ticket or give it up; supervisors may assign anyone."""
    now = services_of(request).clock.now()
    return await _ticket_change(db, lambda: assign_ticket(db, number, staff.user, body.assignee, now))


@router.post("/tickets/{number}/close", response_model=TicketOut, responses=WRITE_ERRORS)
async def api_close(request: Request, db: Db, staff: ApiWrite, number: str) -> Response | TicketOut:
    now = services_of(request).clock.now()
    return await _ticket_change(db, lambda: close_ticket(db, number, staff.user, now))


@router.post("/tickets/{number}/reopen", response_model=TicketOut, responses=WRITE_ERRORS)
async def api_reopen(request: Request, db: Db, staff: ApiWrite, number: str) -> Response | TicketOut:
    now = services_of(request).clock.now()
    return await _ticket_change(db, lambda: reopen_ticket(db, number, staff.user, now))


@router.post("/tickets/{number}/faq", response_model=FaqOut, responses=ERRORS)
async def api_faq(request: Request, db: Db, staff: ApiWrite, number: str, body: FaqIn) -> Response | FaqOut:
    """Draft the ticket's answer as a new FAQ entry, or its question as a 相似问 of one; a supervisor publishes
    the draft (``/console/faq/drafts``) as any other KB change."""
    services = services_of(request)
    try:
        proposed = await propose_from_ticket(
            db,
            number,
            staff.user,
            body.mode,
            now=services.clock.now(),
            tz=services.settings.tz,
            faq_id=body.faq_id,
            question=body.question,
            answer=body.answer,
            category=body.category,
        )
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    await db.commit()
    return FaqOut(faq_id=proposed.entry_id, draft_id=proposed.draft_id)
