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

import httpx
import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.closing import MessageCloser
from bot.dedupe import Deduplicator
from bot.knowledge import KnowledgeBase
from bot.protocol import CallbackCodec
from calendars.clock import Clock, SystemClock
from config.settings import Settings
from delivery.service import JOB_KIND as DELIVERY_JOB
from delivery.service import DeliveryService
from handlers import build_dispatcher
from handlers.context import HandlerContext
from handlers.conversation_state import ConversationState
from handlers.desk import HelpDesk, NoDesk
from handlers.dispatcher import Router
from jobs.queue import JobQueue
from jobs.worker import JobHandler, Worker
from staff.notifications import StaffNotifier
from storage.activity import ActivityLog
from storage.db import async_session_factory, create_db_engine
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
    notifier: StaffNotifier
    desk: HelpDesk = field(default_factory=NoDesk)
    event_listeners: dict[str, list[EventListener]] = field(default_factory=dict)
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    periodic: list[tuple[float, PeriodicTask]] = field(default_factory=list)
    # Keys (by openid) that components read for most messages: fetched with the dedupe claim, one round trip.
    prefetch: list[Callable[[str], str]] = field(default_factory=list)
    _background: list[asyncio.Task[None]] = field(default_factory=list)
    _worker: Worker | None = None

    def worker(self, **options: float | int) -> Worker:
        return Worker(self.queue, self.job_handlers, **options)  # type: ignore[arg-type]

    async def start(self, *, run_jobs: bool) -> None:
        await self.knowledge.start()
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
                self._background.append(asyncio.create_task(_every(interval, task)))

    async def close(self) -> None:
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


async def _every(seconds: float, task: PeriodicTask) -> None:
    while True:
        try:
            await task()
        except Exception:
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
        knowledge=KnowledgeBase(sessions),
        conversation=ConversationState(redis),
        dispatcher=build_dispatcher(),
        queue=queue,
        api=api,
        http=http,
        deliveries=deliveries,
        activity=ActivityLog(redis, sessions),
        closer=MessageCloser(redis),
        notifier=StaffNotifier(
            deliveries,
            template_id=settings.wechat_staff_template_id,
            console_url=settings.public_base_url,
        ),
    )
    services.job_handlers[DELIVERY_JOB] = deliveries.run_job
    services.periodic.append((15.0, deliveries.sweep))
    services.periodic.append((0.25, services.activity.flush))
    for plugin in _plugins():
        plugin(services)
    return services


def _plugins() -> list[Callable[[Services], object]]:
    """Domain packages register themselves here: a desk, job handlers, periodic sweeps, event listeners."""
    from greetings.plugin import install as install_greetings
    from tickets.plugin import install as install_tickets

    return [install_tickets, install_greetings]
