"""The ASGI application: the webhook, the simulator, and in embedded mode the fake WeChat API beside them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.exceptions
from fastapi import FastAPI
from fastapi.responses import JSONResponse

import console
from bot import backlog_drain, simulator, webhook
from bot.bootstrap import Services, build_services
from bot.fast_path import WeChatFastPath
from config.settings import Settings, get_settings
from console import api_docs
from console.redis_outage import redis_outage_response
from tickets import answer_page

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    run_jobs: bool | None = None,
) -> WeChatFastPath:
    settings = settings or (services.settings if services else get_settings())
    fake_app = None
    # The fake WeChat (and with it the simulator) exists for embedded mode only, whatever the API base says.
    if settings.uses_fake_wechat and settings.env == "embedded":
        from wechat.fake_api import FakeWeChatState, create_fake_wechat_app

        fake_app = create_fake_wechat_app(
            FakeWeChatState(
                appid=settings.wechat_appid,
                secret=settings.wechat_secret,
                # The templates as configured: the fake then refuses what WeChat would refuse of them.
                templates={
                    settings.wechat_answer_template_id or "TPL_FAKE_NOTICE": tuple(
                        settings.answer_template_fields.values()
                    ),
                    settings.wechat_staff_template_id or "TPL_FAKE_STAFF": tuple(
                        settings.staff_template_fields.values()
                    ),
                },
            )
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or build_services(settings)
        backlog_drain.install(app.state.services)
        await app.state.services.start(run_jobs=settings.run_jobs_in_process if run_jobs is None else run_jobs)
        log.info("qiaobot ready (%s mode, WeChat API %s)", settings.env, settings.wechat_api_base)
        try:
            yield
        finally:
            if own:
                await app.state.services.close()

    # FastAPI's built-in OpenTelemetry hooks look up providers on every request; off unless wanted.
    production = settings.env == "production"
    app = FastAPI(
        title="qiaobot",
        version="0.1.0",
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # In production the docs and the schema are for logged-in staff only (console.api_docs).
        docs_url=None if production else "/docs",
        redoc_url=None if production else "/redoc",
        openapi_url=None if production else "/openapi.json",
    )
    if services is not None:
        app.state.services = services
    if production:
        app.include_router(api_docs.router)
    app.router.routes.extend(webhook.routes)
    app.include_router(answer_page.router)
    app.include_router(console.router)
    for outage in (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):  # storage.health's outages
        app.add_exception_handler(outage, redis_outage_response)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        # 200 while degraded: this process still answers WeChat (bot.outage); the body says what is out.
        svc: Services = app.state.services
        health = svc.health
        return JSONResponse(
            {
                "ok": True,
                "degraded": health.redis_down or health.database_down,
                "redis": "down" if health.redis_down else "up",
                "database": "down" if health.database_down else "up",
                "spooled": svc.spool.pending(),
                "kb_version": svc.knowledge.version,
            }
        )

    if fake_app is not None:
        app.mount("/fake-wechat", fake_app)
        app.state.fake_wechat = fake_app.state.wechat
        app.include_router(simulator.router)
    return WeChatFastPath(
        app,
        trusted_proxies=settings.trusted_proxies,
        body_timeout=settings.body_read_timeout_seconds,
        max_pending_uploads=settings.max_pending_uploads,
        max_request_bytes=settings.max_request_bytes,
    )
