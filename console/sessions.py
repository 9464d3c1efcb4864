"""Issuing, reading and ending console sessions, and the cookie that carries them.

The cookie is HttpOnly (scripts never see it), SameSite=Lax (other sites cannot post with it) and Secure
in production and whenever the console is served over https. Each session has its own CSRF token, which
every form and every JSON write must echo back.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from config.settings import Settings
from console.models import ConsoleSession
from staff.models import StaffUser
from staff.roles import has_role

COOKIE_NAME = "qiaobot_console"
IDLE_TIMEOUT = timedelta(hours=8)
MAX_AGE = timedelta(hours=12)
# Writing last_seen_at on every request would turn every page view into a write; once in a while is enough.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class StaffIdentity:
    """A plain copy of the logged-in account: unlike the ORM row it stays readable after a rollback."""

    id: int
    username: str
    display_name: str
    role: str

    def can(self, role: str) -> bool:
        return has_role(self.role, role)

    @classmethod
    def of(cls, user: StaffUser) -> StaffIdentity:
        return cls(user.id, user.username, user.display_name or user.username, user.role)


@dataclass(frozen=True)
class StaffSession:
    user: StaffIdentity
    csrf_token: str
    token_hash: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def open_session(session: AsyncSession, user: StaffUser, now: datetime) -> tuple[str, str]:
    """Store a new session for ``user``; returns (cookie token, CSRF token). The caller commits."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=token_hash(token),
            staff_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + MAX_AGE,
        )
    )
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return token, csrf


async def load_session(session: AsyncSession, token: str | None, now: datetime) -> StaffSession | None:
    """The live session behind a cookie token, or None (unknown, expired, idle too long, account disabled)."""
    if not token or len(token) > 200:
        return None
    hashed = token_hash(token)
    row = (
        await session.execute(
            select(ConsoleSession, StaffUser)
            .join(StaffUser, StaffUser.id == ConsoleSession.staff_id)
            .where(ConsoleSession.token_hash == hashed)
        )
    ).first()
    if row is None:
        return None
    stored, user = row
    if stored.expires_at <= now or stored.last_seen_at + IDLE_TIMEOUT <= now or not user.active:
        return None
    staff = StaffSession(user=StaffIdentity.of(user), csrf_token=stored.csrf_token, token_hash=hashed)
    if now - stored.last_seen_at >= TOUCH_EVERY:
        stored.last_seen_at = now
        await session.commit()
    return staff


async def end_sessions_of(session: AsyncSession, staff_id: int) -> None:
    """Log an account out everywhere (after an admin reset its password). The caller commits."""
    await session.execute(delete(ConsoleSession).where(ConsoleSession.staff_id == staff_id))


async def close_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))


def uses_https(settings: Settings, request: Request) -> bool:
    """Whether cookies must be ``Secure``: always in production (TLS ends at the proxy, whatever the base
    URL was typed as), else when the request came over https. The scheme is the one the client used only
    if a trusted proxy said so (``X-Forwarded-Proto`` from ``QIAOBOT_TRUSTED_PROXIES``, bot.app)."""
    return (
        settings.env == "production"
        or settings.public_base_url.lower().startswith("https://")
        or request.url.scheme == "https"
    )


def set_session_cookie(response: Response, settings: Settings, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(MAX_AGE.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=uses_https(settings, request),
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings, request: Request) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=uses_https(settings, request))
