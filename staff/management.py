"""Admins managing accounts: add, change (name, role, WeChat openid, on duty), disable and enable, reset a
password. Every change is written to ``StaffAudit`` in the caller's transaction (the caller commits).

The rules that keep the console usable: an admin cannot disable or demote themselves, and the last active
admin can never be disabled or demoted, so nobody is locked out of this page. Passwords follow the same
rules as ``qiaobot staff create`` (``staff.passwords``: length and variety, argon2id), are never logged,
and a reset does not bypass the login throttle (``staff.login_throttle``): the new password is tried like
any other. Ending the account's console sessions after a reset or a disable is the console's part.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from staff.accounts import create_staff
from staff.errors import NotAllowed, StaffActionError
from staff.models import StaffAudit, StaffUser
from staff.passwords import WeakPasswordError, check_password_strength, hash_password
from staff.roles import ROLES, Actor

# A WeChat openid is 28 characters of [A-Za-z0-9_-] for an Official Account; accept what could be one.
OPENID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
MAX_DISPLAY_NAME = 64
ROLE_LABELS = {"staff": "工作人员", "dispatcher": "分派员", "supervisor": "主管", "admin": "管理员"}


def _require_admin(actor: Actor) -> None:
    if not actor.can("admin"):
        raise NotAllowed("只有管理员可以管理工作人员账号")


def record(
    session: AsyncSession, actor: str, target: str, action: str, now: datetime, detail: dict[str, Any] | None = None
) -> None:
    """One line of the staff audit (also used by the department page for memberships)."""
    session.add(StaffAudit(actor=actor, target=target, action=action, detail=detail, at=now))


async def account(session: AsyncSession, username: str) -> StaffUser:
    user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise StaffActionError(f"没有工作人员账号 {username}")
    return user


async def all_accounts(session: AsyncSession) -> list[StaffUser]:
    """Every account, active first, then by username (disabled ones stay listed: they can be enabled)."""
    rows = await session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.username))
    return list(rows.all())


async def _other_active_admins(session: AsyncSession, user: StaffUser) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(StaffUser.active.is_(True), StaffUser.role == "admin", StaffUser.id != user.id)
        )
        or 0
    )


def _openid(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not OPENID_PATTERN.match(value):
        raise StaffActionError("微信 openid 应为 6-64 位字母、数字、_ 或 -（公众号的 openid 一般为 28 位）")
    return value


def _role(value: str) -> str:
    if value not in ROLES:
        raise StaffActionError(f"角色应为 {' / '.join(ROLE_LABELS[r] for r in ROLES)} 之一")
    return value


def _display_name(value: str, username: str) -> str:
    value = " ".join(value.split())
    if len(value) > MAX_DISPLAY_NAME:
        raise StaffActionError(f"显示名称最多 {MAX_DISPLAY_NAME} 个字")
    return value or username


async def add_account(
    session: AsyncSession,
    actor: Actor,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str,
    openid: str | None,
    on_duty: bool,
    now: datetime,
) -> StaffUser:
    _require_admin(actor)
    username = username.strip()
    if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is not None:
        raise StaffActionError(f"用户名 {username} 已存在")
    try:
        # create_staff validates and hashes (argon2, tens of milliseconds on the event loop: a rare admin
        # action, and the session must not be used from another thread).
        user = create_staff(session, username, password, _role(role), _display_name(display_name, username))
    except ValueError as exc:  # a bad username or a weak password: the message is for the admin
        raise StaffActionError(str(exc)) from exc
    user.wechat_openid = _openid(openid)
    user.on_duty = on_duty
    await session.flush()
    record(
        session,
        actor.username,
        user.username,
        "created",
        now,
        {"role": user.role, "display_name": user.display_name, "openid": bool(user.wechat_openid), "on_duty": on_duty},
    )
    return user


@dataclass(frozen=True)
class AccountChange:
    display_name: str
    role: str
    openid: str | None
    on_duty: bool


async def change_account(
    session: AsyncSession, actor: Actor, username: str, change: AccountChange, now: datetime
) -> dict[str, Any]:
    """Apply the admin's edit; returns what changed ({} when nothing did, and then nothing is logged)."""
    _require_admin(actor)
    user = await account(session, username)
    wanted = {
        "display_name": _display_name(change.display_name, user.username),
        "role": _role(change.role),
        "wechat_openid": _openid(change.openid),
        "on_duty": change.on_duty,
    }
    if wanted["role"] != "admin" and user.role == "admin":
        if user.username == actor.username:
            raise NotAllowed("不能取消自己的管理员角色，请由另一位管理员操作")
        if user.active and await _other_active_admins(session, user) == 0:
            raise StaffActionError("这是最后一位在用的管理员，不能改为其他角色")
    changed: dict[str, Any] = {}
    for field, value in wanted.items():
        before = getattr(user, field)
        if before != value:
            # The audit says that the openid changed, not what it is.
            changed[field] = {"bound": value is not None} if field == "wechat_openid" else {"from": before, "to": value}
            setattr(user, field, value)
    if changed:
        record(session, actor.username, user.username, "changed", now, changed)
        await session.flush()
    return changed


async def set_active(session: AsyncSession, actor: Actor, username: str, active: bool, now: datetime) -> StaffUser:
    """Disable (the account's sessions stop working at once: ``console.sessions`` checks ``active``) or
    enable an account. Its tickets, notes and history stay under its name."""
    _require_admin(actor)
    user = await account(session, username)
    if user.active == active:
        return user
    if not active:
        if user.username == actor.username:
            raise NotAllowed("不能停用自己的账号")
        if user.role == "admin" and await _other_active_admins(session, user) == 0:
            raise StaffActionError("这是最后一位在用的管理员，不能停用")
    user.active = active
    if not active:
        user.on_duty = False  # a disabled account is told nothing
    record(session, actor.username, user.username, "enabled" if active else "disabled", now)
    await session.flush()
    return user


async def reset_password(session: AsyncSession, actor: Actor, username: str, password: str, now: datetime) -> StaffUser:
    """Set a new password chosen by the admin (told to the person out of band); the caller ends the
    account's console sessions."""
    _require_admin(actor)
    user = await account(session, username)
    try:
        check_password_strength(password)
    except WeakPasswordError as exc:
        raise StaffActionError(str(exc)) from exc
    user.password_hash = await asyncio.to_thread(hash_password, password)
    record(session, actor.username, user.username, "password_reset", now)
    await session.flush()
    return user


async def audit_trail(session: AsyncSession, limit: int = 100) -> list[StaffAudit]:
    rows = await session.scalars(select(StaffAudit).order_by(StaffAudit.at.desc(), StaffAudit.id.desc()).limit(limit))
    return list(rows.all())
