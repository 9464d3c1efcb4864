"""The admins' department page: the department document (departments, category routing, referrals) edited
as YAML and validated before it is saved, and who works in which department.

A bad edit is shown again with the error and the admin's text kept, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from console.deps import Db, page_staff, page_staff_csrf, services_of
from console.pages.common import base_context
from console.rendering import render_html
from console.sessions import StaffSession
from staff.accounts import active_staff
from staff.management import record
from tickets.department_store import load_document, members_by_department, save_document, set_membership
from tickets.departments import DepartmentConfigError, parse_departments

router = APIRouter(prefix="/console/departments", include_in_schema=False)

DONE = {"saved": "部门设置已保存，新工单按新设置派单。", "members": "部门成员已更新。"}


async def _admin(staff: Annotated[StaffSession, Depends(page_staff)]) -> StaffSession:
    if not staff.user.can("admin"):
        raise HTTPException(403, "只有管理员可以修改部门设置")
    return staff


async def _admin_form(staff: Annotated[StaffSession, Depends(page_staff_csrf)]) -> StaffSession:
    if not staff.user.can("admin"):
        raise HTTPException(403, "只有管理员可以修改部门设置")
    return staff


Admin = Annotated[StaffSession, Depends(_admin)]
AdminForm = Annotated[StaffSession, Depends(_admin_form)]


async def _page(
    request: Request,
    db: Db,
    staff: StaffSession,
    *,
    draft: str | None = None,
    draft_version: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "departments")
    context["flash"] = DONE.get(request.query_params.get("done") or "")
    source, version = await load_document(db, services.settings.departments_path)
    await db.commit()  # the first visit stores the shipped file
    try:
        book = parse_departments(source)
    except DepartmentConfigError as exc:  # only possible if the database row was edited by hand
        book, error = None, error or exc.message
    if error:
        context["error"] = error
    return render_html(
        "departments.html",
        {
            **context,
            "source": draft if draft is not None else source,
            "version": draft_version if draft_version is not None else version,
            "book": book,
            "members": await members_by_department(db),
            "staff": await active_staff(db),
        },
        status_code=status_code,
    )


@router.get("")
async def departments_page(request: Request, db: Db, staff: Admin) -> Response:
    return await _page(request, db, staff)


@router.post("")
async def save_departments(
    request: Request,
    db: Db,
    staff: AdminForm,
    source: Annotated[str, Form(max_length=100_000)],
    version: Annotated[int, Form()],
) -> Response:
    services = services_of(request)
    try:
        await save_document(
            db, services.settings.departments_path, source, version, staff.user.username, services.clock.now()
        )
    except DepartmentConfigError as exc:
        await db.rollback()
        return await _page(request, db, staff, draft=source, draft_version=version, error=exc.message, status_code=400)
    await db.commit()
    return RedirectResponse("/console/departments?done=saved", status_code=303)


@router.post("/members")
async def change_member(
    request: Request,
    db: Db,
    staff: AdminForm,
    department: Annotated[str, Form(max_length=32)],
    username: Annotated[str, Form(max_length=64)],
    member: Annotated[str, Form(pattern="^(add|remove)$")],
) -> Response:
    services = services_of(request)
    try:
        source, _ = await load_document(db, services.settings.departments_path)
        now = services.clock.now()
        await set_membership(db, parse_departments(source), department, username, member == "add", now)
        action = "department_added" if member == "add" else "department_removed"
        record(db, staff.user.username, username, action, now, {"department": department})  # the staff audit
    except DepartmentConfigError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=400)
    await db.commit()
    return RedirectResponse("/console/departments?done=members", status_code=303)
