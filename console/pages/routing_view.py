"""What the console shows about departments: the choices on a ticket (分派, 转办, 退单, 转介), the queue's
department filter, and department names for the audit log. Read-only; the forms post to ``ticket_routing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from console.sessions import StaffIdentity
from tickets.department_store import departments_of, load_book
from tickets.departments import DISPATCHER_LABEL, DepartmentBook, DepartmentConfigError, Referral
from tickets.models import Ticket
from tickets.queue import UNASSIGNED
from tickets.routing import may_work

MINE = "mine"


@dataclass(frozen=True)
class TicketRouting:
    """The ticket's department and what this staff member may do with it."""

    department: str | None
    department_name: str
    referral_name: str | None
    may_move: bool
    targets: list[tuple[str, str]]  # (code, name) of departments it can go to
    referrals: list[Referral]
    names: dict[str, str] = field(default_factory=dict)  # every code → name, for the audit log
    error: str | None = None


async def book_or_none(db: AsyncSession, seed: Path) -> tuple[DepartmentBook | None, str | None]:
    try:
        return await load_book(db, seed), None
    except DepartmentConfigError as exc:
        return None, exc.message


def names_of(book: DepartmentBook | None) -> dict[str, str]:
    if book is None:
        return {}
    names = {d.code: d.name for d in book.departments}
    names.update({r.code: r.name for r in book.referrals})
    return names


async def ticket_routing(db: AsyncSession, seed: Path, user: StaffIdentity, ticket: Ticket) -> TicketRouting:
    book, error = await book_or_none(db, seed)
    names = names_of(book)
    return TicketRouting(
        department=ticket.department,
        department_name=names.get(ticket.department or "", ticket.department or DISPATCHER_LABEL),
        referral_name=names.get(ticket.referral, ticket.referral) if ticket.referral else None,
        may_move=ticket.state != "closed" and book is not None and await may_work(db, user, ticket),
        targets=[(d.code, d.name) for d in book.departments if d.code != ticket.department] if book else [],
        referrals=list(book.referrals) if book else [],
        names=names,
        error=error,
    )


async def queue_departments(db: AsyncSession, user: StaffIdentity, choice: str) -> tuple[str, ...] | None:
    """The queue's department filter: "" everywhere, "mine" my departments (and the dispatcher's queue for
    dispatchers), "-" the dispatcher's queue, or one department's code."""
    if not choice:
        return None
    if choice == MINE:
        mine = await departments_of(db, user.username)
        return (*mine, UNASSIGNED) if user.can("dispatcher") else tuple(mine)
    return (choice,)


async def department_options(db: AsyncSession, seed: Path) -> list[tuple[str, str]]:
    book, _ = await book_or_none(db, seed)
    return [(d.code, d.name) for d in book.departments] if book else []
