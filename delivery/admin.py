"""What a person does about outbound work that did not go through: deliveries that failed or whose outcome
is unknown, and failed jobs of the queue.

Ticket deliveries leave an audit event on their ticket through ``DeliveryService.on_staff_action``, which
the ticket package registers; this package does not know tickets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from delivery.service import DeliveryService
from jobs.queue import Job, JobQueue
from staff.errors import NotAllowed, StaffActionError, Unavailable
from staff.roles import Actor
from storage.health import is_redis_outage
from storage.models import Delivery

PROBLEM_DELIVERY_STATES = ("failed", "uncertain")
REDIS_OUT = "Redis 暂时不可用，失败的后台任务保存在其中：请在“系统状态”显示恢复后再重新执行"


async def problem_deliveries(session: AsyncSession, limit: int = 200) -> list[Delivery]:
    return list(
        (
            await session.scalars(
                select(Delivery)
                .where(Delivery.state.in_(PROBLEM_DELIVERY_STATES))
                .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
                .limit(limit)
            )
        ).all()
    )


async def retry_delivery(
    deliveries: DeliveryService, session: AsyncSession, actor: Actor, delivery_id: int, now: datetime
) -> int:
    """A supervisor decided to send a failed or uncertain delivery again (an uncertain one may then reach
    the user twice: that is why a person decides). Returns the id to requeue after commit."""
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以重新发送")
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise StaffActionError("没有这条发送记录")
    if delivery.state not in PROBLEM_DELIVERY_STATES:
        raise StaffActionError("只有发送失败或状态不明的消息可以重新发送")
    previous = delivery.state
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.last_error = f"{previous}; resent by {actor.username}"
    delivery.updated_at = now
    await deliveries.staff_acted(
        session, delivery, actor.username, "delivery_retried", {"delivery": delivery.id, "was": previous}, now
    )
    await session.flush()
    return delivery.id


async def confirm_delivery(
    deliveries: DeliveryService, session: AsyncSession, actor: Actor, delivery_id: int, now: datetime
) -> None:
    """Staff checked (with the user, or in the admin console's message records) that an uncertain delivery
    did arrive: record it as sent instead of sending it again."""
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise StaffActionError("没有这条发送记录")
    if delivery.state != "uncertain":
        raise StaffActionError("只有状态不明的消息可以确认为已送达")
    await deliveries.confirm_sent(session, delivery, actor.username)
    detail = {"delivery": delivery.id}
    await deliveries.staff_acted(session, delivery, actor.username, "delivery_confirmed", detail, now)
    await session.flush()


async def requeue_delivery(deliveries: DeliveryService, queue: JobQueue, delivery_id: int) -> None:
    """Put a delivery's job back on the queue, whatever became of its previous job. With Redis out the
    committed row is ``pending`` all the same, and the sweeper gives it a job once Redis answers."""
    job_id = f"delivery:{delivery_id}"
    try:
        if await queue.requeue_failed(job_id):
            return
        job = await queue.get(job_id)
        if job is None or job.state in ("done", "failed"):
            await queue.redis.delete(queue.data_prefix + job_id)
            await deliveries.enqueue(delivery_id)
    except Exception as exc:
        if not is_redis_outage(exc):
            raise


async def failed_jobs(queue: JobQueue, limit: int = 100) -> list[Job] | None:
    """Failed jobs other than deliveries (those are shown from their stored rows, with more detail); None while
    Redis, which holds them, is out."""
    try:
        failed = await queue.failed(limit)
    except Exception as exc:
        if not is_redis_outage(exc):
            raise
        return None
    return [job for job in failed if not job.id.startswith("delivery:")]


async def retry_job(queue: JobQueue, actor: Actor, job_id: str) -> None:
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以重新执行任务")
    try:
        requeued = await queue.requeue_failed(job_id)
    except Exception as exc:
        if not is_redis_outage(exc):
            raise
        raise Unavailable(REDIS_OUT) from exc
    if not requeued:
        raise StaffActionError("该任务不在失败列表中")
