"""``/api/session``: log in, who am I, log out (a session cookie plus the CSRF token for writes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from console.api.errors import ERRORS
from console.deps import ApiStaff, ApiWrite, Db, services_of
from console.schemas import LoginIn, OkOut, SessionOut, StaffOut
from console.sessions import (
    COOKIE_NAME,
    StaffIdentity,
    clear_session_cookie,
    close_session,
    open_session,
    set_session_cookie,
)
from staff import accounts

router = APIRouter(prefix="/api", tags=["console"])


def _staff_out(user: StaffIdentity) -> StaffOut:
    return StaffOut(username=user.username, display_name=user.display_name, role=user.role)  # type: ignore[arg-type]


@router.post("/session", response_model=SessionOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def api_login(request: Request, body: LoginIn, db: Db) -> Response:
    """Log in; sets the session cookie and returns the CSRF token for writes.

    Only JSON is accepted, which a form on another site cannot send without a CORS preflight.
    """
    services = services_of(request)
    now = services.clock.now()
    address = request.client.host if request.client else ""
    result = await accounts.authenticate(db, services.login_throttle, body.username, body.password, address)
    if result.outcome != "ok" or result.user is None:
        await db.rollback()
        if result.outcome == "inactive":
            return JSONResponse({"detail": "该账号已停用"}, status_code=403)
        return JSONResponse({"detail": accounts.REFUSED_MESSAGE}, status_code=401)
    token, csrf = await open_session(db, result.user, now)
    identity = StaffIdentity.of(result.user)
    await db.commit()
    response = JSONResponse(SessionOut(user=_staff_out(identity), csrf_token=csrf).model_dump(mode="json"))
    set_session_cookie(response, services.settings, request, token)
    return response


@router.get("/session", response_model=SessionOut, responses={401: ERRORS[401]})
async def api_whoami(staff: ApiStaff) -> SessionOut:
    return SessionOut(user=_staff_out(staff.user), csrf_token=staff.csrf_token)


@router.delete("/session", response_model=OkOut, responses={401: ERRORS[401], 403: ERRORS[403]})
async def api_logout(request: Request, db: Db, staff: ApiWrite) -> Response:
    await close_session(db, request.cookies.get(COOKIE_NAME))
    await db.commit()
    response = JSONResponse(OkOut().model_dump())
    clear_session_cookie(response, services_of(request).settings, request)
    return response
