"""Store a delivery, then send it from the job queue; never twice, never silently dropped.

The row is written in the caller's transaction, so a delivery exists exactly when the thing it belongs to
does (a late reply, a ticket answer). The job is enqueued after commit under the id ``delivery:<id>``, and a
sweeper re-enqueues any pending row whose job was lost (a crash between commit and enqueue).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from jobs.queue import JobQueue
from jobs.worker import RetryLater
from storage.health import is_redis_outage
from storage.models import Delivery, MessageLog
from wechat.api_client import WeChatApiClient
from wechat.api_errors import WeChatApiError

log = logging.getLogger(__name__)

JOB_KIND = "deliver"
MAX_ATTEMPTS = 8  # then the delivery is failed and shown to staff (the worker gives up at the same count)
# A failed send that is the user's doing (window closed, unfollowed) is handed to whoever owns the purpose.
# It returns ids of deliveries it added (a fallback), which are enqueued after the commit.
PermanentFailureHook = Callable[[AsyncSession, Delivery, WeChatApiError], Awaitable[list[int]]]
# Turns a stored payload into what is sent, just before the send (e.g. uploads a stored image and names its fresh
# media_id): called on every attempt, so a payload never carries a WeChat id that expired while it waited.
Preparer = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
# A person retried or confirmed a delivery (``delivery.admin``): (session, delivery, username, action, detail, at).
StaffActionHook = Callable[[AsyncSession, Delivery, str, str, dict[str, Any], datetime], Awaitable[None]]


class _Unpreparable(Exception):
    """A preparer failed for good: the delivery is failed, nothing is sent."""


class DeliveryService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue: JobQueue,
        api: WeChatApiClient,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.api = api
        self.clock = clock
        self.on_permanent_failure: dict[str, PermanentFailureHook] = {}
        # Run in the transaction that records a send; may store follow-up deliveries (a rating question after
        # an answer) or let "held" ones go (an answer's image), and return their ids, enqueued after that commit
        # (so they never go out first).
        self.on_sent: list[Callable[[AsyncSession, Delivery], Awaitable[list[int] | None]]] = []
        self.preparers: dict[str, Preparer] = {}
        self.on_staff_action: list[StaffActionHook] = []

    async def add(
        self,
        session: AsyncSession,
        *,
        key: str,
        openid: str,
        payload: dict[str, Any],
        purpose: str,
        channel: str = "custom",
        ref: str | None = None,
        held: bool = False,
    ) -> Delivery:
        """Record a delivery in the caller's transaction (idempotent on ``key``). Call ``enqueue`` after commit.

        A ``held`` delivery waits (state ``held``: neither sent nor swept) until its owner sets it ``pending``
        and enqueues it, e.g. an answer's image once the answer's text was delivered."""
        existing = await session.scalar(select(Delivery).where(Delivery.key == key))
        if existing is not None:
            return existing
        delivery = Delivery(
            key=key,
            openid=openid,
            channel=channel,
            purpose=purpose,
            ref=ref,
            payload=payload,
            state="held" if held else "pending",
            attempts=0,
            last_error="",
            created_at=self.clock.now(),
            updated_at=self.clock.now(),
        )
        # A concurrent writer of the same key makes this transaction fail on the unique key at commit; the
        # caller's unit of work is then retried whole (WeChat redelivers, the job runs again).
        session.add(delivery)
        await session.flush()
        return delivery

    async def enqueue(self, delivery_id: int) -> bool:
        """Give a committed delivery its job. False when Redis is out: the row stays ``pending`` and the sweeper
        enqueues it once Redis answers, so whoever committed it (a staff answer, a notice) is done either way;
        with Redis marked down this costs nothing (``storage.redis_guard``)."""
        try:
            await self.queue.enqueue(JOB_KIND, {"delivery_id": delivery_id}, job_id=f"delivery:{delivery_id}")
        except Exception as exc:
            if not is_redis_outage(exc):
                raise
            return False
        return True

    async def run_job(self, payload: dict[str, Any]) -> None:
        delivery_id = int(payload["delivery_id"])
        try:
            prepared = await self._prepare(delivery_id)
        except _Unpreparable:
            return  # failed for a person to look at; the job itself is done
        async with self.sessions() as session, session.begin():
            delivery = await session.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.state not in ("pending", "sending"):
                return
            if delivery.state == "sending":
                # The last worker stopped between marking and confirming: it may or may not have reached
                # WeChat, which has no idempotency key for these calls. Resending could say it twice.
                delivery.state = "uncertain"
                delivery.last_error = "worker stopped during the send; not resent automatically"
                delivery.updated_at = self.clock.now()
                log.error("delivery %s uncertain after a worker stop; needs a person", delivery.id)
                return
            delivery.state = "sending"
            delivery.attempts += 1
            delivery.updated_at = self.clock.now()
            channel, body = delivery.channel, prepared if prepared is not None else dict(delivery.payload)
        try:
            if channel == "template":
                await self.api.call("POST", "message/template/send", json_body=body)
            else:
                await self.api.send_custom(body)
        except WeChatApiError as exc:
            await self._failed(delivery_id, exc)
            if exc.transient and not exc.outcome_unknown:
                raise RetryLater(str(exc)) from exc
            return
        except Exception as exc:
            # Not an answer about the call (the client turns every network outcome into WeChatApiError):
            # a Redis error while getting the token, and the like, before anything was sent. Retry.
            await self._failed(delivery_id, exc)
            raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
        async with self.sessions() as session, session.begin():
            delivery = await session.get(Delivery, delivery_id)
            assert delivery is not None
            follow_ups = await self._record_sent(session, delivery)
        for follow_up in follow_ups:
            await self.enqueue(follow_up)

    async def _prepare(self, delivery_id: int) -> dict[str, Any] | None:
        """The payload to send, from the purpose's preparer, before anything is marked as sending. A transient
        failure (WeChat busy, the file store out) leaves the delivery pending and is retried; any other fails
        the delivery for a person (``_Unpreparable`` stops the job without a send)."""
        async with self.sessions() as session:
            delivery = await session.get(Delivery, delivery_id)
            if delivery is None or delivery.state != "pending" or delivery.purpose not in self.preparers:
                return None
            purpose, stored = delivery.purpose, dict(delivery.payload)
        try:
            return await self.preparers[purpose](stored)
        except Exception as exc:
            wechat = isinstance(exc, WeChatApiError)
            transient = exc.transient if isinstance(exc, WeChatApiError) else bool(getattr(exc, "transient", False))
            if wechat or transient:
                await self._failed(delivery_id, exc, count_attempt=True)  # permanent WeChat refusals: its hook
            else:
                await self._give_up(delivery_id, exc)
            if transient:
                raise RetryLater(f"{type(exc).__name__}: {exc}") from exc
            raise _Unpreparable(str(exc)) from exc

    async def _give_up(self, delivery_id: int, exc: Exception) -> None:
        async with self.sessions() as session, session.begin():
            delivery = await session.get(Delivery, delivery_id)
            if delivery is not None:
                delivery.attempts += 1
                delivery.state = "failed"
                delivery.last_error = f"could not prepare the send: {type(exc).__name__}: {exc}"[:2000]
                delivery.updated_at = self.clock.now()
        log.error("delivery %s failed while preparing: %s", delivery_id, exc)

    async def staff_acted(
        self,
        session: AsyncSession,
        delivery: Delivery,
        username: str,
        action: str,
        detail: dict[str, Any],
        at: datetime,
    ) -> None:
        """Tell whoever owns the delivery's subject (a ticket) that a person acted on it, in this transaction."""
        for hook in self.on_staff_action:
            await hook(session, delivery, username, action, detail, at)

    async def confirm_sent(self, session: AsyncSession, delivery: Delivery, confirmed_by: str) -> list[int]:
        """A person checked that an uncertain delivery did reach the user: record it as sent (in the
        caller's transaction), with the same effects as a send the worker saw succeed. Returns the held
        deliveries this lets go (now pending: enqueue them after the commit, or the sweeper will)."""
        if delivery.state != "uncertain":
            raise ValueError(f"delivery {delivery.id} is {delivery.state}, not uncertain")
        delivery.last_error = f"{delivery.last_error}; confirmed delivered by {confirmed_by}"[:2000]
        return await self._record_sent(session, delivery, confirmed_by=confirmed_by)

    async def _record_sent(
        self, session: AsyncSession, delivery: Delivery, confirmed_by: str | None = None
    ) -> list[int]:
        """Mark it sent and run the hooks; returns follow-up deliveries to enqueue after the commit (a person's
        confirmation leaves them to the sweeper)."""
        body = dict(delivery.payload)
        delivery.state = "sent"
        delivery.sent_at = delivery.updated_at = self.clock.now()
        meta: dict[str, Any] = {"delivery": delivery.id, "purpose": delivery.purpose, "ref": delivery.ref}
        if confirmed_by:
            meta["confirmed_by"] = confirmed_by
        session.add(
            MessageLog(
                openid=delivery.openid,
                direction="out",
                channel=delivery.channel,
                msg_type=str(body.get("msgtype", "")),
                content=_summary(body),
                meta=meta,
                created_at=self.clock.now(),
            )
        )
        follow_ups: list[int] = []
        for hook in self.on_sent:
            follow_ups += await hook(session, delivery) or []
        return follow_ups

    async def _failed(self, delivery_id: int, exc: Exception, *, count_attempt: bool = False) -> None:
        follow_ups: list[int] = []
        async with self.sessions() as session, session.begin():
            delivery = await session.get(Delivery, delivery_id)
            assert delivery is not None
            if count_attempt:  # failed while preparing: nothing was sent, but it was an attempt
                delivery.attempts += 1
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            delivery.updated_at = self.clock.now()
            if isinstance(exc, WeChatApiError) and exc.outcome_unknown:
                # WeChat may have delivered it (a timeout after the request went out): sending again could
                # say it twice, so a person checks with the user and confirms or resends in the console.
                delivery.state = "uncertain"
                delivery.last_error = f"outcome unknown, not resent automatically: {delivery.last_error}"[:2000]
                log.error("delivery %s uncertain (%s); needs a person", delivery.id, exc)
                return
            transient = not isinstance(exc, WeChatApiError) or exc.transient
            delivery.state = "pending" if transient and delivery.attempts < MAX_ATTEMPTS else "failed"
            if isinstance(exc, WeChatApiError) and not exc.transient:
                hook = self.on_permanent_failure.get(delivery.purpose)
                if hook is not None:
                    follow_ups = await hook(session, delivery, exc)
        for follow_up in follow_ups:
            await self.enqueue(follow_up)

    async def sweep(self, older_than: timedelta = timedelta(seconds=30)) -> int:
        """Re-enqueue pending deliveries whose job went missing; cheap enough to run every few seconds."""
        cutoff = self.clock.now() - older_than
        async with self.sessions() as session:
            ids = (
                await session.scalars(
                    select(Delivery.id).where(Delivery.state == "pending", Delivery.updated_at < cutoff).limit(500)
                )
            ).all()
        for delivery_id in ids:
            job = await self.queue.get(f"delivery:{delivery_id}")
            if job is None or job.state in ("done", "failed"):
                await self.queue.redis.delete(self.queue.data_prefix + f"delivery:{delivery_id}")
                await self.enqueue(delivery_id)
        return len(ids)


def text_payload(openid: str, text: str) -> dict[str, Any]:
    return {"touser": openid, "msgtype": "text", "text": {"content": text}}


def _summary(body: dict[str, Any]) -> str:
    if body.get("msgtype") == "text":
        return str(body.get("text", {}).get("content", ""))
    return str(body.get("data") or body)[:2000]
