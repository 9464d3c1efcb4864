"""Logging in and out of the console (the login form carries its own CSRF cookie)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageWrite, services_of, tokens_match
from console.pages.common import redirect
from console.rendering import render_html
from console.sessions import (
    COOKIE_NAME,
    clear_session_cookie,
    close_session,
    open_session,
    set_session_cookie,
    uses_https,
)
from staff import accounts

router = APIRouter(prefix="/console", include_in_schema=False)


LOGIN_CSRF_COOKIE = "qiaobot_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only redirect within the console after login (never to another site: ``//evil`` or ``https:``)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/tickets"


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
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=uses_https(services_of(request).settings, request),
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
    address = request.client.host if request.client else ""
    result = await accounts.authenticate(db, services.login_throttle, username, password, address)
    if result.outcome != "ok" or result.user is None:
        await db.rollback()
        if result.outcome == "inactive":
            return _login_page(request, error="该账号已停用。", username=username, next_url=next, status_code=403)
        return _login_page(
            request, error=accounts.REFUSED_MESSAGE, username=username, next_url=next, status_code=401
        )
    token, _ = await open_session(db, result.user, now)
    await db.commit()
    response = redirect(_safe_next(next))
    set_session_cookie(response, services.settings, request, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


@router.post("/logout")
async def logout(request: Request, db: Db, staff: PageWrite) -> Response:
    await close_session(db, request.cookies.get(COOKIE_NAME))
    await db.commit()
    response = redirect("/console/login")
    clear_session_cookie(response, services_of(request).settings, request)
    return response
