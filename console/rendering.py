"""Server-side HTML: one Jinja2 environment with autoescaping always on, and the security headers every
console page carries.

User text (questions, names, answers) only ever reaches a page through ``{{ }}``, which escapes it; the
Content-Security-Policy forbids inline scripts, so even a mistake in a template could not run a user's
``<script>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from handlers.inbound_media import KIND_NAMES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


@dataclass(frozen=True)
class Times:
    """Formats aware datetimes in the console's time zone (Beijing by default), relative to ``now``."""

    tz: tzinfo
    now: datetime

    def short(self, at: datetime | None) -> str:
        if at is None:
            return ""
        local = at.astimezone(self.tz)
        prefix = "" if local.year == self.now.astimezone(self.tz).year else f"{local.year}年"
        return f"{prefix}{local.month}月{local.day}日（周{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"

    def until(self, at: datetime | None) -> str:
        """``还剩3小时`` / ``已超时2天``: how far a due time is, in the largest unit that fits."""
        if at is None:
            return ""
        seconds = (at - self.now).total_seconds()
        amount = abs(seconds)
        if amount >= 86400:
            text = f"{int(amount // 86400)}天"
        elif amount >= 3600:
            text = f"{int(amount // 3600)}小时"
        else:
            text = f"{max(1, int(amount // 60))}分钟"
        return f"还剩{text}" if seconds >= 0 else f"已超时{text}"


STATE_LABELS = {"open": "待答复", "waiting": "待补充", "answered": "已答复", "closed": "已关闭"}
ROLE_LABELS = {"staff": "工作人员", "dispatcher": "分派员", "supervisor": "主管", "admin": "管理员"}
DELIVERY_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已送达",
    "failed": "发送失败",
    "uncertain": "状态不明",
    "waiting": "等待用户留言",
    "none": "未发送",
    "notified": "已发模板通知",
}
EVENT_LABELS = {
    "created": "创建工单",
    "answered": "答复",
    "answer_corrected": "修改答复",
    "note": "添加备注",
    "assigned": "分派",
    "closed": "关闭",
    "reopened": "重新打开",
    "faq_created": "加入知识库",
    "faq_similar_added": "加为相似问",
    "faq_drafted": "起草知识库问答",
    "faq_similar_drafted": "起草相似问",
    "delivery_retried": "重新发送",
    "answer_waiting": "答复待送达",
    "answer_delivered_on_return": "用户回来后送达",
    "user_message": "用户追加留言",
    "reminded": "提醒",
    "escalation": "升级给主管",
    "due_recomputed": "重新计算期限",
    "routed": "按分类派单",
    "routing_failed": "派单失败（部门设置有误），留给分派员",
    "dispatched": "分派到部门",
    "transferred": "转办",
    "returned": "退单给分派员",
    "referred": "转介至外部机构并办结",
    "extension_requested": "申请延期",
    "extension_approved": "批准延期",
    "extension_refused": "不批准延期",
    "user_not_told": "未能通知用户",
    "user_told_by_template": "窗口已关闭，已用模板消息通知用户",
    "waiting_on_user": "请用户补充（计时暂停）",
    "user_supplied": "用户已补充（恢复计时）",
    "closed_no_reply": "用户逾期未补充，自动办结",
    "rated": "用户评价",
    "reopened_unsatisfied": "用户不满意，重新打开交主管",
    "merged_into": "合并到其他工单",
    "merged_from": "合并了其他工单",
    "appended": "用户追加留言",
    "attachment_received": "用户发来附件",
    "answer_image_attached": "答复附图片",
    "answer_image_waiting": "答复图片待用户下次留言时补发",
    "answer_image_failed": "答复图片发送失败",
}


ROUTING_ACTIONS = frozenset(
    {
        "routed", "dispatched", "transferred", "returned", "referred", "routing_failed", "extension_requested", "rated",
        "merged_into", "merged_from", "attachment_received",
    }
)


def event_detail(action: str, detail: dict[str, Any] | None, names: dict[str, str]) -> str:
    """A routing step's particulars for the audit log: where the ticket went and why, by department name."""
    if not detail or action not in ROUTING_ACTIONS:
        return ""

    def name(code: object) -> str:
        return "分派员" if code is None else names.get(str(code), str(code))

    parts = []
    if action in ("transferred", "returned"):
        parts.append(f"{name(detail.get('from'))} → {name(detail.get('to'))}")
    elif "to" in detail:
        parts.append(f"→ {name(detail['to'])}")
    if action == "routed" and detail.get("category"):
        parts.append(f"分类：{detail['category']}")
    if "name" in detail:
        parts.append(str(detail["name"]))
    if action == "extension_requested" and "days" in detail:
        parts.append(f"{detail['days']}个工作日")
    if "reason" in detail:
        parts.append(f"理由：{detail['reason']}")
    if action == "rated":
        parts.append(str(detail.get("label", "")) + (f"：{detail['comment']}" if detail.get("comment") else ""))
    if action in ("merged_into", "merged_from") and detail.get("ticket"):
        parts.append(("→ " if action == "merged_into" else "← ") + str(detail["ticket"]))
        if action == "merged_from" and detail.get("messages"):
            files = f"、{detail['attachments']} 个附件" if detail.get("attachments") else ""
            parts.append(f"移入 {detail['messages']} 条留言{files}")
        elif action == "merged_into" and detail.get("attachments"):
            parts.append(f"{detail['attachments']} 个附件随对话移走")
        if detail.get("reopened_from"):
            parts.append("本工单重新打开待答复")
    if action == "attachment_received":
        parts.append(KIND_NAMES.get(str(detail.get("kind")), "文件"))
        if detail.get("before_ticket"):
            parts.append("留言前发来，随问题一并转交")
    if "error" in detail:
        parts.append(str(detail["error"]))
    return "；".join(parts)


KIND_LABELS = {
    "reminder": "即将到期",
    "escalation": "已超时",
    "delivery_failed": "发送失败",
    "delivery_waiting": "答复待送达",
    "kb_review_due": "知识库待审核",
}


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 60:.0f} 分钟" if value < 1 else f"{value:.1f} 小时"


_env.globals.update(
    STATE_LABELS=STATE_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    DELIVERY_LABELS=DELIVERY_LABELS,
    EVENT_LABELS=EVENT_LABELS,
    KIND_LABELS=KIND_LABELS,
    pct=pct,
    hours=hours,
    event_detail=event_detail,
)


def render_html(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
