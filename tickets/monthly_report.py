"""The monthly report (月报) by department and by category, for the tickets received in one calendar month
(local time), as the statistics page counts them (``tickets.stats.summarize``, in working time):

- 受理量: tickets received; 转介: those closed by a referral outside the federation, counted apart and left
  out of the rates below (where to go is not the department's answer);
- 办结量: the rest that were answered or closed; 回复率: answered at least once ÷ the rest;
- 按时办结率: first answer by the due time ÷ tickets whose due time has come or that were answered;
- 延期数: approved extensions; 满意率: (满意 + 基本满意) ÷ rated; 中位答复时长: working hours to the first answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.working_days import WorkingCalendar
from tickets.department_stats import is_referral
from tickets.models import Ticket
from tickets.spreadsheets import Table
from tickets.stat_sql import AnswerClock, label_or_unsorted, medians
from tickets.stats import Elapsed, StatRow, summarize, wall_clock_hours


@dataclass(frozen=True)
class MonthTicket:
    row: StatRow
    department: str | None
    referral: str | None
    extensions: int
    rating: int | None


@dataclass(frozen=True)
class ReportRow:
    label: str
    received: int  # 受理量
    referred: int  # 转介
    concluded: int  # 办结量
    answered: int
    on_time_rate: float | None  # 按时办结率
    extensions: int  # 延期数
    rated: int
    satisfied: int  # 满意 + 基本满意
    median_answer_hours: float | None

    @property
    def reply_rate(self) -> float | None:  # 回复率
        handled = self.received - self.referred
        return self.answered / handled if handled else None

    @property
    def satisfaction_rate(self) -> float | None:  # 满意率
        return self.satisfied / self.rated if self.rated else None


@dataclass(frozen=True)
class MonthlyReport:
    month: date  # its first day
    by_department: list[ReportRow]
    by_category: list[ReportRow]
    total: ReportRow


def parse_month(text: str) -> date:
    """``2026-11`` → 2026-11-01; anything else is a ValueError with a sentence for staff."""
    try:
        year, month = text.strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise ValueError(f"月份应写作 YYYY-MM（例如 2026-11），而不是 {text!r}") from None


def month_bounds(first: date, tz: tzinfo) -> tuple[datetime, datetime]:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(first, time.min, tzinfo=tz), datetime.combine(following, time.min, tzinfo=tz)


def report_row(label: str, tickets: Sequence[MonthTicket], now: datetime, elapsed: Elapsed) -> ReportRow:
    own = [t for t in tickets if not t.referral]
    group = summarize(label, [t.row for t in own], now, elapsed)
    ratings = [t.rating for t in tickets if t.rating is not None]
    return ReportRow(
        label=label,
        received=len(tickets),
        referred=len(tickets) - len(own),
        concluded=sum(1 for t in own if t.row.state in ("answered", "closed")),
        answered=group.answered,
        on_time_rate=group.on_time_rate,
        extensions=sum(t.extensions for t in tickets),
        rated=len(ratings),
        satisfied=sum(1 for r in ratings if r in (1, 2)),
        median_answer_hours=group.median_answer_hours,
    )


def build_report(
    first: date,
    tickets: Sequence[MonthTicket],
    now: datetime,
    department_name: Callable[[str | None], str],
    department_order: Sequence[str | None] = (),
    elapsed: Elapsed = wall_clock_hours,
) -> MonthlyReport:
    """Pure. Departments in the book's order (each listed even with no ticket), then any others; categories
    by volume."""
    by_department: dict[str | None, list[MonthTicket]] = {code: [] for code in department_order}
    by_category: dict[str, list[MonthTicket]] = {}
    for ticket in tickets:
        by_department.setdefault(ticket.department, []).append(ticket)
        by_category.setdefault(ticket.row.category or "未分类", []).append(ticket)
    categories = sorted(by_category.items(), key=lambda item: (-len(item[1]), item[0]))
    return MonthlyReport(
        month=first,
        by_department=[report_row(department_name(code), items, now, elapsed) for code, items in by_department.items()],
        by_category=[report_row(name, items, now, elapsed) for name, items in categories],
        total=report_row("合计", tickets, now, elapsed),
    )


async def monthly_report(
    session: AsyncSession,
    first: date,
    now: datetime,
    tz: tzinfo,
    department_name: Callable[[str | None], str],
    department_order: Sequence[str | None] = (),
    calendar: WorkingCalendar | None = None,
) -> MonthlyReport:
    """``build_report`` for the month, counted by the database by department and category; only the answered
    tickets of the departments' own (not referred) come back, as integers, for the medians."""
    start, end = month_bounds(first, tz)
    period = (Ticket.created_at >= start, Ticket.created_at < end, Ticket.merged_into.is_(None))
    referred = is_referral(Ticket.referral)
    own = ~referred
    answered = Ticket.first_answered_at.is_not(None)
    cells = (
        await session.execute(
            select(
                Ticket.department,
                Ticket.category,
                func.min(Ticket.id),
                func.count(),
                func.count().filter(referred),
                func.count().filter(own, Ticket.state.in_(("answered", "closed"))),
                func.count().filter(own, answered),
                func.count().filter(own, Ticket.first_answered_at <= Ticket.due_at),
                func.count().filter(own, ~answered, Ticket.state == "open", Ticket.due_at < now),
                func.coalesce(func.sum(Ticket.extension_count), 0),
                func.count(Ticket.rating),
                func.count().filter(Ticket.rating.in_((1, 2))),
            )
            .where(*period)
            .group_by(Ticket.department, Ticket.category)
        )
    ).all()
    clock = AnswerClock(calendar, tz, start.date(), max(end.date(), now.astimezone(tz).date()))
    partitions = {"department": Ticket.department, "category": label_or_unsorted(Ticket.category), "total": None}
    hours = await medians(session, [*period, own], partitions, clock)
    departments: dict[str | None, list[int]] = {code: [0] * 9 for code in department_order}
    first_seen: dict[str | None, int] = {}
    categories: dict[str, list[int]] = {}
    total = [0] * 9
    for code, category, first_id, *counts in cells:
        first_seen[code] = min(first_seen.get(code, first_id), first_id)
        for sums in (
            departments.setdefault(code, [0] * 9),
            categories.setdefault(category or "未分类", [0] * 9),
            total,
        ):
            for i, value in enumerate(counts):
                sums[i] += int(value)
    listed = list(department_order)
    later = sorted((code for code in departments if code not in listed), key=lambda code: first_seen[code])
    return MonthlyReport(
        month=first,
        by_department=[
            _row(department_name(code), departments[code], hours["department"].get(code)) for code in [*listed, *later]
        ],
        by_category=[
            _row(name, counts, hours["category"].get(name))
            for name, counts in sorted(categories.items(), key=lambda item: (-item[1][0], item[0]))
        ],
        total=_row("合计", total, hours["total"].get(0)),
    )


