"""The departments' canned replies (常用回复): a page to keep them, one section per department the staff
member maintains, and what the ticket page offers to insert into the answer box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.common import base_context, redirect
from console.rendering import render_html
from console.sessions import StaffSession
from staff.errors import StaffActionError
from staff.roles import Actor
from tickets import canned_replies
from tickets.department_store import departments_of, load_book
from tickets.departments import DepartmentBook, DepartmentConfigError

router = APIRouter(prefix="/console/replies", include_in_schema=False)

DONE = {"added": "常用回复已添加。", "changed": "常用回复已保存。", "deleted": "常用回复已删除。"}


async def _book(request: Request, db: Db) -> DepartmentBook:
    try:
        return await load_book(db, services_of(request).settings.departments_path)
    except DepartmentConfigError as exc:
        raise StaffActionError(exc.message) from exc


async def for_ticket(db: Db, actor: Actor, department: str | None) -> list[canned_replies.CannedReply]:
    """What the ticket page offers: the ticket's department's replies, then the staff member's own
    departments' (a dispatcher's ticket has no department yet)."""
    codes = [department] if department else []
    codes += [code for code in await departments_of(db, actor.username) if code not in codes]
    replies = await canned_replies.replies_of(db, codes)
    return sorted(replies, key=lambda reply: (codes.index(reply.department), reply.title))


async def _page(
    request: Request,
    db: Db,
    staff: StaffSession,
    *,
    error: str | None = None,
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = await base_context(request, db, staff, "replies")
    context["flash"] = DONE.get(request.query_params.get("done") or "")
    try:
        book: DepartmentBook | None = await _book(request, db)
    except StaffActionError as exc:
        book, error = None, error or exc.message
    await db.commit()  # the first visit may store the shipped department file
    editable = await canned_replies.editable_departments(db, staff.user, book) if book else []
    if error:
        context["error"] = error
    return render_html(
        "canned_replies.html",
        {
            **context,
            "book": book,
            "editable": editable,
            "replies": await canned_replies.replies_of(db, editable),
            "draft": draft or {},
            "max_title": canned_replies.MAX_TITLE_CHARS,
            "max_body": canned_replies.MAX_BODY_CHARS,
        },
        status_code=status_code,
    )


@router.get("")
async def replies_page(request: Request, db: Db, staff: PageStaff) -> Response:
    return await _page(request, db, staff)


@router.post("")
async def add_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    department: Annotated[str, Form(max_length=32)],
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    now = services_of(request).clock.now()
    try:
        await canned_replies.add_reply(db, await _book(request, db), staff.user, department, title, body, now)
    except StaffActionError as exc:
        await db.rollback()
        draft = {"department": department, "title": title, "body": body}
        return await _page(request, db, staff, error=exc.message, draft=draft, status_code=exc.status)
    await db.commit()
    return redirect(f"/console/replies?done=added#replies-{department}")


@router.post("/{reply_id}")
async def change_form(
    request: Request,
    db: Db,
    staff: PageWrite,
    reply_id: int,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=10000)] = "",
) -> Response:
    now = services_of(request).clock.now()
    try:
        await canned_replies.change_reply(db, await _book(request, db), staff.user, reply_id, title, body, now)
    except StaffActionError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=exc.status)
    await db.commit()
    return redirect(f"/console/replies?done=changed#reply-{reply_id}")


@router.post("/{reply_id}/delete")
async def delete_form(request: Request, db: Db, staff: PageWrite, reply_id: int) -> Response:
    try:
        await canned_replies.delete_reply(db, await _book(request, db), staff.user, reply_id)
    except StaffActionError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=exc.status)
    await db.commit()
    return redirect("/console/replies?done=deleted")
