"""The ``qiaobot`` command."""

from __future__ import annotations

import contextlib
import logging
import sys

import click

from config.settings import Settings, SettingsError, get_settings


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def prepare_embedded_storage(settings: Settings) -> None:
    """Migrate and load the shipped FAQ into an empty database, so the first run just works."""
    from faq.store import seed_if_empty
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    loaded = seed_if_empty(settings.faq_path, settings.database_url)
    if loaded:
        click.echo(f"已载入随附的常见问题库：{loaded} 条")


class QiaobotGroup(click.Group):
    """The command group; a command failing on a database that was never migrated says what to run."""

    def invoke(self, ctx: click.Context) -> object:
        from sqlalchemy.exc import DBAPIError

        try:
            return super().invoke(ctx)
        except DBAPIError:
            behind = _schema_behind()
            if behind is None:
                raise
            current, head = behind
            state = "尚未建立表结构" if current is None else f"表结构版本为 {current}，最新为 {head}"
            click.echo(f"数据库{state}：先运行 `qiaobot db upgrade`。", err=True)
            sys.exit(2)


def _schema_behind() -> tuple[str | None, str] | None:
    from storage.migrate import schema_behind

    try:
        return schema_behind(get_settings().database_url)
    except Exception:  # the database cannot even be asked: let the original error speak
        return None


@click.group(cls=QiaobotGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """qiaobot: the WeChat Official Account service of the overseas-compatriot hotline."""
    from greetings.cli import PROCESS_FACTORY

    ctx.meta[PROCESS_FACTORY] = _build_process
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Run the web service (webhook, staff console, simulator in embedded mode)."""
    import os
    import signal

    import uvicorn

    from bot.serve_banner import announce_when_listening
    from storage.embedded_redis import embedded_redis, stop_embedded_redis

    # uvicorn turns SIGTERM into a graceful shutdown and re-raises it afterwards; before it starts, and
    # when it re-raises, leave through SystemExit so the ``finally`` below stops the embedded Redis.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    settings = _settings()
    try:
        banner = None
        if settings.env == "embedded":
            expected = f"http://{host}:{port}"
            if settings.uses_fake_wechat and settings.public_base_url != expected:
                os.environ["QIAOBOT_PUBLIC_BASE_URL"] = expected
                get_settings.cache_clear()
                settings = _settings()
            prepare_embedded_storage(settings)
            if settings.uses_embedded_redis:
                embedded_redis(settings.var_dir)  # owned by this process; uvicorn's workers join it
            if workers > 1 and settings.uses_fake_wechat:
                click.echo(
                    "注意：内置的模拟微信接口在每个进程各有一份；多进程请另行运行 `qiaobot fake-wechat`。",
                    err=True,
                )
            banner = (
                f"qiaobot 已启动：http://{host}:{port}\n  模拟器（无需微信账号）：http://{host}:{port}/simulator\n"
                f"  终端聊天：qiaobot chat --url http://{host}:{port}\n"
                f"  工作人员工作台：http://{host}:{port}/console（先用 qiaobot staff create 创建账号）"
            )
        announce_when_listening(host, port, banner or f"qiaobot 已启动：http://{host}:{port}")
        uvicorn.run(
            "bot.main:app",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
            proxy_headers=False,  # the app believes X-Forwarded-* from QIAOBOT_TRUSTED_PROXIES only (bot.fast_path)
        )
    finally:
        stop_embedded_redis()


@main.command()
def worker() -> None:
    """Run the job worker (deliveries, reminders, broadcasts) as its own process."""
    import asyncio

    from bot import backlog_drain
    from bot.bootstrap import build_services

    settings = _settings()

    async def run() -> None:
        services = build_services(settings)
        backlog_drain.install(services)
        await services.start(run_jobs=True)
        click.echo("qiaobot worker running; Ctrl-C to stop")
        try:
            await asyncio.Event().wait()
        finally:
            await services.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@main.command("fake-wechat")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def fake_wechat(host: str, port: int) -> None:
    """Run the fake WeChat API on its own (for several service processes, tests and benchmarks)."""
    import uvicorn

    from wechat.fake_api import FakeWeChatState, create_fake_wechat_app

    settings = _settings()
    state = FakeWeChatState(appid=settings.wechat_appid, secret=settings.wechat_secret)
    uvicorn.run(create_fake_wechat_app(state), host=host, port=port, log_level="warning", access_log=False)


@main.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The running service.")
@click.option(
    "--mode",
    type=click.Choice(["plain", "compat", "aes"]),
    default=None,
    help="Default: aes when QIAOBOT_WECHAT_AES_KEY is set (the service then refuses plaintext), else plain.",
)
@click.option("--openid", default=None, help="Pretend to be this user (default: a new random one).")
def chat(url: str, mode: str | None, openid: str | None) -> None:
    """Chat with a running service as a WeChat user, from the terminal."""
    from bot.chat import run_chat

    settings = _settings()
    mode = mode or ("aes" if settings.wechat_aes_key else "plain")
    if mode != "plain" and not settings.wechat_aes_key:
        click.echo("compat/aes 模式需要设置 QIAOBOT_WECHAT_AES_KEY（与服务端一致）。", err=True)
        sys.exit(2)
    if mode == "plain" and settings.wechat_aes_key:
        click.echo("已设置 QIAOBOT_WECHAT_AES_KEY：服务只接受加密消息，请用 --mode compat 或 aes。", err=True)
        sys.exit(2)
    run_chat(url.rstrip("/"), settings, mode, openid)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")


def _build_process(settings: Settings, **options: object) -> object:
    """The wired process feature commands run in (``greetings send-due`` …), built on demand."""
    from bot.bootstrap import build_services

    return build_services(settings, **options)  # type: ignore[arg-type]


def _register_groups(group: click.Group) -> None:
    from faq.cli import faq
    from greetings.cli import greetings
    from knowledge.cli import export_command, import_command, lint_command, review_due_command
    from staff.cli import staff
    from tickets.cli import sla, tickets_group

    for extra in (import_command, export_command, lint_command, review_due_command):
        faq.add_command(extra)
    for command in (faq, sla, tickets_group, staff, greetings):
        group.add_command(command)


_register_groups(main)