def _row(label: str, counts: list[int], median: float | None) -> ReportRow:
    received, referred, concluded, answered, on_time, late_open, extensions, rated, satisfied = counts[:9]
    counted = answered + late_open
    return ReportRow(
        label=label,
        received=received,
        referred=referred,
        concluded=concluded,
        answered=answered,
        on_time_rate=on_time / counted if counted else None,
        extensions=extensions,
        rated=rated,
        satisfied=satisfied,
        median_answer_hours=median,
    )


REPORT_HEADER = [
    "受理量", "办结量", "按时办结率", "回复率", "延期数", "满意率", "评价数", "转介", "中位答复时长（工作小时）",
]  # fmt: skip


def _cells(row: ReportRow) -> list[str | int | float | None]:
    return [
        row.received,
        row.concluded,
        row.on_time_rate,
        row.reply_rate,
        row.extensions,
        row.satisfaction_rate,
        row.rated,
        row.referred,
        row.median_answer_hours,
    ]


def report_tables(report: MonthlyReport) -> list[Table]:
    """按部门 and 按分类 sheets (each with the 合计 row), and 说明 (what each figure counts)."""
    month = f"{report.month:%Y-%m}"
    percent = frozenset({3, 4, 6})
    tables = []
    for title, first_column, rows in (
        (f"{month} 按部门", "部门", report.by_department),
        (f"{month} 按分类", "分类", report.by_category),
    ):
        table = Table(title, [first_column, *REPORT_HEADER], widths={0: 18, 9: 22}, percent_columns=percent)
        table.rows = [[row.label, *_cells(row)] for row in [*rows, report.total]]
        tables.append(table)
    notes = Table("说明", ["指标", "口径"], widths={0: 22, 1: 90})
    notes.rows = [
        ["统计范围", f"{month} 受理（用户提出）的工单，按北京时间计；合并进其他工单的重复工单不计"],
        ["受理量", "当月受理的工单数（含转介）"],
        ["转介", "转介至联合会以外机构（出入境、使领馆、地方侨办、12345）后关闭的工单，单列，不计入以下比率"],
        ["办结量", "除转介外，已答复或已关闭的工单数"],
        ["按时办结率", "首次答复在答复期限内的工单 ÷（已答复的工单 + 已过期限仍未答复的工单）"],
        ["回复率", "至少答复过一次的工单 ÷（受理量 − 转介）"],
        ["延期数", "经批准的延期次数"],
        ["满意率", "（满意 + 基本满意）÷ 评价数"],
        ["中位答复时长", "受理到首次答复的工作时间（不含周末、节假日和待补充的时间），单位小时"],
    ]
    tables.append(notes)
    return tables


def report_csv_table(report: MonthlyReport) -> Table:
    """One table for CSV: the department rows, then the category rows, each marked by the first column."""
    month = f"{report.month:%Y-%m}"
    table = Table(month, ["维度", "名称", *REPORT_HEADER], percent_columns=frozenset({4, 5, 7}))
    for kind, rows in (("部门", report.by_department), ("分类", report.by_category)):
        table.rows.extend([[kind, row.label, *_cells(row)] for row in rows])
    table.rows.append(["合计", report.total.label, *_cells(report.total)])
    return table
