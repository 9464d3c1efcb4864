"""Staff accounts: creating them, and deciding a login attempt.

Repeated failures are throttled in Redis and in the process's memory (``staff.login_throttle``), per account
and client address with back-off, and counted *before* the password is checked. Every refusal looks the same
to the caller — unknown name, wrong password or throttled — so the login form cannot be used to find account
names; an unknown name still costs one password verification (against a dummy hash) so timing does not tell either.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from calendars.clock import Clock
from config.settings import Settings
from staff.login_throttle import LoginThrottle, ThrottlePolicy
from staff.models import StaffUser
from staff.passwords import (
    check_password_strength,
    hash_password,
    needs_rehash,
    verify_against_nothing,
    verify_password,
)
from staff.roles import ROLES

#: What every refused login says, whatever the reason (no hint whether the account exists or is throttled).
REFUSED_MESSAGE = "用户名或密码错误。多次失败后需等待一段时间才能再试。"


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
    )
    session.add(user)
    return user


LoginOutcome = Literal["ok", "refused", "inactive"]


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: StaffUser | None = None


async def authenticate(
    session: AsyncSession, throttle: LoginThrottle, username: str, password: str, address: str
) -> LoginResult:
    """Decide a login attempt (the caller commits a rehash). ``address`` is the client's address."""
    username = username.strip()
    if not await throttle.reserve(username, address):
        return LoginResult("refused")
    user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    # argon2 takes tens of milliseconds of CPU: off the event loop, so other requests keep flowing.
    if user is None:
        await asyncio.to_thread(verify_against_nothing, password)
        return LoginResult("refused")
    if not await asyncio.to_thread(verify_password, user.password_hash, password):
        return LoginResult("refused")
    await throttle.succeeded(username, address)
    if not user.active:
        return LoginResult("inactive")
    if needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(hash_password, password)
    return LoginResult("ok", user=user)


async def active_staff(session: AsyncSession) -> list[StaffUser]:
    return list(
        (await session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username))).all()
    )


def login_throttle(redis: Redis, settings: Settings, clock: Clock) -> LoginThrottle:
    return LoginThrottle(
        redis,
        ThrottlePolicy(
            free_failures=settings.login_free_failures,
            backoff_seconds=settings.login_backoff_seconds,
            max_backoff_seconds=settings.login_backoff_max_seconds,
        ),
        clock,
    )


async def display_names(session: AsyncSession) -> dict[str, str]:
    """username -> the name the console shows, for every account (deactivated ones still own old tickets)."""
    rows = await session.execute(select(StaffUser.username, StaffUser.display_name))
    return {username: display or username for username, display in rows.all()}
