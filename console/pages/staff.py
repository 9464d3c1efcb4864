"""The admins' staff page: every account with its role, departments, WeChat openid and on-duty flag; adding,
changing, disabling and enabling accounts, and resetting a password; the audit of all of it.

Each post redirects back (post/redirect/get), or shows the page again with the refusal and what the admin
typed for a new account (never a password).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from console.deps import Db, page_staff, page_staff_csrf, services_of
from console.pages.common import base_context, redirect
from console.rendering import render_html
from console.sessions import StaffSession, end_sessions_of
from staff import management
from staff.errors import StaffActionError
from staff.roles import ROLES
from tickets.department_store import departments_of, load_book, members_by_department, set_membership
from tickets.departments import DepartmentBook, DepartmentConfigError

router = APIRouter(prefix="/console/staff", include_in_schema=False)

DONE = {
    "created": "账号已创建。",
    "changed": "账号已更新。",
    "unchanged": "没有需要保存的修改。",
    "disabled": "账号已停用，其登录已失效。",
    "enabled": "账号已启用。",
    "password": "密码已重置，该账号需用新密码重新登录。",
}
AUDIT_LABELS = {
    "created": "创建账号",
    "changed": "修改账号",
    "disabled": "停用账号",
    "enabled": "启用账号",
    "password_reset": "重置密码",
    "department_added": "加入部门",
    "department_removed": "移出部门",
}
FIELD_LABELS = {"display_name": "显示名称", "role": "角色", "wechat_openid": "微信 openid", "on_duty": "值班"}


def _admin_only(staff: StaffSession) -> StaffSession:
    if not staff.user.can("admin"):
        raise HTTPException(403, "只有管理员可以管理工作人员账号")
    return staff


async def _admin(staff: Annotated[StaffSession, Depends(page_staff)]) -> StaffSession:
    return _admin_only(staff)


async def _admin_form(staff: Annotated[StaffSession, Depends(page_staff_csrf)]) -> StaffSession:
    return _admin_only(staff)


Admin = Annotated[StaffSession, Depends(_admin)]
AdminForm = Annotated[StaffSession, Depends(_admin_form)]


def describe(entry: Any, book: DepartmentBook | None) -> str:
    """One audit line in words, e.g. "角色：工作人员 → 主管；值班：否 → 是"."""
    detail = entry.detail or {}
    if entry.action == "changed":
        parts = []
        for field, change in detail.items():
            label = FIELD_LABELS.get(field, field)
            if field == "wechat_openid":
                parts.append(f"{label}：{'已绑定' if change.get('bound') else '已解除'}")
            else:
                before, after = change.get("from"), change.get("to")
                if field == "role":
                    before, after = management.ROLE_LABELS.get(before, before), management.ROLE_LABELS.get(after, after)
                if field == "on_duty":
                    before, after = ("是" if before else "否"), ("是" if after else "否")
                parts.append(f"{label}：{before} → {after}")
        return "；".join(parts)
    if entry.action == "created":
        role = str(detail.get("role"))
        return f"角色：{management.ROLE_LABELS.get(role, role)}"
    if entry.action.startswith("department_"):
        code = detail.get("department")
        return book.name_of(code) if book else str(code)
    return ""


async def _page(
    request: Request,
    db: Db,
    staff: StaffSession,
    *,
    error: str | None = None,
    draft: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "staff")
    context["flash"] = DONE.get(request.query_params.get("done") or "")
    try:
        book: DepartmentBook | None = await load_book(db, services.settings.departments_path)
    except DepartmentConfigError as exc:
        book, error = None, error or exc.message
    await db.commit()  # the first visit may store the shipped department file
    if error:
        context["error"] = error
    members = await members_by_department(db)
    departments: dict[str, list[str]] = {}
    for code, usernames in members.items():
        for username in usernames:
            departments.setdefault(username, []).append(code)
    return render_html(
        "staff.html",
        {
            **context,
            "accounts": await management.all_accounts(db),
            "book": book,
            "departments_of": departments,
            "roles": ROLES,
            "role_labels": management.ROLE_LABELS,
            "audit": await management.audit_trail(db),
            "audit_labels": AUDIT_LABELS,
            "describe": lambda entry: describe(entry, book),
            "draft": draft or {},
        },
        status_code=status_code,
    )


@router.get("")
async def staff_page(request: Request, db: Db, staff: Admin) -> Response:
    return await _page(request, db, staff)


async def _set_departments(request: Request, db: Db, staff: StaffSession, username: str, wanted: list[str]) -> int:
    """Make ``username`` a member of exactly ``wanted`` (department codes), auditing each change; returns
    how many memberships changed."""
    services = services_of(request)
    now = services.clock.now()
    try:
        book = await load_book(db, services.settings.departments_path)
    except DepartmentConfigError as exc:
        raise StaffActionError(exc.message) from exc
    unknown = [code for code in wanted if book.department(code) is None]
    if unknown:
        raise StaffActionError(f"没有代码为 {'、'.join(unknown)} 的部门")
    current = set(await departments_of(db, username))
    changes = sorted(set(wanted) ^ current)
    for code in changes:
        member = code in wanted
        try:
            await set_membership(db, book, code, username, member, now)
        except DepartmentConfigError as exc:
            raise StaffActionError(exc.message) from exc
        action = "department_added" if member else "department_removed"
        management.record(db, staff.user.username, username, action, now, {"department": code})
    return len(changes)


@router.post("")
async def create_form(
    request: Request,
    db: Db,
    staff: AdminForm,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[str, Form(max_length=16)] = "staff",
    display_name: Annotated[str, Form(max_length=64)] = "",
    openid: Annotated[str, Form(max_length=64)] = "",
    on_duty: Annotated[str, Form(max_length=8)] = "",
    departments: Annotated[list[str] | None, Form(max_length=32)] = None,
) -> Response:
    now = services_of(request).clock.now()
    try:
        user = await management.add_account(
            db,
            staff.user,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            openid=openid,
            on_duty=bool(on_duty),
            now=now,
        )
        await _set_departments(request, db, staff, user.username, departments or [])
    except StaffActionError as exc:
        await db.rollback()
        draft = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "openid": openid,
            "on_duty": bool(on_duty),
            "departments": departments or [],
        }
        return await _page(request, db, staff, error=exc.message, draft=draft, status_code=exc.status)
    await db.commit()
    return redirect(f"/console/staff?done=created#account-{user.username}")


@router.post("/{username}")
async def change_form(
    request: Request,
    db: Db,
    staff: AdminForm,
    username: str,
    role: Annotated[str, Form(max_length=16)],
    display_name: Annotated[str, Form(max_length=64)] = "",
    openid: Annotated[str, Form(max_length=64)] = "",
    on_duty: Annotated[str, Form(max_length=8)] = "",
    departments: Annotated[list[str] | None, Form(max_length=32)] = None,
) -> Response:
    now = services_of(request).clock.now()
    change = management.AccountChange(display_name=display_name, role=role, openid=openid, on_duty=bool(on_duty))
    try:
        changed = await management.change_account(db, staff.user, username, change, now)
        moved = await _set_departments(request, db, staff, username, departments or [])
    except StaffActionError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=exc.status)
    await db.commit()
    done = "changed" if changed or moved else "unchanged"
    return redirect(f"/console/staff?done={done}#account-{username}")


@router.post("/{username}/active")
async def active_form(
    request: Request,
    db: Db,
    staff: AdminForm,
    username: str,
    active: Annotated[str, Form(pattern="^(enable|disable)$")],
) -> Response:
    now = services_of(request).clock.now()
    try:
        await management.set_active(db, staff.user, username, active == "enable", now)
    except StaffActionError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=exc.status)
    await db.commit()
    return redirect(f"/console/staff?done={'enabled' if active == 'enable' else 'disabled'}#account-{username}")


@router.post("/{username}/password")
async def password_form(
    request: Request,
    db: Db,
    staff: AdminForm,
    username: str,
    password: Annotated[str, Form(max_length=256)],
    confirm: Annotated[str, Form(max_length=256)],
) -> Response:
    now = services_of(request).clock.now()
    try:
        if password != confirm:
            raise StaffActionError("两次输入的新密码不一致")
        user = await management.reset_password(db, staff.user, username, password, now)
        if user.username != staff.user.username:  # an admin resetting their own stays logged in here
            await end_sessions_of(db, user.id)
    except StaffActionError as exc:
        await db.rollback()
        return await _page(request, db, staff, error=exc.message, status_code=exc.status)
    await db.commit()
    return redirect(f"/console/staff?done=password#account-{username}")
