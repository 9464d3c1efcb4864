"""``/simulator``: chat with the bot in a browser, with no WeChat account (embedded mode only).

Each message goes through the real ``/wechat`` endpoint, signed and encrypted as WeChat would send it.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Literal, cast

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from bot.simulated_user import SimulatedUser
from wechat.inbound import Mode

router = APIRouter(prefix="/simulator", include_in_schema=False)
PAGE = Path(__file__).with_name("static") / "simulator.html"


class SimulatedMessage(BaseModel):
    openid: str = Field(min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    mode: Literal["plain", "compat", "aes"] | None = None  # default: what the service accepts
    kind: Literal["text", "voice", "image", "location", "link", "subscribe", "unsubscribe", "click"] = "text"
    text: str = Field(default="", max_length=4000)
    key: str = Field(default="", max_length=64)


def _user(request: Request, openid: str, mode: str) -> SimulatedUser:
    settings = request.app.state.services.settings
    transport = httpx.ASGITransport(app=request.app)
    http = httpx.AsyncClient(transport=transport, base_url="http://simulator.local", timeout=15)
    return SimulatedUser(
        http=http,
        token=settings.wechat_token,
        appid=settings.wechat_appid,
        aes_key=settings.wechat_aes_key or None,
        openid=openid,
        mode=cast(Mode, mode),
    )


PLAIN_OPTION = '<option value="plain">明文</option>'


def _inline_hash(html: str, tag: str) -> str:
    source = html.split(f"<{tag}>", 1)[1].split(f"</{tag}>", 1)[0]
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


_HTML = PAGE.read_text(encoding="utf-8")
# Its own inline script and stylesheet by hash, nothing else; never framed; no referrer to other sites.
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'self'; script-src {_inline_hash(_HTML, 'script')}; style-src {_inline_hash(_HTML, 'style')}; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


@router.get("", response_class=HTMLResponse)
async def page(request: Request) -> HTMLResponse:
    html = _HTML
    if request.app.state.services.settings.wechat_aes_key:
        # With a key the service accepts only encrypted callbacks, as WeChat then sends them: offer those.
        html = html.replace(PLAIN_OPTION, "").replace('<option value="aes">', '<option value="aes" selected>')
    return HTMLResponse(html, headers=HEADERS)


@router.post("/api/send")
async def send(message: SimulatedMessage, request: Request) -> dict[str, object]:
    has_key = bool(request.app.state.services.settings.wechat_aes_key)
    mode = message.mode or ("aes" if has_key else "plain")
    if mode != "plain" and not has_key:
        return {"ok": False, "error": "未配置 QIAOBOT_WECHAT_AES_KEY，只能使用明文模式"}
    if mode == "plain" and has_key:
        return {"ok": False, "error": "已配置 QIAOBOT_WECHAT_AES_KEY，服务只接受加密消息：请选择兼容或安全模式"}
    user = _user(request, message.openid, mode)
    try:
        response, reply = await user.post(user.build(message.kind, message.text, message.key))
    finally:
        await user.http.aclose()
    if response.status_code != 200:
        return {"ok": False, "error": f"HTTP {response.status_code}: {response.text}"}
    return {"ok": True, "reply": None if reply is None else reply.get("Content", "")}


@router.get("/api/pushed")
async def pushed(openid: str, after: int = 0, request: Request = None) -> dict[str, object]:  # type: ignore[assignment]
    fake = request.app.state.fake_wechat
    messages = fake.custom_messages(openid, after_seq=after)
    return {"messages": [m.as_json() for m in messages]}
