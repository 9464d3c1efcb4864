"""Claiming due greeting sends so that, of any number of sweepers on any number of hosts, one wins each.

On PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``: a second sweeper skips rows the first is
claiming instead of waiting for them. On SQLite (one writer at a time) and as a second line on PostgreSQL,
every transition is a conditional ``UPDATE … WHERE state = <what we saw>`` whose row count says whether this
caller won; a loser simply moves on. The same conditional update guards every later transition, so a
worker whose lease lapsed cannot overwrite what the next claimant recorded.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from greetings.models import GreetingCampaign, GreetingSend


@dataclass(frozen=True)
class Claim:
    send_id: int
    token: str
    was: str  # the state it was claimed from: pending, retrying or (lapsed lease) sending


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Rows a sweeper may claim at ``now``: their time has come, a retry is due, or a lease has lapsed."""
    return or_(
        and_(GreetingSend.state == "pending", GreetingSend.send_at <= now),
        and_(GreetingSend.state == "retrying", GreetingSend.next_attempt_at <= now),
        and_(GreetingSend.state == "sending", GreetingSend.lease_until < now),
    )


def approved_condition() -> ColumnElement[bool]:
    return and_(GreetingCampaign.state == "approved", GreetingCampaign.approved_version == GreetingCampaign.version)


async def transition(session: AsyncSession, send_id: int, expect: dict[str, Any], values: dict[str, Any]) -> bool:
    """Set ``values`` on the send if its columns still hold ``expect``; True if this caller changed it."""
    conditions = [GreetingSend.id == send_id]
    for column, value in expect.items():
        attribute = getattr(GreetingSend, column)
        conditions.append(attribute.in_(value) if isinstance(value, tuple) else attribute == value)
    result = await session.execute(
        update(GreetingSend).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def due_candidates(session: AsyncSession, now: datetime, limit: int = 50) -> list[tuple[int, str]]:
    """(id, state) of due sends of approved campaigns; on PostgreSQL locked until the caller's commit."""
    query = (
        select(GreetingSend.id, GreetingSend.state)
        .join(GreetingCampaign, GreetingCampaign.id == GreetingSend.campaign_id)
        .where(due_condition(now), approved_condition())
        .order_by(GreetingSend.send_at, GreetingSend.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=GreetingSend)
    return [(int(send_id), str(state)) for send_id, state in (await session.execute(query)).all()]


async def take(session: AsyncSession, send_id: int, seen_state: str, now: datetime, lease: timedelta) -> Claim | None:
    """Claim one candidate if it is still due as seen; None if another sweeper got there first."""
    token = secrets.token_hex(16)
    # The whole due condition is re-checked in the UPDATE: a lapsed lease another sweeper renewed a moment
    # ago no longer matches, so it cannot be claimed twice.
    result = await session.execute(
        update(GreetingSend)
        .where(GreetingSend.id == send_id, GreetingSend.state == seen_state, due_condition(now))
        .values(
            state="sending",
            claim_token=token,
            lease_until=now + lease,
            attempts=GreetingSend.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    return Claim(send_id, token, seen_state)


async def claim_due(session: AsyncSession, now: datetime, lease: timedelta, limit: int = 50) -> list[Claim]:
    """Claim up to ``limit`` due sends of approved campaigns (in the caller's transaction)."""
    claims = []
    for send_id, state in await due_candidates(session, now, limit):
        claim = await take(session, send_id, state, now, lease)
        if claim is not None:
            claims.append(claim)
    return claims
