"""The console's actions as a JSON API under ``/api``, with the same login as the pages.

Authentication is the session cookie (from ``POST /api/session`` or the login page); every write also needs
the session's CSRF token in the ``X-CSRF-Token`` header, which a browser on another site cannot read, so
the cookie alone can never make a write.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import (
    AnswerIn,
    AnswerOut,
    AssignIn,
    ConflictOut,
    ConversationOut,
    DeliveryOut,
    ErrorOut,
    EventOut,
    FaqIn,
    FaqOut,
    FaqSuggestionOut,
    LoginIn,
    MessageOut,
    NoteIn,
    NotificationOut,
    OkOut,
    QueueItemOut,
    QueueOut,
    SessionOut,
    StaffOut,
    StatGroupOut,
    StatsOut,
    TicketDetailOut,
    TicketOut,
    WindowOut,
)
from console.sessions import (
    COOKIE_NAME,
    StaffIdentity,
    clear_session_cookie,
    close_session,
    open_session,
    set_session_cookie,
)
from delivery.admin import confirm_delivery, problem_deliveries, requeue_delivery, retry_delivery
from staff import accounts, notifications
from staff.errors import StaffActionError
from tickets.actions import add_note, answer_ticket, assign_ticket, close_ticket, commit_and_enqueue, reopen_ticket
from tickets.detail import ticket_detail
from tickets.errors import AnswerConflict
from tickets.models import Ticket
from tickets.queue import MAX_PER_PAGE, QueueFilter, list_queue
from tickets.stats import StatGroup, ticket_stats
from tickets.to_faq import answer_to_faq

router = APIRouter(prefix="/api", tags=["console"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The action is refused (the detail says why, in Chinese)"},
    401: {"model": ErrorOut, "description": "Not logged in"},
    403: {"model": ErrorOut, "description": "Missing CSRF header or not allowed for this role"},
    404: {"model": ErrorOut, "description": "No such ticket"},
}
WRITE_ERRORS = {**ERRORS, 409: {"model": ConflictOut, "description": "The ticket changed since it was read"}}


def _error(exc: StaffActionError) -> JSONResponse:
    if isinstance(exc, AnswerConflict):
        body = ConflictOut(
            detail=exc.message,
            number=exc.number,
            current_version=exc.current_version,
            state=exc.state,
            answer=exc.answer,
            answered_by=exc.answered_by,
            answered_at=exc.answered_at,
            assignee=exc.assignee,
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=409)
    return JSONResponse({"detail": exc.message}, status_code=exc.status)


def _ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut.model_validate(ticket, from_attributes=True)


def _staff_out(user: StaffIdentity) -> StaffOut:
    return StaffOut(username=user.username, display_name=user.display_name, role=user.role)  # type: ignore[arg-type]


# --- session ------------------------------------------------------------------------------------------


@router.post("/session", response_model=SessionOut, responses={401: ERRORS[401], 423: ERRORS[401]})
async def api_login(request: Request, body: LoginIn, db: Db) -> Response:
    """Log in; sets the session cookie and returns the CSRF token for writes.

    Only JSON is accepted, which a form on another site cannot send without a CORS preflight.
    """
    services = services_of(request)
    now = services.clock.now()
    result = await accounts.authenticate(db, body.username, body.password, now)
    if result.outcome != "ok" or result.user is None:
        await db.commit()
        if result.outcome == "locked":
            return JSONResponse({"detail": "密码错误次数过多，账号已暂时锁定"}, status_code=423)
        return JSONResponse({"detail": "用户名或密码错误"}, status_code=401)
    token, csrf = await open_session(db, result.user, now)
    identity = StaffIdentity.of(result.user)
    await db.commit()
    response = JSONResponse(SessionOut(user=_staff_out(identity), csrf_token=csrf).model_dump(mode="json"))
    set_session_cookie(response, services.settings, token)
    return response


@router.get("/session", response_model=SessionOut, responses={401: ERRORS[401]})
async def api_whoami(staff: ApiStaff) -> SessionOut:
    return SessionOut(user=_staff_out(staff.user), csrf_token=staff.csrf_token)


@router.delete("/session", response_model=OkOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def api_logout(request: Request, db: Db, staff: ApiWrite) -> Response:
    await close_session(db, request.cookies.get(COOKIE_NAME))
    await db.commit()
    response = JSONResponse(OkOut().model_dump())
    clear_session_cookie(response, services_of(request).settings)
    return response


# --- tickets ------------------------------------------------------------------------------------------


@router.get("/tickets", response_model=QueueOut, responses={401: ERRORS[401]})
async def api_queue(
    request: Request,
    db: Db,
    staff: ApiStaff,
    state: Annotated[str, Query(pattern="^(open|answered|closed|all)$")] = "open",
    category: str | None = None,
    assignee: Annotated[str | None, Query(description='A username, or "-" for unassigned')] = None,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> QueueOut:
    """The queue, earliest due first; ``overdue`` and ``due_soon`` flag open tickets."""
    filters = QueueFilter(
        state=None if state == "all" else state,
        category=category,
        assignee=assignee,
        overdue_only=overdue,
        page=page,
        per_page=per_page,
    )
    result = await list_queue(db, filters, services_of(request).clock.now())
    return QueueOut(
        items=[QueueItemOut.model_validate(item, from_attributes=True) for item in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        open_count=result.open_count,
        overdue_count=result.overdue_count,
    )


@router.get("/tickets/{number}", response_model=TicketDetailOut, responses=ERRORS)
async def api_ticket(request: Request, db: Db, staff: ApiStaff, number: str) -> Response | TicketDetailOut:
    try:
        d = await ticket_detail(services_of(request), db, number)
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
    changed since (someone else answered), the answer is refused with 409 and the current answer."""
    services = services_of(request)
    try:
        outcome = await answer_ticket(services, db, number, staff.user, body.answer, body.version)
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    ticket = _ticket_out(outcome.ticket)
    await commit_and_enqueue(services, db, outcome.delivery_ids)
    return AnswerOut(ticket=ticket, deliveries=outcome.delivery_ids)


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
    """Supervisors: turn the ticket's answer into a new FAQ entry, or add its question as a 相似问."""
    services = services_of(request)
    try:
        faq_id = await answer_to_faq(
            services,
            db,
            number,
            staff.user,
            body.mode,
            faq_id=body.faq_id,
            question=body.question,
            answer=body.answer,
            category=body.category,
        )
    except StaffActionError as exc:
        await db.rollback()
        return _error(exc)
    await db.commit()
    await services.knowledge.refresh()
    return FaqOut(faq_id=faq_id)


