"""What every console page shares: the layout's context (who is logged in, unread notifications, the
flash message after a post/redirect/get), the error page and the redirect."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from console.deps import Db, services_of
from console.rendering import Times, render_html
from console.sessions import StaffSession
from staff import notifications
from staff.errors import StaffActionError
from tickets import arrivals

DONE_MESSAGES = {
    "answered": "答复已保存，正在发送给用户。",
    "note": "备注已添加。",
    "assigned": "负责人已更新。",
    "closed": "工单已关闭。",
    "reopened": "工单已重新打开。",
    "faq": "已生成知识库草稿，主管在“知识库 → 待发布”中发布后生效。",
    "retried": "已重新排队发送。",
    "confirmed": "已确认送达，不再重发。",
    "read": "已标为已读。",
    "dispatched": "已分派到部门。",
    "transferred": "已转办。",
    "returned": "已退回分派员。",
    "referred": "已告知用户办理去向，工单已关闭。",
    "extension_requested": "延期申请已提交，等待主管审批。",
    "extension_approved": "已批准延期，新的答复时间已告知用户。",
    "extension_refused": "已不批准延期，答复期限不变。",
    "asked": "已请用户补充，计时暂停。",
}


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def base_context(request: Request, db: Db, staff: StaffSession, active: str) -> dict[str, Any]:
    services = services_of(request)
    done = request.query_params.get("done")
    return {
        "me": staff.user,
        "csrf": staff.csrf_token,
        "active": active,
        "t": Times(services.settings.tz, services.clock.now()),
        "unread": await notifications.unread_count(db, staff.user),
        "new_tickets": await arrivals.new_count(db, staff.user),  # the badge beside 工单
        "flash": DONE_MESSAGES.get(done or ""),
        "error": None,
        "health": services.health,  # the banner on every page while Redis or the database is out
    }


def error_page(context: dict[str, Any], error: StaffActionError, back: str) -> Response:
    return render_html("error.html", {**context, "message": error.message, "back": back}, status_code=error.status)
