"""The queue staff work from: which tickets, in what order, with which marks (overdue, due soon)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import TICKET_STATES, Ticket, TicketState
from tickets.search import DOC_SCOPE, search_page, text_match

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
    """``total`` is exact unless ``capped``: a search matching more than ``tickets.search.COUNT_CAP`` tickets
    says "1000+" and lets staff page on while pages come back full."""

    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    open_count: int
    overdue_count: int
    capped: bool = False

    @property
    def pages(self) -> int:
        known = max(1, -(-self.total // self.per_page))
        if self.capped and len(self.items) == self.per_page:
            return max(known, self.page + 1)
        return max(known, self.page) if self.capped else known


def due_flags(state: str, due_at: datetime, now: datetime) -> tuple[bool, bool]:
    """(overdue, due soon): only an open ticket can be late; an answered one kept or missed its promise."""
    if state != "open":
        return False, False
    return due_at < now, now <= due_at < now + DUE_SOON


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


def scope_conditions(f: QueueFilter, state: Any, department: Any, created_at: Any) -> list[Any]:
    """The state, department and received-date conditions of a (normalized) filter, on ``tickets`` or on
    the columns ``ticket_search`` copies from it (PostgreSQL: the search checks them on the index's rows)."""
    where: list[Any] = []
    if f.state:
        where.append(state == f.state)
    if f.departments is not None:
        codes = [code for code in f.departments if code != UNASSIGNED]
        in_codes = department.in_(codes)
        where.append(or_(in_codes, department.is_(None)) if UNASSIGNED in f.departments else in_codes)
    if f.received_from is not None:
        where.append(created_at >= f.received_from)
    if f.received_before is not None:
        where.append(created_at < f.received_before)
    return where


def queue_conditions(dialect: str, f: QueueFilter, now: datetime, with_text: bool = True) -> list[Any]:
    """The WHERE conditions of a (normalized) filter, shared by the queue page and its export; without the
    search box's when ``with_text`` is false (the page searches through ``tickets.search.search_page``)."""
    where = scope_conditions(f, Ticket.state, Ticket.department, Ticket.created_at) + ticket_conditions(f, now)
    match = text_match(dialect, f.text) if with_text else None
    if match is not None:
        where.append(match)
    return where


def ticket_conditions(f: QueueFilter, now: datetime) -> list[Any]:
    """The conditions only ``tickets`` can answer: category, assignee, overdue."""
    where: list[Any] = []
    if f.category:
        where.append(Ticket.category == f.category)
    if f.assignee == UNASSIGNED:
        where.append(Ticket.assignee.is_(None))
    elif f.assignee:
        where.append(Ticket.assignee == f.assignee)
    if f.overdue_only:
        where.extend([Ticket.state == "open", Ticket.due_at < now])
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
    dialect = session.get_bind().dialect.name
    where = queue_conditions(dialect, f, now, with_text=False)
    offset = (f.page - 1) * f.per_page
    hits = None
    if f.text and dialect == "postgresql":  # the documents copy state, department and received time
        doc_where = scope_conditions(f, *DOC_SCOPE)
        hits = await search_page(session, ticket_conditions(f, now), f.text, offset, f.per_page, doc_where)
    elif f.text:
        hits = await search_page(session, where, f.text, offset, f.per_page)
    columns = select(
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
    capped = False
    if hits is not None:
        order = {ticket_id: i for i, ticket_id in enumerate(hits.ids)}
        found = (await session.execute(columns.add_columns(Ticket.id).where(Ticket.id.in_(hits.ids)))).all()
        rows = [row[:-1] for row in sorted(found, key=lambda row: order[row[-1]])]
        total, capped = hits.total, hits.capped
    else:
        page_query = columns.where(*where).order_by(*queue_order(f)).limit(f.per_page).offset(offset)
        rows = list((await session.execute(page_query)).all())
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
    return QueuePage(items, total, f.page, f.per_page, open_count, overdue_count, capped)


async def open_and_overdue(session: AsyncSession, now: datetime) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count().filter(Ticket.due_at < now))
            .select_from(Ticket)
            .where(Ticket.state == "open")
        )
    ).one()
    return int(row[0]), int(row[1])


# The categories in use, one probe of ix_tickets_category (migration 0020) each: SELECT DISTINCT read
# every ticket (0.2 s at 100,000 tickets, on every queue page).
_CATEGORIES = text(
    """
    WITH RECURSIVE c(category) AS (
      SELECT min(category) FROM tickets
      UNION ALL
      SELECT (SELECT min(t.category) FROM tickets t WHERE t.category > c.category) FROM c
      WHERE c.category IS NOT NULL
    )
    SELECT category FROM c WHERE category IS NOT NULL
    """
)


async def ticket_categories(session: AsyncSession) -> list[str]:
    rows = await session.scalars(_CATEGORIES)
    return sorted(str(c) for c in rows)
