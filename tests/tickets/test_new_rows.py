"""A hand-over's ticket is written with Core statements (tickets.new_rows), not the ORM's unit of work: the
object the rest of the request works on must be what the database holds, a proper persistent object (its
later changes saved, its version counted), and its conversation and audit trail in the order written."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, inspect, select

from tickets.models import Ticket, TicketCounter, TicketEvent, TicketMessage
from tickets.new_rows import (
    event_row,
    event_values,
    insert_numbered_ticket,
    insert_rows,
    insert_ticket,
    message_row,
    with_defaults,
)
from tickets.numbering import format_number

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
KINDS = ["context", "bot"] * 3


def _values(number: str = "Q20261123-0001", openid: str = "o_rows") -> dict[str, object]:
    return {
        "number": number,
        "openid": openid,
        "source_key": f"msg:{number}",
        "question": "想给家乡小学捐一批图书，找谁联系",
        "created_at": NOW,
        "due_at": datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        "department": "rights",
    }


def _columns(ticket: Ticket) -> dict[str, object]:
    return {column.key: getattr(ticket, column.key) for column in Ticket.__table__.columns}


def test_every_column_gets_the_given_value_its_default_or_null() -> None:
    row = with_defaults(Ticket.__table__, _values())  # type: ignore[arg-type]
    assert set(row) == {column.key for column in Ticket.__table__.columns} - {"id"}
    assert row["state"] == "open" and row["version"] == 1 and row["reopen_count"] == 0 and row["assignee"] is None
    assert len(row["answer_token"]) >= 40  # the random default is called, one token per ticket
    assert with_defaults(Ticket.__table__, _values())["answer_token"] != row["answer_token"]  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no column"):
        with_defaults(Ticket.__table__, {**_values(), "colour": "red"})  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_the_inserted_ticket_is_the_stored_row_and_a_persistent_object(services) -> None:  # type: ignore[no-untyped-def]
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(services.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with services.sessions() as session:
            ticket = await insert_ticket(session, _values())
            assert inspect(ticket).persistent and not session.dirty and not session.new
            written = _columns(ticket)
            await session.commit()
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", listen)
    assert [s.split()[0] for s in statements] == ["INSERT"]  # one statement, nothing flushed after it
    async with services.sessions() as session:
        stored = await session.scalar(select(Ticket).where(Ticket.id == written["id"]))
        assert stored is not None and _columns(stored) == written

    async with services.sessions() as session:  # a change made in the same request is saved, version counted
        ticket = await insert_ticket(session, _values("Q20261123-0002", "o_rows_2"))
        ticket.assignee = "alice"
        await session.commit()
    async with services.sessions() as session:
        stored = await session.scalar(select(Ticket).where(Ticket.number == "Q20261123-0002"))
        assert stored is not None and stored.assignee == "alice" and stored.version == 2


@pytest.mark.asyncio
async def test_messages_and_events_keep_the_order_written(services) -> None:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        ticket = await insert_ticket(session, _values())
        await insert_rows(
            session,
            [
                event_row(ticket.id, "user", "created", {"due": "x"}, NOW),
                event_row(ticket.id, "system", "routed", {"to": "rights"}, NOW),
            ],
            [message_row(ticket.id, kind, "o_rows", f"{kind} {n}", NOW) for n, kind in enumerate(KINDS)],
        )
        await session.commit()
    async with services.sessions() as session:
        events = (await session.execute(select(TicketEvent.action, TicketEvent.detail).order_by(TicketEvent.id))).all()
        bodies = (await session.scalars(select(TicketMessage.body).order_by(TicketMessage.id))).all()
    assert [tuple(e) for e in events] == [("created", {"due": "x"}), ("routed", {"to": "rights"})]
    assert bodies == [f"{kind} {n}" for n, kind in enumerate(KINDS)]


@pytest.mark.asyncio
async def test_a_numbered_ticket_takes_the_days_next_number_in_its_insert(services) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the counter's upsert is a CTE of the ticket's INSERT (one statement), on SQLite a statement
    before it; either way the numbers are ``next_number``'s: per Beijing day, at least four digits."""
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    late = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 the next day in Beijing
    numbers, written = [], []
    event.listen(services.engine.sync_engine, "before_cursor_execute", listen)
    try:
        for n, at in enumerate([NOW, NOW, late]):
            async with services.sessions() as session:
                values = {key: value for key, value in _values(f"n{n}", f"o_numbered_{n}").items() if key != "number"}
                ticket = await insert_numbered_ticket(session, values, at)
                assert inspect(ticket).persistent and not session.dirty and not session.new
                numbers.append(ticket.number)
                written.append(_columns(ticket))
                await session.commit()
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", listen)
    assert numbers == ["Q20261123-0001", "Q20261123-0002", "Q20261124-0001"]
    postgres = services.engine.dialect.name == "postgresql"
    assert [s.split()[0] for s in statements] == (["WITH"] * 3 if postgres else ["INSERT", "INSERT"] * 3)
    async with services.sessions() as session:
        for columns in written:
            stored = await session.scalar(select(Ticket).where(Ticket.id == columns["id"]))
            assert stored is not None and _columns(stored) == columns

    async with services.sessions() as session:  # past 9999 a day the number grows a digit, as format_number's
        counter = await session.get(TicketCounter, date(2026, 11, 24))
        assert counter is not None
        counter.last = 9999
        await session.commit()
    async with services.sessions() as session:
        values = {key: value for key, value in _values("n9", "o_numbered_9").items() if key != "number"}
        ticket = await insert_numbered_ticket(session, values, late)
        await session.commit()
    assert ticket.number == format_number(date(2026, 11, 24), 10000) == "Q20261124-10000"


@pytest.mark.asyncio
async def test_a_numbered_tickets_events_are_written_with_it_in_order(services) -> None:  # type: ignore[no-untyped-def]
    """Its audit events (created, then where it was routed) go with the ticket: in its INSERT on PostgreSQL, a
    statement after it on SQLite; their ids in the order given, their details as given."""
    statements: list[str] = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    given = [
        event_values("user", "created", {"due": "2026-11-25T09:30:00+00:00", "related": ["a", "b"]}, NOW),
        event_values("system", "routed", {"to": "rights", "category": "权益"}, NOW),
    ]
    ids = []
    event.listen(services.engine.sync_engine, "before_cursor_execute", listen)
    try:
        for n, events in enumerate([given, given[:1]]):
            async with services.sessions() as session:
                values = {key: value for key, value in _values(f"e{n}", f"o_events_{n}").items() if key != "number"}
                ticket = await insert_numbered_ticket(session, values, NOW, events)
                ids.append(ticket.id)
                await session.commit()
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", listen)
    postgres = services.engine.dialect.name == "postgresql"
    assert [s.split()[0] for s in statements] == (["WITH"] * 2 if postgres else ["INSERT"] * 6)
    async with services.sessions() as session:
        rows = (await session.execute(select(TicketEvent).order_by(TicketEvent.id))).scalars().all()
    written = [(e.ticket_id, e.actor, e.action, e.detail, e.at.replace(tzinfo=UTC) == NOW) for e in rows]
    assert written == [
        (ids[0], "user", "created", given[0]["detail"], True),
        (ids[0], "system", "routed", given[1]["detail"], True),
        (ids[1], "user", "created", given[0]["detail"], True),
    ]
