"""Wiring: build the real adapters once per process and give each component what it uses, by name (the
cosmicpython bootstrap). This is the only module that knows every package; none of them imports it.

``Services`` is the container the entrypoints (the app, the worker, the CLI, tests) hold; domain code gets
named components (``TicketDesk``, ``TimeLimits``, ``AnswerDelivery`` … are built here from what they use) or,
for the entrypoints' own code, a narrow Protocol of the container (``handlers.context.HandlerServices``,
``console.deps.ConsoleServices``). Tests call ``build_services`` with their
own settings, clock, HTTP transport and greeting config; nothing else constructs adapters, so what runs in
tests is what runs in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.admission import Admission
from bot.backlog import Backlog, QueueLog
from bot.backlog import user_key as backlog_user_key
from bot.closing import Closing, MessageCloser
from bot.dedupe import Deduplicator
from bot.deferred import DrainServices, drain_deferred, pending_counts
from bot.knowledge import KnowledgeBase
from bot.local_dedupe import LocalDedupe
from bot.protocol import CallbackCodec
from bot.replay import NonceWindow
from bot.spool import Spool
from calendars.clock import Clock, SystemClock
from config.settings import Settings
from console.deps import ConsoleServices
from delivery.service import JOB_KIND as DELIVERY_JOB
from delivery.service import DeliveryService
from faq.embedding import load_embedder
from faq.kb import FaqEntry
from faq.matcher import FaqMatcher
from greetings.cli import GreetingProcess
from greetings.config import GreetingConfig, load_greeting_config
from greetings.sending import JOB_KIND as GREETING_JOB
from greetings.service import GreetingService
from handlers import build_dispatcher
from handlers.context import EventListener, HandlerContext, HandlerServices, HelpDesk, TicketFiles
from handlers.conversation_state import ConversationState
from handlers.dispatcher import Router
from handlers.no_desk import NoDesk, NoTicketFiles
from handlers.outage import OutageMemory
from jobs.queue import JobQueue
from jobs.worker import JobHandler, Worker
from knowledge.review_notice import send_weekly_notice
from staff.accounts import login_throttle
from staff.login_throttle import LoginThrottle
from staff.notifications import StaffNotifier
from storage.activity import ActivityLog
from storage.blobs import BlobStore, blob_store_for
from storage.db import async_session_factory, create_db_engine
from storage.health import DependencyHealth
from storage.redis_client import create_redis, resolve_redis_url
from tickets import answer_delivery, desk_flags
from tickets.answer_delivery import AnswerDelivery
from tickets.answer_images import PURPOSE as ANSWER_IMAGE
from tickets.answer_images import AnswerImages
from tickets.attachment_download import JOB_KIND as ATTACHMENT_JOB
from tickets.attachment_download import AttachmentDownloads
from tickets.attachment_inbox import TicketAttachments
from tickets.desk import TicketDesk
from tickets.desk_flags import DeskFlags
from tickets.earlier_media import EarlierMedia
from tickets.reminders import ReplyTracker
from tickets.time_limits import TimeLimits
from wechat.api_client import WeChatApiClient
from wechat.media_api import WeChatMedia

log = logging.getLogger(__name__)

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
    answers: AnswerDelivery
    tracker: ReplyTracker
    time_limits: TimeLimits
    greetings: GreetingService
    media: WeChatMedia
    blobs: BlobStore
    downloads: AttachmentDownloads
    admission: Admission
    backlog: Backlog
    login_throttle: LoginThrottle  # one per process: it keeps the counts while Redis is out
    backlog_log: QueueLog = field(default_factory=QueueLog)
    desk: HelpDesk = field(default_factory=NoDesk)
    files: TicketFiles = field(default_factory=NoTicketFiles)
    earlier_media: EarlierMedia | None = None  # files sent just before a hand-over (the desk and files share it)
    # Through an outage of Redis or the database (bot.outage): who is out, and what stands in for Redis.
    health: DependencyHealth = field(default_factory=DependencyHealth)
    # The health probe's own client: ``redis`` fails at once while Redis is marked down (storage.redis_guard).
    redis_probe: aioredis.Redis | None = None
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

    async def deferred_counts(self) -> dict[str, int]:
        """Hand-overs waiting for the database and messages waiting in the backlog, and those that failed
        (the health page)."""
        return {**await pending_counts(self.redis), **await self.backlog.counts()}

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
        if self.redis_probe is not None:
            await self.redis_probe.aclose()
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


def faq_matcher_builder(settings: Settings, *, wait: bool = True) -> Callable[[Sequence[FaqEntry]], FaqMatcher]:
    """How this deployment indexes a KB version: with the sentence encoder if switched on, caching in its directory.
    `wait` False: lexical while some phrasing has no cached vector yet (the serving process completes it in the
    background: faq_matcher_completer)."""
    embedder = load_embedder(settings.faq_embedding_model) if settings.faq_embedding else None
    return functools.partial(
        FaqMatcher.build, embedder=embedder, cache_dir=settings.faq_cache_dir, embed_missing=wait or embedder is None
    )


def faq_matcher_completer(settings: Settings) -> Callable[[Sequence[FaqEntry]], FaqMatcher] | None:
    """The builder that computes the encoder's missing vectors (None without an encoder)."""
    return faq_matcher_builder(settings) if settings.faq_embedding else None


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    redis_url: str | None = None,
    greeting_config: GreetingConfig | None = None,
) -> Services:
    clock = clock or SystemClock()
    health = DependencyHealth()
    url = redis_url or resolve_redis_url(settings.redis_url, settings.var_dir)
    redis = create_redis(url, timeout=settings.redis_timeout_seconds, health=health)
    redis_probe = create_redis(url, max_connections=2, timeout=settings.redis_timeout_seconds)
    engine = create_db_engine(settings.database_url, settings.database_connect_timeout_seconds)
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
    dedupe = Deduplicator(redis, done_ttl_s=settings.dedupe_ttl_seconds)
    notifier = StaffNotifier(
        deliveries,
        template_id=settings.wechat_staff_template_id,
        fields=settings.staff_template_fields,
        console_url=settings.public_base_url,
        tz=settings.tz,
    )
    media = WeChatMedia(api, timeout=settings.attachment_download_timeout_seconds)
    blobs = blob_store_for(settings, http)
    services = Services(
        settings=settings,
        clock=clock,
        redis=redis,
        engine=engine,
        sessions=sessions,
        codec=CallbackCodec(settings.wechat_token, settings.wechat_appid, settings.wechat_aes_key or None),
        dedupe=dedupe,
        knowledge=KnowledgeBase(
            sessions,
            show_basis=settings.faq_show_basis,
            ask_feedback=settings.faq_feedback_prompt,
            build_matcher=faq_matcher_builder(settings, wait=False),
            complete_matcher=faq_matcher_completer(settings),
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
        notifier=notifier,
        spool=Spool(settings.var_dir / "spool"),
        answers=AnswerDelivery(deliveries, notifier, clock, settings),
        tracker=ReplyTracker(sessions, redis, clock, settings, notifier, deliveries),
        time_limits=TimeLimits(settings, clock, sessions, deliveries),
        greetings=GreetingService(
            sessions,
            queue,
            api,
            deliveries,
            clock,
            greeting_config or _greeting_config(settings.greetings_path),
            notifier,
        ),
        media=media,
        blobs=blobs,
        downloads=AttachmentDownloads(sessions, queue, media, blobs, clock, max_bytes=settings.attachment_max_bytes),
        admission=Admission(settings.webhook_concurrency),
        backlog=Backlog(redis, dedupe),
        login_throttle=login_throttle(redis, settings, clock),
        health=health,
        redis_probe=redis_probe,
    )
    services.health.probes["redis"] = redis_probe.ping
    services.health.probes["database"] = lambda: _ping_database(engine)
    services.health.on_up["redis"].append(services.replay_spool)
    services.prefetch.append(services.conversation.confirm_key)  # read with the claim: no extra round trip
    services.prefetch.append(backlog_user_key)  # a sender with messages queued: the next one queues behind
    services.job_handlers[DELIVERY_JOB] = deliveries.run_job
    services.periodic.append((15.0, deliveries.sweep))
    services.periodic.append((0.25, services.activity.flush))
    services.periodic.append((1.0, lambda: drain_deferred(services)))
    _install_tickets(services)
    _install_attachments(services)
    _install_greetings(services)
    _install_knowledge(services)
    return services


async def _ping_database(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def _install_tickets(services: Services) -> None:
    """The help desk: the desk the handlers talk to, answer-delivery hooks, the tracker's periodic sweeps."""
    window = timedelta(minutes=services.settings.handover_media_window_minutes)
    services.earlier_media = EarlierMedia(services.redis, services.downloads, window)
    services.desk = TicketDesk(
        flags=DeskFlags(services.redis, services.sessions),
        settings=services.settings,
        activity=services.activity,
        knowledge=services.knowledge,
        answers=services.answers,
        notifier=services.notifier,
        earlier_media=services.earlier_media,
    )
    services.prefetch.extend(desk_flags.prefetch_keys)
    deliveries = services.deliveries
    deliveries.on_permanent_failure["ticket_answer"] = services.answers.on_send_failed
    deliveries.on_sent.append(answer_delivery.on_delivery_sent)
    deliveries.on_sent.append(services.answers.ask_rating_after)  # 回访: its own message after the answer
    deliveries.on_staff_action.append(answer_delivery.on_delivery_staff_action)
    services.periodic.append((60.0, services.tracker.sweep_reminders))
    services.periodic.append((300.0, services.tracker.follow_calendar_changes))
    services.periodic.append((600.0, services.time_limits.close_silent_waits))


def _install_attachments(services: Services) -> None:
    """Files on tickets: the download job and its sweep for what users send; for images staff attach to answers,
    the upload before each send, the release after the answer's text, and a window refusal held for later."""
    services.files = TicketAttachments(services.downloads, services.earlier_media)
    services.job_handlers[ATTACHMENT_JOB] = services.downloads.run_job
    services.periodic.append((60.0, services.downloads.sweep))
    images = AnswerImages(services.sessions, services.blobs, services.media, services.clock)
    services.deliveries.preparers[ANSWER_IMAGE] = images.prepare
    services.deliveries.on_sent.append(images.after_sent)
    services.deliveries.on_permanent_failure[ANSWER_IMAGE] = images.on_refused


GREETING_SWEEP_SECONDS = 30.0  # a greeting goes out within this of its time; claims make extra rounds harmless
GREETING_RECONCILE_SECONDS = 60.0


@lru_cache(maxsize=4)
def _greeting_config(path: Path) -> GreetingConfig:
    return load_greeting_config(path)


def _install_greetings(services: Services) -> None:
    """Festival greetings: the send job, the scheduler rounds and the MASSSENDJOBFINISH event."""
    greetings = services.greetings
    services.job_handlers[GREETING_JOB] = greetings.run_send_job
    services.periodic.append((GREETING_SWEEP_SECONDS, greetings.sweep))
    services.periodic.append((GREETING_RECONCILE_SECONDS, greetings.reconcile))

    async def on_job_finish(ctx: HandlerContext) -> None:
        """Reconciles MASSSENDJOBFINISH in the webhook's transaction."""
        message = ctx.message
        await greetings.record_job_finish(
            ctx.session,
            int(message.id),
            str(message.status or ""),
            int(message.total_count),
            int(message.filter_count),
            int(message.sent_count),
            int(message.error_count),
        )

    services.event_listeners.setdefault("masssendjobfinish", []).append(on_job_finish)


KB_REVIEW_SWEEP_SECONDS = 3600.0


def _install_knowledge(services: Services) -> None:
    """KB upkeep: the weekly review-due notice to supervisors."""
    settings = services.settings

    async def sweep() -> None:
        await send_weekly_notice(
            services.sessions,
            services.notifier,
            services.deliveries.enqueue,
            services.clock.now(),
            settings.tz,
            settings.kb_review_months,
        )

    services.periodic.append((KB_REVIEW_SWEEP_SECONDS, sweep))


def conforms(services: Services) -> tuple[HandlerServices, DrainServices, ConsoleServices, GreetingProcess]:
    """Checked by mypy, never called at run time: the container has what each narrow Protocol asks for."""
    handlers: HandlerServices = services
    drain: DrainServices = services
    console: ConsoleServices = services
    cli: GreetingProcess = services
    return handlers, drain, console, cli
