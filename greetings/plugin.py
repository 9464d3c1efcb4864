"""Wires greetings into the running service: the send job, the scheduler rounds and the result event."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.services import Services
from greetings.config import DEFAULT_PATH, GreetingConfig, load_greeting_config
from greetings.sending import JOB_KIND
from greetings.service import GreetingService
from handlers.context import HandlerContext

SWEEP_SECONDS = 30.0  # a greeting goes out within this of its time; claims make extra rounds harmless
RECONCILE_SECONDS = 60.0
EVENT = "masssendjobfinish"


@lru_cache(maxsize=4)
def _config(path: Path) -> GreetingConfig:
    return load_greeting_config(path)


def build_greeting_service(services: Services, config: GreetingConfig | None = None) -> GreetingService:
    """A service over the process's adapters (cheap: it holds no state of its own)."""
    return GreetingService(
        services.sessions,
        services.queue,
        services.api,
        services.deliveries,
        services.clock,
        config or _config(DEFAULT_PATH),
        services.notifier,
    )


class _JobFinishListener:
    """Reconciles MASSSENDJOBFINISH in the webhook's transaction; a class so a re-install can find it."""

    def __init__(self, greetings: GreetingService) -> None:
        self.greetings = greetings

    async def __call__(self, ctx: HandlerContext) -> None:
        message = ctx.message
        await self.greetings.record_job_finish(
            ctx.session,
            int(message.id),
            str(message.status or ""),
            int(message.total_count),
            int(message.filter_count),
            int(message.sent_count),
            int(message.error_count),
        )


def install(services: Services, config: GreetingConfig | None = None) -> GreetingService:
    """Register the job handler, the periodic sweeps and the MASSSENDJOBFINISH listener.

    Installing again (e.g. a test with its own config) replaces the earlier registration instead of
    adding a second sweeper and listener to the same process.
    """
    greetings = build_greeting_service(services, config)
    services.job_handlers[JOB_KIND] = greetings.run_send_job
    services.periodic[:] = [
        (seconds, task)
        for seconds, task in services.periodic
        if not isinstance(getattr(task, "__self__", None), GreetingService)
    ]
    services.periodic.append((SWEEP_SECONDS, greetings.sweep))
    services.periodic.append((RECONCILE_SECONDS, greetings.reconcile))
    listeners = services.event_listeners.setdefault(EVENT, [])
    listeners[:] = [listener for listener in listeners if not isinstance(listener, _JobFinishListener)]
    listeners.append(_JobFinishListener(greetings))
    return greetings
