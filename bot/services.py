"""Wiring: build the real adapters once per process and hand them to handlers (the cosmicpython bootstrap).

Tests call ``build_services`` with their own settings, clock and HTTP transport; nothing else constructs
adapters, so what runs in tests is what runs in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.closing import Closing, MessageCloser
from bot.dedupe import Deduplicator
from bot.deferred import drain_deferred
from bot.knowledge import KnowledgeBase
from bot.local_dedupe import LocalDedupe
from bot.protocol import CallbackCodec
from bot.replay import NonceWindow
from bot.spool import Spool
from calendars.clock import Clock, SystemClock
from config.settings import Settings
from delivery.service import JOB_KIND as DELIVERY_JOB
from delivery.service import DeliveryService
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.conversation_state import ConversationState
from handlers.desk import HelpDesk, NoDesk
from handlers.dispatcher import Router
from handlers.outage import OutageMemory
from jobs.queue import JobQueue
from jobs.worker import JobHandler, Worker
from staff.notifications import StaffNotifier
from storage.activity import ActivityLog
from storage.db import async_session_factory, create_db_engine
from storage.health import DependencyHealth
from storage.redis_client import create_redis, resolve_redis_url
from wechat.api_client import WeChatApiClient

log = logging.getLogger(__name__)

EventListener = Callable[[HandlerContext], Awaitable[None]]
PeriodicTask = Callable[[], Awaitable[object]]


@dataclass
class Services:
    settings: Settings
    clock: Clock
    redis: aioredis.Redis
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    codec: CallbackCodec
    dedupe: Deduplicator
    knowledge: KnowledgeBase
    conversation: ConversationState
    dispatcher: Router
    queue: JobQueue
    api: WeChatApiClient
    http: httpx.AsyncClient
    deliveries: DeliveryService
    activity: ActivityLog
    closer: MessageCloser
    nonces: NonceWindow
    notifier: StaffNotifier
    spool: Spool
    desk: HelpDesk = field(default_factory=NoDesk)
    # Through an outage of Redis or the database (bot.outage): who is out, and what stands in for Redis.
    health: DependencyHealth = field(default_factory=DependencyHealth)
    local_dedupe: LocalDedupe = field(default_factory=LocalDedupe)
    memory: OutageMemory = field(default_factory=OutageMemory)
    event_listeners: dict[str, list[EventListener]] = field(default_factory=dict)
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    periodic: list[tuple[float, PeriodicTask]] = field(default_factory=list)
    # Keys (by openid) that components read for most messages: fetched with the dedupe claim, one round trip.
    prefetch: list[Callable[[str], str]] = field(default_factory=list)
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    _worker: Worker | None = None

    def worker(self, **options: float | int) -> Worker:
        return Worker(self.queue, self.job_handlers, on_error=self.health.observe, **options)  # type: ignore[arg-type]

    async def start(self, *, run_jobs: bool) -> None:
        await self.knowledge.start()
        self.health.start()
        await self.replay_spool()  # what a process that died during a Redis outage left behind
        # Everything loaded so far (the matcher's index, dictionaries) lives as long as the process: keep
        # it out of the collector's scans, and collect young objects less often. At thousands of messages
        # a second the default thresholds run a collection every few requests, which shows in p99.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        if run_jobs:
            self._worker = self.worker()
            self._background.append(asyncio.create_task(self._worker.run_forever()))
            for interval, task in self.periodic:
                self._background.append(asyncio.create_task(_every(interval, task, self.health)))

    async def replay_spool(self) -> int:
        """Move what was spooled while Redis was out into Redis (each entry once)."""

        async def apply(closing: dict[str, Any]) -> bool:
            return await self.closer.close(Closing.from_json(closing))

        try:
            return await self.spool.replay(apply)
        except Exception as exc:
            if not self.health.observe(exc):
                raise
            return 0

    async def close(self) -> None:
        await self.health.stop()
        if self._worker is not None:
            self._worker.stop()
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._background:
            with contextlib.suppress(Exception):  # leave nothing queued that this process could write now
                await self.activity.flush()
        await self.knowledge.stop()
        await self.http.aclose()
        await self.redis.aclose()
        await self.engine.dispose()


async def _every(seconds: float, task: PeriodicTask, health: DependencyHealth) -> None:
    while True:
        try:
            if not (health.redis_down or health.database_down):
                await task()
        except Exception as exc:
            if not health.observe(exc):  # an outage is logged once, by the health monitor
                log.exception("periodic task %s failed", getattr(task, "__qualname__", task))
        await asyncio.sleep(seconds)


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    redis_url: str | None = None,
) -> Services:
    clock = clock or SystemClock()
    redis = create_redis(redis_url or resolve_redis_url(settings.redis_url, settings.var_dir))
    engine = create_db_engine(settings.database_url)
    sessions = async_session_factory(engine)
    api_timeout = settings.wechat_api_timeout_seconds
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(api_timeout, connect=min(5.0, api_timeout)))
    api = WeChatApiClient(
        base_url=settings.wechat_api_base,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret,
        redis=redis,
        http=http,
        request_timeout=api_timeout,
    )
    queue = JobQueue(redis)
    deliveries = DeliveryService(sessions, queue, api, clock)
    services = Services(
        settings=settings,
        clock=clock,
        redis=redis,
        engine=engine,
        sessions=sessions,
        codec=CallbackCodec(settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key or None),
        dedupe=Deduplicator(redis, done_ttl_s=settings.dedupe_ttl_seconds),
        knowledge=KnowledgeBase(
            sessions, show_basis=settings.faq_show_basis, ask_feedback=settings.faq_feedback_prompt
        ),
        conversation=ConversationState(redis),
        dispatcher=build_dispatcher(),
        queue=queue,
        api=api,
        http=http,
        deliveries=deliveries,
        activity=ActivityLog(redis, sessions),
        closer=MessageCloser(redis),
        nonces=NonceWindow(settings.wechat_timestamp_tolerance_seconds),
        notifier=StaffNotifier(
            deliveries,
            template_id=settings.wechat_staff_template_id,
            console_url=settings.public_base_url,
        ),
        spool=Spool(settings.var_dir / "spool"),
    )
    services.health.probes["redis"] = redis.ping
    services.health.probes["database"] = lambda: _ping_database(engine)
    services.health.on_up["redis"].append(services.replay_spool)
    services.prefetch.append(services.conversation.confirm_key)  # read with the claim: no extra round trip
    services.job_handlers[DELIVERY_JOB] = deliveries.run_job
    services.periodic.append((15.0, deliveries.sweep))
    services.periodic.append((0.25, services.activity.flush))
    services.periodic.append((1.0, lambda: drain_deferred(services)))
    for plugin in _plugins():
        plugin(services)
    return services


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def _plugins() -> list[Callable[[Services], object]]:
    """Domain packages register themselves here: a desk, job handlers, periodic sweeps, event listeners."""
    from greetings.plugin import install as install_greetings
    from knowledge.plugin import install as install_knowledge
    from tickets.plugin import install as install_tickets

    return [install_tickets, install_greetings, install_knowledge]
