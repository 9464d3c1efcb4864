"""FastAPI dependencies shared by the console's pages and its JSON API: the database session, the logged-in
staff member, role checks and CSRF checks.

Pages and API differ only in how they say "not logged in": a page redirects to the login form, the API
answers 401. Both check the same per-session CSRF token on every write (a hidden form field, or the
``X-CSRF-Token`` header), so another site can never make a logged-in browser act.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Protocol
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from console.sessions import COOKIE_NAME, StaffSession, load_session

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from calendars.clock import Clock
    from config.settings import Settings
    from delivery.service import DeliveryService
    from faq.kb import FaqEntry
    from faq.matcher import FaqMatcher
    from greetings.service import GreetingService
    from jobs.queue import JobQueue
    from staff.login_throttle import LoginThrottle
    from staff.notifications import StaffNotifier
    from storage.blobs import BlobStore
    from storage.health import DependencyHealth
    from tickets.answer_delivery import AnswerDelivery
    from tickets.time_limits import TimeLimits

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
LOGIN_PATH = "/console/login"


class Knowledge(Protocol):
    @property
    def matcher(self) -> FaqMatcher: ...
    @property
    def entries(self) -> list[FaqEntry]: ...
    async def refresh(self) -> bool: ...


class Spool(Protocol):
    def pending(self) -> int: ...


class ConsoleServices(Protocol):
    """What the console uses of the process's components, by name; the app keeps the bootstrap's container
    (``bot.bootstrap``) in ``app.state.services``, and the console never imports the wiring."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def deliveries(self) -> DeliveryService: ...
    @property
    def queue(self) -> JobQueue: ...
    @property
    def knowledge(self) -> Knowledge: ...
    @property
    def answers(self) -> AnswerDelivery: ...
    @property
    def notifier(self) -> StaffNotifier: ...
    @property
    def time_limits(self) -> TimeLimits: ...
    @property
    def greetings(self) -> GreetingService: ...
    @property
    def health(self) -> DependencyHealth: ...
    @property
    def spool(self) -> Spool: ...
    @property
    def blobs(self) -> BlobStore: ...
    @property
    def login_throttle(self) -> LoginThrottle: ...
    async def deferred_counts(self) -> dict[str, int]: ...


def services_of(request: Request) -> ConsoleServices:
    services: ConsoleServices = request.app.state.services
    return services


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with services_of(request).sessions() as session:
        yield session


Db = Annotated[AsyncSession, Depends(db_session)]


async def _session_of(request: Request, db: AsyncSession) -> StaffSession | None:
    cached = getattr(request.state, "staff_session", None)
    if cached is not None:
        return cached
    staff = await load_session(db, request.cookies.get(COOKIE_NAME), services_of(request).clock.now())
    request.state.staff_session = staff
    return staff


async def page_staff(request: Request, db: Db) -> StaffSession:
    staff = await _session_of(request, db)
    if staff is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, "请先登录", headers={"Location": f"{LOGIN_PATH}?next={quote(target, safe='')}"})
    return staff


async def api_staff(request: Request, db: Db) -> StaffSession:
    staff = await _session_of(request, db)
    if staff is None:
        raise HTTPException(401, "未登录或登录已过期")
    return staff


def tokens_match(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


async def page_staff_csrf(request: Request, staff: Annotated[StaffSession, Depends(page_staff)]) -> StaffSession:
    """A logged-in form post carrying the session's CSRF token (the form is cached for the endpoint)."""
    form = await request.form()
    if not tokens_match(staff.csrf_token, form.get(CSRF_FIELD)):
        raise HTTPException(403, "表单已失效（CSRF 校验失败），请刷新页面后重试")
    return staff


async def api_staff_csrf(request: Request, staff: Annotated[StaffSession, Depends(api_staff)]) -> StaffSession:
    if not tokens_match(staff.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"缺少或错误的 {CSRF_HEADER} 请求头")
    return staff


PageStaff = Annotated[StaffSession, Depends(page_staff)]
PageWrite = Annotated[StaffSession, Depends(page_staff_csrf)]
ApiStaff = Annotated[StaffSession, Depends(api_staff)]
ApiWrite = Annotated[StaffSession, Depends(api_staff_csrf)]
