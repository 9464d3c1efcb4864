"""Which of a user's tickets a message concerns: the one this very WeChat message opened or joined before (a
redelivery, or a message re-handled after a crash), and the user's current ticket (open, waiting or answered).

Every hand-over asks both. They are one statement (``read_both``): two statements cost twice the CPU of one
(each was 0.35–0.5 ms, most of it SQLAlchemy's and the driver's work per statement, not the database's).
The statements are built once, with bound parameters, so their compiled form is cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import AliasedClass

from tickets.models import Ticket, TicketMessage

if TYPE_CHECKING:
    from handlers.context import HandlerContext

SOURCE = "desk:source"  # ctx.scratch: the ticket this message opened or joined before (None: none)
CURRENT_STATES = ("open", "waiting", "answered")
# A ticket whose answer is still owed to the user (``AnswerDelivery.answers_waiting``): a referral, or a wait the
# user never answered, closes the ticket with a message that is still owed.
OWED = and_(Ticket.state.in_(("answered", "closed")), Ticket.answer_delivery.in_(("waiting", "notified")))


def _by_source(ticket: type[Ticket] | AliasedClass[Ticket]) -> ColumnElement[bool]:
    """The WHERE term: ``ticket`` was opened by the message ``:key``, or the message joined it."""
    joined = select(TicketMessage.ticket_id).where(TicketMessage.source_key == bindparam("key")).scalar_subquery()
    return or_(ticket.source_key == bindparam("key"), ticket.id == joined)


_BY_SOURCE = select(Ticket).where(_by_source(Ticket)).limit(1)
_CURRENT = (
    select(Ticket)
    .where(Ticket.openid == bindparam("openid"), Ticket.state.in_(CURRENT_STATES))
    .order_by(Ticket.created_at.desc())
    .limit(1)
    .execution_options(populate_existing=True)  # after taking the lock, not what this session read before
)

# Both in one statement: the (at most two) tickets whose id is either lookup's answer, each row saying which
# it answers. The lookups read an alias of ``tickets`` so they do not correlate with the outer query.
_earlier, _latest = aliased(Ticket, name="earlier"), aliased(Ticket, name="latest")
_HANDLED_ID = select(_earlier.id).where(_by_source(_earlier)).limit(1).scalar_subquery()
_CURRENT_ID = (
    select(_latest.id)
    .where(_latest.openid == bindparam("openid"), _latest.state.in_(CURRENT_STATES))
    .order_by(_latest.created_at.desc())
    .limit(1)
    .scalar_subquery()
)
_BOTH = (
    select(Ticket, (Ticket.id == _HANDLED_ID).label("is_handled"), (Ticket.id == _CURRENT_ID).label("is_current"))
    .where(Ticket.id.in_([_HANDLED_ID, _CURRENT_ID]))
    .execution_options(populate_existing=True)  # as ``_CURRENT``: fresh rows after the lock
)


# For a user who has (had) a ticket, every text message asks which answers are owed to them, and an FAQ answer
# then asks for their current ticket (to note the answer on an open one) and whether this very message is noted on
# a ticket already (a redelivery): all in one statement, the owed ones in the order they were answered, each row
# saying whether the message ``:key`` is on a ticket's conversation.
_NOTED = exists(select(TicketMessage.id).where(TicketMessage.source_key == bindparam("key")))
_OWED_OR_CURRENT = (
    select(Ticket, OWED.label("is_owed"), (Ticket.id == _CURRENT_ID).label("is_current"), _NOTED.label("noted"))
    .where(Ticket.openid == bindparam("openid"), or_(OWED, Ticket.id == _CURRENT_ID))
    .order_by(Ticket.answered_at)
    .execution_options(populate_existing=True)
)


async def owed_and_current(
    session: AsyncSession, openid: str, key: str
) -> tuple[list[Ticket], Ticket | None, bool | None]:
    """The user's tickets whose answer is owed to them (oldest answer first), their current ticket (as
    ``current_ticket``) and whether the WeChat message ``key`` is on a ticket's conversation already (None when
    the user has neither, so nothing said it), in one statement."""
    rows = (await session.execute(_OWED_OR_CURRENT, {"openid": openid, "key": key})).all()
    owed = [ticket for ticket, is_owed, _, _ in rows if is_owed]
    current = next((ticket for ticket, _, is_current, _ in rows if is_current), None)
    return owed, current, bool(rows[0][3]) if rows else None


async def ticket_by_source(session: AsyncSession, key: str) -> Ticket | None:
    """The ticket this WeChat message opened or joined already, if it was handled before (one statement)."""
    return await session.scalar(_BY_SOURCE, {"key": key})


async def handled_before(ctx: HandlerContext) -> Ticket | None:
    """``ticket_by_source`` for the message being handled, asked once per message: the dedupe claim lets one
    handler at a time work on a message, so the answer cannot change while it does (except by this handler's
    own writes, which must not make it look handled)."""
    if SOURCE not in ctx.scratch:
        ctx.scratch[SOURCE] = await ticket_by_source(ctx.session, ctx.dedupe_key)
    found: Ticket | None = ctx.scratch[SOURCE]
    return found


async def current_ticket(session: AsyncSession, openid: str) -> Ticket | None:
    """The user's latest ticket that is open, waiting on them or answered, read fresh."""
    return await session.scalar(_CURRENT, {"openid": openid})


async def read_both(ctx: HandlerContext) -> Ticket | None:
    """``current_ticket`` for the message's user, returned, and ``handled_before`` for the message, remembered
    for this message as ``handled_before`` remembers it: one statement for the two lookups."""
    rows = (await ctx.session.execute(_BOTH, {"key": ctx.dedupe_key, "openid": ctx.openid})).all()
    ctx.scratch.setdefault(SOURCE, next((ticket for ticket, handled, _ in rows if handled), None))
    return next((ticket for ticket, _, current in rows if current), None)
