"""The public page a template message links to: a staff answer, behind an unguessable link.

Template messages cannot carry a long answer, and the customer-service window may be closed, so the notice
links here. The link names the ticket's random ``answer_token`` (not its sequential number) and lapses
``LINK_MAX_AGE`` after the answer. Links sent before tokens existed (the number signed with the secret key)
are still honoured until they expire, unless the key is a shipped placeholder (anyone could sign those).
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from config.settings import Settings, is_shipped_placeholder
from faq.script import to_traditional
from tickets.models import Ticket

LINK_MAX_AGE = timedelta(days=90)
router = APIRouter(include_in_schema=False)


def answer_link(settings: Settings, ticket: Ticket) -> str:
    return f"{settings.public_base_url.rstrip('/')}/a/{ticket.answer_token}"


def _legacy_ticket_number(settings: Settings, token: str) -> str | None:
    """The ticket number in a link of the old signed form, or None."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt="qiaobot.answer-link")
    try:
        number = serializer.loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    except BadSignature:
        return None
    return number if isinstance(number, str) else None


def _expired(ticket: Ticket, now: datetime) -> bool:
    return ticket.answered_at is not None and ticket.answered_at + LINK_MAX_AGE < now


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;max-width:680px;margin:0 auto;
padding:20px;line-height:1.7;color:#222}}h1{{font-size:20px}}.q{{background:#f4f4f4;padding:12px;border-radius:6px;
white-space:pre-wrap}}.a{{white-space:pre-wrap}}small{{color:#888}}</style></head><body>{body}</body></html>"""


def _inline_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


# The page is opened from a WeChat notice: no scripts at all, its one inline stylesheet by hash, never framed,
# and the token in its URL is not handed to other sites as a referrer.
_STYLE = _PAGE.split("<style>", 1)[1].split("</style>", 1)[0].replace("{{", "{").replace("}}", "}")
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src {_inline_hash(_STYLE)}; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@router.get("/a/{token}", response_class=HTMLResponse)
async def show_answer(token: str, request: Request) -> HTMLResponse:
    services = request.app.state.services
    ticket = None
    if 20 <= len(token) <= 200:
        async with services.sessions() as session:
            if "." in token and not is_shipped_placeholder(services.settings.secret_key):
                number = _legacy_ticket_number(services.settings, token)
                if number is not None:
                    ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
            else:
                ticket = await session.scalar(select(Ticket).where(Ticket.answer_token == token))
    if ticket is None or _expired(ticket, services.clock.now()):
        body = "<h1>链接无效或已过期</h1><p>请在公众号中发送“查询”查看您的留言和答复。</p>"
        return HTMLResponse(_PAGE.format(title="链接无效", body=body), status_code=404, headers=HEADERS)
    if not ticket.answer:
        body = "<h1>暂无答复</h1><p>工作人员答复后，您会在公众号中收到通知。</p>"
        return HTMLResponse(_PAGE.format(title="暂无答复", body=body), status_code=404, headers=HEADERS)
    convert = to_traditional if ticket.script == "hant" else (lambda text: text)
    body = (
        f"<h1>{escape(convert('留言答复'))} {escape(ticket.number)}</h1>"
        f"<p><strong>{escape(convert('您的问题'))}</strong></p><div class='q'>{escape(ticket.question)}</div>"
        f"<p><strong>{escape(convert('答复'))}</strong></p><div class='a'>{escape(convert(ticket.answer))}</div>"
        f"<p><small>{escape(convert('如还有疑问，请直接在公众号中回复。'))}</small></p>"
    )
    return HTMLResponse(_PAGE.format(title=escape(ticket.number), body=body), headers=HEADERS)