# --- statistics, notifications, deliveries ------------------------------------------------------------


def _group_out(group: StatGroup) -> StatGroupOut:
    return StatGroupOut(
        label=group.label,
        tickets=group.tickets,
        answered=group.answered,
        on_time=group.on_time,
        counted=group.counted,
        on_time_rate=group.on_time_rate,
        median_answer_hours=group.median_answer_hours,
        open=group.open,
        overdue=group.overdue,
    )


@router.get("/stats", response_model=StatsOut, responses={401: ERRORS[401]})
async def api_stats(
    request: Request, db: Db, staff: ApiStaff, weeks: Annotated[int, Query(ge=1, le=104)] = 12
) -> StatsOut:
    """按时答复率, median time to answer, open and overdue counts; by week (Monday start) and by category."""
    services = services_of(request)
    stats = await ticket_stats(db, services.clock.now(), services.settings.tz, weeks)
    return StatsOut(
        since=stats.since,
        weeks=weeks,
        total=_group_out(stats.total),
        by_week=[_group_out(g) for g in stats.by_week],
        by_category=[_group_out(g) for g in stats.by_category],
        open_now=stats.open_now,
        overdue_now=stats.overdue_now,
    )


@router.get("/notifications", response_model=list[NotificationOut], responses={401: ERRORS[401]})
async def api_notifications(db: Db, staff: ApiStaff, unread: bool = False) -> list[NotificationOut]:
    notes = await notifications.list_notifications(db, staff.user, unread_only=unread)
    return [NotificationOut.model_validate(n, from_attributes=True) for n in notes]


@router.post("/notifications/{notification_id}/read", response_model=OkOut, responses=ERRORS)
async def api_notification_read(request: Request, db: Db, staff: ApiWrite, notification_id: int) -> Response | OkOut:
    try:
        await notifications.mark_notification_read(db, staff.user, notification_id, services_of(request).clock.now())
    except StaffActionError as exc:
        return _error(exc)
    await db.commit()
    return OkOut()


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
