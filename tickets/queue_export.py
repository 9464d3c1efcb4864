"""The queue as a spreadsheet: every ticket the queue page's filters select (search included), one row each,
with the whole question and answer rather than the page's preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import Ticket
from tickets.queue import QueueFilter, due_flags, queue_conditions, queue_order
from tickets.spreadsheets import Table

# A workbook is built in memory: past this many rows the export says it was cut (narrow the filters).
MAX_EXPORT_ROWS = 20000
STATE_NAMES = {"open": "待答复", "waiting": "待补充", "answered": "已答复", "closed": "已关闭"}
RATING_NAMES = {1: "满意", 2: "基本满意", 3: "不满意"}
HEADER = [
    "编号", "状态", "受理时间", "答复期限", "超时", "部门", "分类", "负责人", "问题", "答复", "答复人",
    "首次答复时间", "延期次数", "评价", "评价意见", "转介",
]  # fmt: skip


async def queue_table(
    session: AsyncSession,
    filters: QueueFilter,
    now: datetime,
    department_name: Callable[[str | None], str],
    person: Callable[[str | None], str],
) -> Table:
    f = filters.normalized()
    where = queue_conditions(session.get_bind().dialect.name, f, now)
    tickets = (
        await session.scalars(select(Ticket).where(*where).order_by(*queue_order(f)).limit(MAX_EXPORT_ROWS + 1))
    ).all()
    table = Table(
        "工单",
        HEADER,
        widths={0: 16, 2: 17, 3: 17, 5: 12, 8: 60, 9: 60, 11: 17},
    )
    for ticket in tickets[:MAX_EXPORT_ROWS]:
        overdue, _ = due_flags(ticket.state, ticket.due_at, now)
        table.rows.append(
            [
                ticket.number,
                STATE_NAMES.get(ticket.state, ticket.state),
                ticket.created_at,
                ticket.due_at,
                "是" if overdue else "",
                department_name(ticket.department),
                ticket.category or "未分类",
                person(ticket.assignee) if ticket.assignee else "",
                ticket.question,
                ticket.answer or "",
                person(ticket.answered_by) if ticket.answered_by else "",
                ticket.first_answered_at,
                ticket.extension_count or 0,
                RATING_NAMES.get(ticket.rating or 0, ""),
                ticket.rating_comment or "",
                department_name(ticket.referral) if ticket.referral else "",
            ]
        )
    if len(tickets) > MAX_EXPORT_ROWS:
        table.rows.append([f"只导出了前 {MAX_EXPORT_ROWS} 件，请缩小筛选范围后分批导出"])
    return table
