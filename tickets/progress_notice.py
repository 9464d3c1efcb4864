"""The ticket-progress template message (留言办理进度通知: 编号, 状态, 时间) a user gets when the 48-hour
customer-service window is closed: "answer ready" (with the signed link) and "extended to …". Under WeChat's
2023 template rules (``wechat.template_fields``): typed fields only, the status a ``thing`` of at most 20
characters, no first/remark, no colours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.settings import Settings
from faq.script import in_script
from tickets.models import Ticket
from wechat.template_fields import template_data, time_value


def progress_payload(settings: Settings, ticket: Ticket, status: str, at: datetime, url: str = "") -> dict[str, Any]:
    """``status`` in Simplified (put in the user's script here); ``url`` empty = a notice without a link."""
    payload: dict[str, Any] = {
        "touser": ticket.openid,
        "template_id": settings.wechat_answer_template_id,
        "data": template_data(
            settings.answer_template_fields,
            {"number": ticket.number, "status": in_script(status, ticket.script), "time": time_value(at, settings.tz)},
        ),
    }
    if url:
        payload["url"] = url
    return payload


def extended_status(new_due: datetime, settings: Settings) -> str:
    """e.g. "延期至12月15日17:30前答复" (17 characters: fits the 20 of a ``thing``)."""
    local = new_due.astimezone(settings.tz)
    return f"延期至{local.month}月{local.day}日{local:%H:%M}前答复"
