"""The queue staff work from: which tickets, in what order, with which marks (overdue, due soon)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import TICKET_STATES, Ticket, TicketState
from tickets.search import text_match

# A ticket whose due time is this close is flagged "due soon" in the queue (reminders go out at 2 hours).
DUE_SOON = timedelta(hours=4)
MAX_PER_PAGE = 200
PREVIEW_CHARS = 80
UNASSIGNED = "-"  # the assignee filter value meaning "nobody"


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = "open"  # None = every state
    category: str | None = None
    assignee: str | None = None  # a username, or UNASSIGNED
    # Department codes the ticket may be in; UNASSIGNED stands for the dispatcher's queue. None = anywhere.
    departments: tuple[str, ...] | None = None
    overdue_only: bool = False
    text: str = ""  # the search box: every space-separated term somewhere in the ticket (tickets.search)
    received_from: datetime | None = None  # received at or after
    received_before: datetime | None = None  # received before
    page: int = 1
    per_page: int = 50

    def normalized(self) -> QueueFilter:
        state = self.state if self.state in TICKET_STATES else None
        return replace(
            self,
            state=state,
            category=self.category or None,
            assignee=self.assignee or None,
            text=self.text.strip(),
            page=max(1, self.page),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE),
        )


@dataclass(frozen=True)
class QueueItem:
    """One row of the queue; the console's JSON API returns these as they are (``console.schemas.QueueOut``).
    ``department`` is the department's queue the ticket is in; null (None) is the dispatcher's."""

    number: str
    state: TicketState
    category: str | None
    preview: str
    assignee: str | None
    created_at: datetime
    due_at: datetime
    due_provisional: bool
    answer_delivery: str
    overdue: bool
    due_soon: bool
    department: str | None = None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    open_count: int
    overdue_count: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def due_flags(state: str, due_at: datetime, now: datetime) -> tuple[bool, bool]:
    """(overdue, due soon): only an open ticket can be late; an answered one kept or missed its promise."""
    if state != "open":
        return False, False
    return due_at < now, now <= due_at < now + DUE_SOON


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def queue_conditions(dialect: str, f: QueueFilter, now: datetime) -> list[Any]:
    """The WHERE conditions of a (normalized) filter, shared by the queue page and its export."""
    where: list[Any] = []
    if f.state:
        where.append(Ticket.state == f.state)
    if f.category:
        where.append(Ticket.category == f.category)
    if f.assignee == UNASSIGNED:
        where.append(Ticket.assignee.is_(None))
    elif f.assignee:
        where.append(Ticket.assignee == f.assignee)
    if f.departments is not None:
        codes = [code for code in f.departments if code != UNASSIGNED]
        in_codes = Ticket.department.in_(codes)
        where.append(or_(in_codes, Ticket.department.is_(None)) if UNASSIGNED in f.departments else in_codes)
    if f.overdue_only:
        where.extend([Ticket.state == "open", Ticket.due_at < now])
    if f.received_from is not None:
        where.append(Ticket.created_at >= f.received_from)
    if f.received_before is not None:
        where.append(Ticket.created_at < f.received_before)
    match = text_match(dialect, f.text)
    if match is not None:
        where.append(match)
    return where


def queue_order(f: QueueFilter) -> tuple[Any, ...]:
    """Earliest due first for the working states; most recent first for closed tickets and for a search
    (staff looking a ticket up mostly want the latest one)."""
    if f.text:
        return (Ticket.created_at.desc(), Ticket.id.desc())
    if f.state == "closed":
        return (Ticket.due_at.desc(), Ticket.id.desc())
    return (Ticket.due_at, Ticket.id)


async def list_queue(session: AsyncSession, filters: QueueFilter, now: datetime) -> QueuePage:
    """One page of tickets in ``queue_order``.

    The columns are chosen so PostgreSQL answers from the (state, due_at) indexes without reading whole
    questions: the preview is cut in SQL.
    """
    f = filters.normalized()
    where = queue_conditions(session.get_bind().dialect.name, f, now)
    order = queue_order(f)
    rows = (
        await session.execute(
            select(
                Ticket.number,
                Ticket.state,
                Ticket.category,
                func.substr(Ticket.question, 1, PREVIEW_CHARS * 2),
                Ticket.assignee,
                Ticket.created_at,
                Ticket.due_at,
                Ticket.due_provisional,
                Ticket.answer_delivery,
                Ticket.department,
            )
            .where(*where)
            .order_by(*order)
            .limit(f.per_page)
            .offset((f.page - 1) * f.per_page)
        )
    ).all()
    total = int(await session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0)
    open_count, overdue_count = await open_and_overdue(session, now)
    items = []
    for number, state, category, question, assignee, created_at, due_at, provisional, delivery, department in rows:
        overdue, soon = due_flags(state, due_at, now)
        items.append(
            QueueItem(
                number,
                state,
                category,
                _preview(question or ""),
                assignee,
                created_at,
                due_at,
                provisional,
                delivery,
                overdue,
                soon,
                department,
            )
        )
    return QueuePage(items, total, f.page, f.per_page, open_count, overdue_count)


async def open_and_overdue(session: AsyncSession, now: datetime) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count().filter(Ticket.due_at < now))
            .select_from(Ticket)
            .where(Ticket.state == "open")
        )
    ).one()
    return int(row[0]), int(row[1])


async def ticket_categories(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(Ticket.category).where(Ticket.category.is_not(None)).distinct())
    return sorted(str(c) for c in rows)
