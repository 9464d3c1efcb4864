"""``qiaobot greetings …``: festival dates, drafts, approval, sending what is due and watching it go."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol, TypeVar

import click

from greetings.config import GreetingConfigError, load_greeting_config
from greetings.core import GreetingRefused
from greetings.schedule import BEIJING
from greetings.service import GreetingService

T = TypeVar("T")


def _config_or_exit() -> Any:
    from config.settings import SettingsError, get_settings

    try:
        return load_greeting_config(get_settings().greetings_path)
    except (GreetingConfigError, SettingsError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


PROCESS_FACTORY = "qiaobot.process_factory"  # click context meta: set by the ``qiaobot`` command (bot/cli.py)


class JobRunner(Protocol):
    async def run_once(self) -> int: ...


class GreetingProcess(Protocol):
    """What these commands use of a wired process: its greeting service, a job worker, and closing it."""

    @property
    def greetings(self) -> GreetingService: ...

    def worker(self, **options: float | int) -> JobRunner: ...

    async def close(self) -> None: ...


def _run(action: Callable[[Any, GreetingService], Awaitable[T]]) -> T:
    """Run ``action`` with a wired process (from the ``qiaobot`` command) and its greeting service, closing
    the process afterwards."""
    from config.settings import SettingsError, get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    config = _config_or_exit()

    async def main() -> T:
        build: Callable[..., GreetingProcess] = click.get_current_context().meta[PROCESS_FACTORY]
        services = build(settings, greeting_config=config)
        try:
            return await action(services, services.greetings)
        finally:
            await services.close()

    try:
        return asyncio.run(main())
    except GreetingRefused as exc:
        click.echo(f"未执行：{exc}", err=True)
        sys.exit(1)


def _zone() -> tzinfo:
    """The configured time zone (QIAOBOT_TIMEZONE), the one the console shows times in."""
    from config.settings import SettingsError, get_settings

    try:
        return get_settings().tz
    except SettingsError:
        return BEIJING


def _local(at: datetime, zone: tzinfo) -> datetime:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)


@click.group()
def greetings() -> None:
    """Festival greetings: dates, drafts, approval and sending."""


@greetings.command()
@click.option("--year", type=click.IntRange(1901, 2099), default=None, help="Gregorian year (default: this year).")
@click.option("--json", "as_json", is_flag=True, help='Print [{"festival": …, "date": "YYYY-MM-DD"}].')
def upcoming(year: int | None, as_json: bool) -> None:
    """List the year's festivals (and staff's custom days) with their dates."""
    from calendars.festivals import festivals_in_year

    config = _config_or_exit()
    today = datetime.now(_zone()).date()
    year = year or today.year
    found = festivals_in_year(year, config.custom_festivals())
    if as_json:
        rows = [{"festival": f.name, "date": f.date.isoformat(), "past": f.date < today} for f in found]
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for festival in found:
        template = "" if festival.name in config.festivals else "  （无问候模板）"
        past = "  （已过）" if festival.date < today else ""
        click.echo(f"{festival.date.isoformat()}  {festival.name}{template}{past}")


@greetings.command()
def draft() -> None:
    """Create the drafts that are due now (the scheduler does this by itself every few seconds)."""

    async def action(_services: Any, service: GreetingService) -> list[int]:
        return await service.plan_drafts()

    created = _run(action)
    click.echo(f"新建草稿 {len(created)} 个" + (f"：{', '.join(map(str, created))}" if created else ""))


@greetings.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Campaigns with their state and each send's result; times in the configured zone (QIAOBOT_TIMEZONE)."""
    zone = _zone()

    async def action(_services: Any, service: GreetingService) -> list[dict[str, Any]]:
        views = await service.list_campaigns()
        return [
            {
                "id": view.campaign.id,
                "festival": view.campaign.festival,
                "date": view.campaign.festival_date.isoformat(),
                "state": view.summary,
                "approved_by": view.campaign.approved_by,
                "sends": [
                    {
                        "id": send.id,
                        "audience": send.tag_name,
                        "send_at": _local(send.send_at, zone).isoformat(),
                        "state": send.state,
                        "reason": send.last_error,
                        "msg_id": send.msg_id,
                        "sent": send.sent_count,
                        "errors": send.error_count,
                        "total": send.total_count,
                    }
                    for send in view.sends
                ],
            }
            for view in views
        ]

    rows = _run(action)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("暂无节日问候活动（节日前 7 天自动生成草稿，或运行 qiaobot greetings draft）。")
    else:
        click.echo(f"（时间按 {zone} 显示）")
    for row in rows:
        click.echo(f"#{row['id']} {row['date']} {row['festival']}  [{row['state']}]")
        for send in row["sends"]:
            result = f" 送达 {send['sent']}/{send['total']}" if send["sent"] is not None else ""
            reason = f"  {send['reason']}" if send["reason"] else ""
            at = datetime.fromisoformat(send["send_at"]).strftime("%Y-%m-%d %H:%M")
            click.echo(f"    {send['audience']} {at} {send['state']}{result}{reason}")


@greetings.command()
@click.argument("campaign_id", type=int)
@click.option("--by", required=True, help="The approving supervisor's name.")
def approve(campaign_id: int, by: str) -> None:
    """Approve a campaign after showing the quota it uses; refused with the reason when it cannot go out."""

    async def action(_services: Any, service: GreetingService) -> list[str]:
        return (await service.approve(campaign_id, by=by)).lines

    for line in _run(action):
        click.echo(line)
    click.echo(f"已审批 #{campaign_id}")


@greetings.command("send-due")
@click.option("--watch/--no-watch", default=True, help="Show a progress bar for per-follower sends.")
def send_due(watch: bool) -> None:
    """Run one scheduler round and the sends it claims in this process (for cron or a manual catch-up)."""

    async def action(services: Any, service: GreetingService) -> None:
        report = await service.sweep()
        worker = services.worker(concurrency=8, poll_seconds=0.05)
        while await worker.run_once():
            pass
        click.echo(
            f"草稿 {len(report.drafts)}，提醒 {report.reminders}，错过 {report.expired}，发送 {len(report.claimed)}"
        )
        if watch:
            for claim in report.claimed:
                await _watch(services, service, claim.send_id)

    _run(action)


@greetings.command()
@click.argument("send_id", type=int)
def progress(send_id: int) -> None:
    """Follow a per-follower send with a progress bar until every message is sent or failed."""

    async def action(services: Any, service: GreetingService) -> None:
        await _watch(services, service, send_id)

    _run(action)


async def _watch(services: Any, service: GreetingService, send_id: int, poll: float = 0.5) -> None:
    """Drive the delivery jobs in this process too, so the bar moves even without a separate worker."""
    first = await service.progress(send_id)
    if first.total == 0:
        return
    worker = services.worker(concurrency=16, poll_seconds=0.05)
    with click.progressbar(length=first.total, label=f"逐人发送 #{send_id}") as bar:
        done = 0
        while True:
            ran = await worker.run_once()
            now = await service.progress(send_id)
            bar.update(now.total - now.open - done)
            done = now.total - now.open
            if now.finished:
                break
            if not ran:
                await asyncio.sleep(poll)
    final = await service.progress(send_id)
    click.echo(f"已送达 {final.sent}，失败 {final.failed}（共 {final.total}）")
