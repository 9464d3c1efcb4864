"""Staff accounts: creating them, and deciding a login attempt (with lockout after repeated failures).

The lockout is per account: after ``MAX_FAILED_LOGINS`` wrong passwords in a row the account refuses every
password, right or wrong, for ``LOCKOUT``; guessing a password therefore takes years instead of minutes,
while a colleague who mistyped waits a quarter of an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from staff.models import StaffUser
from staff.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_against_nothing,
    verify_password,
)
from staff.roles import ROLES

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def create_staff(
    session: Session | AsyncSession, username: str, password: str, role: str, display_name: str = ""
) -> StaffUser:
    """Add a staff account to ``session`` (the caller commits).

    Works with a sync session (the CLI) and an async one (tests, the console) because it only adds; a
    username that already exists fails at commit with ``IntegrityError`` from the unique constraint.
    """
    username = username.strip()
    if not username or len(username) > 64 or any(char.isspace() for char in username):
        raise ValueError("用户名不能为空、不能含空格，且不超过 64 个字符")
    if role not in ROLES:
        raise ValueError(f"角色应为 {' / '.join(ROLES)} 之一，收到 {role!r}")
    check_password_strength(password)
    user = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        role=role,
        active=True,
        failed_logins=0,
        locked_until=None,
    )
    session.add(user)
    return user


LoginOutcome = Literal["ok", "wrong", "locked", "inactive"]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: StaffUser | None = None
    locked_until: datetime | None = None


def register_failure(user: StaffUser, now: datetime) -> None:
    """Count a wrong password; the ``MAX_FAILED_LOGINS``-th locks the account and restarts the count."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCKOUT
        user.failed_logins = 0


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


async def authenticate(session: AsyncSession, username: str, password: str, now: datetime) -> LoginResult:
    """Decide a login attempt and record its effect on the account (the caller commits)."""
    user = await session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
    if user is None:
        verify_against_nothing(password)
        return LoginResult("wrong")
    if is_locked(user, now):
        return LoginResult("locked", locked_until=user.locked_until)
    if not verify_password(user.password_hash, password):
        register_failure(user, now)
        if is_locked(user, now):
            return LoginResult("locked", locked_until=user.locked_until)
        return LoginResult("wrong")
    if not user.active:
        return LoginResult("inactive")
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult("ok", user=user)


async def active_staff(session: AsyncSession) -> list[StaffUser]:
    return list(
        (await session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username))).all()
    )
