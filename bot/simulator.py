"""``/simulator``: chat with the bot in a browser, with no WeChat account (embedded mode only).

Each message goes through the real ``/wechat`` endpoint, signed and encrypted as WeChat would send it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from pathlib import Path
from typing import Literal, cast

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, ValidationError

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
    # A picture the page's user chose (base64, ≤ 1 MB decoded), sent as the phone would: uploaded to the fake
    # WeChat first, the message naming its MediaId. Without one, the 发图片 button sends a generated picture.
    media: str = Field(default="", max_length=1_400_000)
    content_type: Literal["", "image/jpeg", "image/png", "image/gif"] = ""


# What each field must be, in the words the page shows (pydantic's own report is JSON meant for developers).
FIELD_RULES = {
    "openid": "openid 须为 6–64 个字母、数字、下划线或连字符",
    "mode": "模式须为 明文、兼容 或 安全",
    "kind": "不支持的消息类型",
    "text": "消息最长 4000 字",
    "key": "菜单 KEY 最长 64 个字符",
    "media": "图片不能超过 1 MB",
    "content_type": "只能发送 JPG、PNG 或 GIF 图片",
}


def _problems(exc: ValidationError) -> str:
    fields = dict.fromkeys(str(error["loc"][0]) if error["loc"] else "" for error in exc.errors())
    return "；".join(FIELD_RULES.get(field, "请求格式不对") for field in fields)


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


def sample_png(size: int = 96) -> bytes:
    """A small picture (a blue-to-red gradient PNG) for the 发图片 button, so staff see a real image."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // size, 64, y * 255 // size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


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


@router.post("/api/send", response_model=None)
async def send(request: Request) -> dict[str, object] | JSONResponse:
    try:
        message = SimulatedMessage.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"ok": False, "error": _problems(exc)}, status_code=422)
    has_key = bool(request.app.state.services.settings.wechat_aes_key)
    mode = message.mode or ("aes" if has_key else "plain")
    if mode != "plain" and not has_key:
        return {"ok": False, "error": "未配置 QIAOBOT_WECHAT_AES_KEY，只能使用明文模式"}
    if mode == "plain" and has_key:
        return {"ok": False, "error": "已配置 QIAOBOT_WECHAT_AES_KEY，服务只接受加密消息：请选择兼容或安全模式"}
    user = _user(request, message.openid, mode)
    try:
        if message.kind == "image":
            try:
                picture = base64.b64decode(message.media, validate=True) if message.media else sample_png()
            except ValueError:
                return JSONResponse({"ok": False, "error": "图片数据不是有效的 base64"}, status_code=422)
            fake = request.app.state.fake_wechat
            media_id = fake.add_user_media("image", picture, content_type=message.content_type or "image/png")
            xml = user.build_media("image", media_id)
        else:
            xml = user.build(message.kind, message.text, message.key)
        response, reply = await user.post(xml)
    finally:
        await user.http.aclose()
    if response.status_code != 200:
        return {"ok": False, "error": f"HTTP {response.status_code}: {response.text}"}
    return {"ok": True, "reply": None if reply is None else reply.get("Content", "")}


@router.get("/api/pushed")
async def pushed(openid: str, after: int = 0, request: Request = None) -> dict[str, object]:  # type: ignore[assignment]
    """What the user's phone shows besides passive replies: customer-service messages, and the greeting
    previews (``mass/preview``) a supervisor sends to their own openid before approving a campaign."""
    fake = request.app.state.fake_wechat
    messages = [{**m.as_json(), "kind": "custom"} for m in fake.custom_messages(openid, after_seq=after)]
    messages += [
        {**m.as_json(), "kind": "preview"} for m in list(fake.previews) if m.openid == openid and m.seq > after
    ]
    messages.sort(key=lambda m: int(m["seq"]))
    return {"messages": messages}
