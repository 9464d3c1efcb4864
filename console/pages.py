"""The console's HTML pages under ``/console``: login, the queue, a ticket, statistics, notifications and the
deliveries that need a person. Every write is a form post with the session's CSRF token that redirects
back (post/redirect/get), except a conflicting answer, which is shown at once with the draft kept.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from console.charts import bar_chart
from console.deps import Db, PageStaff, PageWrite, services_of, tokens_match
from console.rendering import STATIC_DIR, Times, render_html
from console.sessions import (
    COOKIE_NAME,
    StaffSession,
    clear_session_cookie,
    close_session,
    open_session,
    set_session_cookie,
    uses_https,
)
from delivery.admin import (
    confirm_delivery,
    failed_jobs,
    problem_deliveries,
    requeue_delivery,
    retry_delivery,
    retry_job,
)
from staff import accounts, notifications
from staff.accounts import active_staff
from staff.errors import StaffActionError
from tickets.actions import add_note, answer_ticket, assign_ticket, close_ticket, commit_and_enqueue, reopen_ticket
from tickets.detail import ticket_detail
from tickets.errors import AnswerConflict
from tickets.models import Ticket
from tickets.queue import QueueFilter, list_queue, ticket_categories
from tickets.stats import ticket_stats
from tickets.to_faq import answer_to_faq

router = APIRouter(prefix="/console", include_in_schema=False)

LOGIN_CSRF_COOKIE = "qiaobot_login_csrf"
STATIC_FILES = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
DONE_MESSAGES = {
    "answered": "答复已保存，正在发送给用户。",
    "note": "备注已添加。",
    "assigned": "负责人已更新。",
    "closed": "工单已关闭。",
    "reopened": "工单已重新打开。",
    "faq": "已加入知识库，几秒后生效。",
    "retried": "已重新排队发送。",
    "confirmed": "已确认送达，不再重发。",
    "read": "已标为已读。",
}
KB_CHOICES_LIMIT = 300


def _safe_next(target: str | None) -> str:
    """Only redirect within the console after login (never to another site: ``//evil`` or ``https:``)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/tickets"


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _base_context(request: Request, db: Db, staff: StaffSession, active: str) -> dict[str, Any]:
    services = services_of(request)
    done = request.query_params.get("done")
    return {
        "me": staff.user,
        "csrf": staff.csrf_token,
        "active": active,
        "t": Times(services.settings.tz, services.clock.now()),
        "unread": await notifications.unread_count(db, staff.user),
        "flash": DONE_MESSAGES.get(done or ""),
        "error": None,
        "health": services.health,  # the banner on every page while Redis or the database is out
    }


def _error_page(context: dict[str, Any], error: StaffActionError, back: str) -> Response:
    return render_html("error.html", {**context, "message": error.message, "back": back}, status_code=error.status)


# --- login --------------------------------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    username: str = "",
    next_url: str = "",
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render_html(
        "login.html",
        {
            "me": None,
            "csrf": "",
            "flash": None,
            "error": error,
            "login_csrf": token,
            "next": _safe_next(next_url),
            "username": username,
            "max_failures": accounts.MAX_FAILED_LOGINS,
            "lockout_minutes": int(accounts.LOCKOUT.total_seconds() // 60),
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=uses_https(services_of(request).settings),
        path="/console/login",
    )
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "") -> Response:
    return _login_page(request, next_url=next)


@router.post("/login")
async def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_page(
            request, error="登录表单已失效，请重新输入。", username=username, next_url=next, status_code=403
        )
    services = services_of(request)
    now = services.clock.now()
    result = await accounts.authenticate(db, username, password, now)
    if result.outcome != "ok" or result.user is None:
        await db.commit()  # keep the failure count
        if result.outcome == "locked":
            until = Times(services.settings.tz, now).short(result.locked_until)
            return _login_page(
                request,
                error=f"密码错误次数过多，账号已锁定至 {until}。",
                username=username,
                next_url=next,
                status_code=423,
            )
        if result.outcome == "inactive":
            return _login_page(request, error="该账号已停用。", username=username, next_url=next, status_code=403)
        return _login_page(request, error="用户名或密码错误。", username=username, next_url=next, status_code=401)
    token, _ = await open_session(db, result.user, now)
    await db.commit()
    response = _redirect(_safe_next(next))
    set_session_cookie(response, services.settings, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


@router.post("/logout")
async def logout(request: Request, db: Db, staff: PageWrite) -> Response:
    await close_session(db, request.cookies.get(COOKIE_NAME))
    await db.commit()
    response = _redirect("/console/login")
    clear_session_cookie(response, services_of(request).settings)
    return response


# --- the queue ----------------------------------------------------------------------------------------


@router.get("")
@router.get("/")
async def home() -> Response:
    return _redirect("/console/tickets")


@router.get("/tickets")
async def queue_page(
    request: Request,
    db: Db,
    staff: PageStaff,
    state: str = "open",
    category: str = "",
    assignee: str = "",
    overdue: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    services = services_of(request)
    filters = QueueFilter(
        state=None if state == "all" else state,
        category=category or None,
        assignee=assignee or None,
        overdue_only=overdue == "1",
        page=page,
    ).normalized()
    result = await list_queue(db, filters, services.clock.now())
    query = {"state": state, "category": category, "assignee": assignee, "overdue": overdue}

    def page_url(number: int) -> str:
        return "/console/tickets?" + urlencode({**{k: v for k, v in query.items() if v}, "page": number})

    context = await _base_context(request, db, staff, "queue")
    return render_html(
        "queue.html",
        {
            **context,
            "page": result,
            "f": filters,
            "categories": await ticket_categories(db),
            "staff": await active_staff(db),
            "page_url": page_url,
        },
    )


# --- one ticket ---------------------------------------------------------------------------------------


async def _ticket_page(
    request: Request,
    db: Db,
    staff: StaffSession,
    number: str,
    *,
    draft: str | None = None,
    conflict: AnswerConflict | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    services = services_of(request)
    context = await _base_context(request, db, staff, "queue")
    try:
        detail = await ticket_detail(services, db, number)
    except StaffActionError as exc:
        return _error_page(context, exc, "/console/tickets")
    kb_entries = []
    if staff.user.can("supervisor") and detail.ticket.answer:
        shown = {entry.id for entry in detail.suggestions}
        same_category = [e for e in services.knowledge.entries if e.id not in shown]
        same_category.sort(key=lambda e: e.category != detail.ticket.category)
        kb_entries = same_category[:KB_CHOICES_LIMIT]
    if error:
        context["error"] = error
    return render_html(
        "ticket.html",
        {
            **context,
            "d": detail,
            "draft": draft,
            "conflict": conflict,
            "staff": await active_staff(db),
            "kb_entries": kb_entries,
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
) -> Response:
    services = services_of(request)
    try:
        outcome = await answer_ticket(services, db, number, staff.user, answer, version)
    except AnswerConflict as conflict:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, draft=answer, conflict=conflict, status_code=409)
    except StaffActionError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, draft=answer, error=exc.message, status_code=exc.status)
    await commit_and_enqueue(services, db, outcome.delivery_ids)
    return _redirect(f"/console/tickets/{number}?done=answered")


async def _simple_action(
    request: Request, db: Db, staff: StaffSession, number: str, done: str, action: Any
) -> Response:
    try:
        await action()
    except StaffActionError as exc:
        await db.rollback()
        return await _ticket_page(request, db, staff, number, error=exc.message, status_code=exc.status)
    await db.commit()
    return _redirect(f"/console/tickets/{number}?done={done}")


@router.post("/tickets/{number}/note")
async def note_form(
    request: Request, db: Db, staff: PageWrite, number: str, body: Annotated[str, Form(max_length=20000)]
) -> Response:
    now = services_of(request).clock.now()
    return await _simple_action(
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
    return await _simple_action(
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
    return await _simple_action(
        request, db, staff, number, "closed", lambda: close_ticket(db, number, staff.user, now)
    )


@router.post("/tickets/{number}/reopen")
async def reopen_form(request: Request, db: Db, staff: PageWrite, number: str) -> Response:
    now = services_of(request).clock.now()
    return await _simple_action(
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
    response = await _simple_action(
        request,
        db,
        staff,
        number,
        "faq",
        lambda: answer_to_faq(
            services,
            db,
            number,
            staff.user,
            "new" if mode == "new" else "similar",
            faq_id=faq_id or None,
            question=question or None,
            answer=answer or None,
            category=category or None,
        ),
    )
    if response.status_code == 303:
        await services.knowledge.refresh()
    return response


# --- statistics, notifications, deliveries ------------------------------------------------------------


@router.get("/stats")
async def stats_page(
    request: Request, db: Db, staff: PageStaff, weeks: Annotated[int, Query(ge=1, le=104)] = 12
) -> Response:
    services = services_of(request)
    stats = await ticket_stats(db, services.clock.now(), services.settings.tz, weeks)
    labels = [g.label for g in stats.by_week]
    context = await _base_context(request, db, staff, "stats")
    return render_html(
        "stats.html",
        {
            **context,
            "stats": stats,
            "weeks": weeks,
            "rate_chart": bar_chart(labels, [g.on_time_rate for g in stats.by_week], max_value=1.0, percent=True),
            "count_chart": bar_chart(labels, [float(g.tickets) for g in stats.by_week]),
        },
    )


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
    context = await _base_context(request, db, staff, "notifications")
    return render_html("notifications.html", {**context, "notes": rows})


@router.post("/notifications/{notification_id}/read")
async def notification_read(request: Request, db: Db, staff: PageWrite, notification_id: int) -> Response:
    try:
        await notifications.mark_notification_read(db, staff.user, notification_id, services_of(request).clock.now())
    except StaffActionError as exc:
        raise HTTPException(exc.status, exc.message) from None
    await db.commit()
    return _redirect("/console/notifications?done=read")


@router.get("/deliveries")
async def deliveries_page(request: Request, db: Db, staff: PageStaff) -> Response:
    services = services_of(request)
    context = await _base_context(request, db, staff, "deliveries")
    return render_html(
        "deliveries.html",
        {
            **context,
            "deliveries": await problem_deliveries(db),
            "jobs": await failed_jobs(services.queue),
        },
    )


@router.post("/deliveries/{delivery_id}/retry")
async def delivery_retry(request: Request, db: Db, staff: PageWrite, delivery_id: int) -> Response:
    services = services_of(request)
    try:
        await retry_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error_page(await _base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    await db.commit()
    await requeue_delivery(services.deliveries, services.queue, delivery_id)
    return _redirect("/console/deliveries?done=retried")


@router.post("/deliveries/{delivery_id}/confirm")
async def delivery_confirm(request: Request, db: Db, staff: PageWrite, delivery_id: int) -> Response:
    services = services_of(request)
    try:
        await confirm_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return _error_page(await _base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    await db.commit()
    return _redirect("/console/deliveries?done=confirmed")


@router.post("/jobs/retry")
async def job_retry(
    request: Request, db: Db, staff: PageWrite, job_id: Annotated[str, Form(max_length=200)]
) -> Response:
    try:
        await retry_job(services_of(request).queue, staff.user, job_id)
    except StaffActionError as exc:
        return _error_page(await _base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    return _redirect("/console/deliveries?done=retried")


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(404)
    response = FileResponse(STATIC_DIR / name, media_type=media_type)
    response.headers["Cache-Control"] = "max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
