"""A new ticket's rows, written with SQLAlchemy Core statements instead of the ORM's unit of work.

Every hand-over that opens a ticket wrote them through the ORM: ``session.add`` then a flush for the ticket, and
another flush for its audit events and context messages. Most of that CPU was the ORM's bookkeeping (sorting
the unit of work, building each INSERT from the mapper, fetching the ids back into every object), not the
database's work. Here the ticket is one ``INSERT … RETURNING id``, and its events and its messages each one
executemany, all statements built once so their compiled form is cached, run on the session's connection
(``storage.core_statements``).

The rest of the request still works on an ORM ``Ticket`` (replies, attachments, notices): the inserted row is
handed back as a persistent object, with every column set exactly as the ORM would have stored it (column
defaults applied here), so nothing it reads is loaded again and nothing it has is written twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from storage.core_statements import run
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.numbering import day_of, next_number, number_prefix, numbered

_TICKETS: Table = Ticket.__table__  # type: ignore[assignment]
_EVENTS: Table = TicketEvent.__table__  # type: ignore[assignment]
_MESSAGES: Table = TicketMessage.__table__  # type: ignore[assignment]

_INSERT_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_INSERT_EVENTS = insert(_EVENTS)
_INSERT_MESSAGES = insert(_MESSAGES)


_EVENT_COLUMNS = ("actor", "action", "detail", "at")


def _insert_numbered(events: int) -> Any:
    """PostgreSQL: the ticket's INSERT taking the day's next number itself (``numbering.numbered``'s CTE), every
    other column bound by its name, and its first ``events`` audit events (bound as ``actor_0``, ``action_0``, …)
    inserted by the same statement: one statement where the counter's upsert, the INSERT and the events' were
    three. The events are one INSERT of a UNION ALL, so their ids follow the order given (two data-modifying
    CTEs would run in no set order)."""
    counter, number = numbered("counter_day")
    columns = [column for column in _TICKETS.columns if not (column.primary_key and column.autoincrement)]
    values = [number if column.key == "number" else bindparam(column.key, type_=column.type) for column in columns]
    ticket = (
        insert(_TICKETS)
        .from_select([column.key for column in columns], select(*values).select_from(counter))
        .returning(_TICKETS.c.id, _TICKETS.c.number)
        .cte("ticket")
    )
    stored = select(ticket.c.id, ticket.c.number)
    if not events:
        return stored
    given = [
        select(*(bindparam(f"{key}_{i}", type_=_EVENTS.c[key].type).label(key) for key in _EVENT_COLUMNS))
        for i in range(events)
    ]
    rows = (given[0] if events == 1 else union_all(*given)).subquery("given")
    written = (
        insert(_EVENTS)
        .from_select(
            ["ticket_id", *_EVENT_COLUMNS],
            select(ticket.c.id, *(rows.c[key] for key in _EVENT_COLUMNS)).select_from(ticket.join(rows, true())),
        )
        .cte("events")
    )
    return stored.add_cte(written)


# A new ticket has one audit event (created) or two (and where it was routed).
_INSERT_NUMBERED = {events: _insert_numbered(events) for events in (0, 1, 2)}


def with_defaults(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` for every column of ``table`` but an autoincremented key: the given value, else the column's
    Python default (called if it is a function, as an ORM insert would), else NULL. Every row of one table then
    has the same keys, so its INSERT compiles once; and the object built from it lacks no attribute."""
    row: dict[str, Any] = {}
    for column in table.columns:
        key = column.key
        if key in values:
            row[key] = values[key]
        elif column.primary_key and column.autoincrement:
            continue
        elif column.default is None:
            row[key] = None
        elif column.default.is_scalar:
            row[key] = column.default.arg  # type: ignore[attr-defined]
        elif column.default.is_callable:
            row[key] = column.default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take a context
        else:  # a SQL expression or a sequence: only the database knows the value
            raise ValueError(f"{table.name}.{key} has a default this module cannot compute")
    unknown = set(values) - set(row)
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    return row


async def insert_ticket(session: AsyncSession, values: Mapping[str, Any]) -> Ticket:
    """Store a ticket (one statement) and return it as a persistent object of ``session``, as if loaded.

    Pending ORM changes are flushed first, as the ORM's own flush would have (``storage.core_statements``)."""
    row = with_defaults(_TICKETS, values)
    ticket_id = (await run(session, _INSERT_TICKET, row)).scalar_one()
    ticket = Ticket(id=ticket_id, **row)
    make_transient_to_detached(ticket)  # its attributes count as loaded; relationships load on access
    session.add(ticket)  # persistent: in the identity map, nothing to flush
    return ticket


async def insert_numbered_ticket(
    session: AsyncSession, values: Mapping[str, Any], at: datetime, events: Sequence[Mapping[str, Any]] = ()
) -> Ticket:
    """``insert_ticket`` for a ticket whose number is the next of ``at``'s day (``numbering.next_number``), with
    its audit ``events`` (``event_values``, in order): on PostgreSQL the number is taken and the events (up to
    two) written by the ticket's own INSERT; on SQLite (no INSERT in a CTE) they are a statement each."""
    if session.get_bind().dialect.name != "postgresql" or len(events) not in _INSERT_NUMBERED:
        ticket = await insert_ticket(session, {**values, "number": await next_number(session, at)})
        await insert_rows(session, [{"ticket_id": ticket.id, **event} for event in events], [])
        return ticket
    day = day_of(at)
    row = with_defaults(_TICKETS, {**values, "number": None})
    parameters = {**row, "counter_day": day, "number_prefix": number_prefix(day)}
    for i, event in enumerate(events):
        parameters.update({f"{key}_{i}": event[key] for key in _EVENT_COLUMNS})
    stored: Any = (await run(session, _INSERT_NUMBERED[len(events)], parameters)).one()  # (id, number)
    ticket_id, row["number"] = stored[0], stored[1]
    ticket = Ticket(id=ticket_id, **row)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def event_row(ticket_id: int, actor: str, action: str, detail: dict[str, Any] | None, at: datetime) -> dict[str, Any]:
    """An audit event (``TicketEvent``) as a row for ``insert_rows``."""
    return {"ticket_id": ticket_id, **event_values(actor, action, detail, at)}


def event_values(actor: str, action: str, detail: dict[str, Any] | None, at: datetime) -> dict[str, Any]:
    """An audit event of a ticket not stored yet, for ``insert_numbered_ticket``."""
    return {"actor": actor, "action": action, "detail": detail, "at": at}


def message_row(
    ticket_id: int, kind: str, author: str, body: str, created_at: datetime, source_key: str | None = None
) -> dict[str, Any]:
    """A line of the ticket's conversation (``TicketMessage``) as a row for ``insert_rows``."""
    return {
        "ticket_id": ticket_id,
        "kind": kind,
        "author": author,
        "body": body,
        "source_key": source_key,
        "created_at": created_at,
    }


async def insert_rows(
    session: AsyncSession, events: Sequence[dict[str, Any]], messages: Sequence[dict[str, Any]]
) -> None:
    """Audit events and conversation lines, in the order given (their ids are the order staff read them in):
    one executemany per table that has rows."""
    if messages:
        await run(session, _INSERT_MESSAGES, list(messages))
    if events:
        await run(session, _INSERT_EVENTS, list(events))
