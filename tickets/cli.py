"""``qiaobot sla …``: the reply due time, and recomputing open tickets' due times; ``qiaobot tickets export``:
the monthly report as a spreadsheet."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path

import click

from config.settings import get_settings
from tickets.calendar_source import current_calendar
from tickets.sla import due_time, format_due_zh


@click.group()
def sla() -> None:
    """The two-working-day reply promise."""


@sla.command("due")
@click.argument("received_at")
@click.option("--json", "as_json", is_flag=True, help='Print {"due": ISO, "provisional": bool}.')
def sla_due(received_at: str, as_json: bool) -> None:
    """Due time of a question received at RECEIVED_AT (ISO 8601; without an offset, Beijing time)."""
    settings = get_settings()
    try:
        received = datetime.fromisoformat(received_at)
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date-time: {received_at!r}", param_hint="RECEIVED_AT") from None
    if received.tzinfo is None:
        received = received.replace(tzinfo=settings.tz)
    try:
        due = due_time(received, current_calendar(settings), settings.close_of_business, settings.tz)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"due": due.due.isoformat(), "provisional": due.provisional}))
    else:
        note = "（暂定：该年的官方放假安排尚未录入）" if due.provisional else ""
        click.echo(f"{format_due_zh(due.due)}{note}")


@sla.command("recompute")
def sla_recompute() -> None:
    """Recompute open tickets' due times after editing config/holidays.yaml."""
    from calendars.clock import SystemClock
    from storage.db import async_session_factory, create_db_engine
    from tickets.reminders import recompute_due_times

    settings = get_settings()

    async def run() -> int:
        engine = create_db_engine(settings.database_url)
        try:
            return await recompute_due_times(async_session_factory(engine), settings, SystemClock(), actor="cli")
        finally:
            await engine.dispose()

    click.echo(f"{asyncio.run(run())} open tickets got a new due time")


@click.group("tickets")
def tickets_group() -> None:
    """The help desk's tickets."""


@tickets_group.command("export")
@click.option("--month", required=True, help="The month received, YYYY-MM (local time).")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def tickets_export(month: str, file: Path) -> None:
    """Write the monthly report (by department and category) to FILE: .xlsx, or .csv with a UTF-8 BOM."""
    from calendars.clock import SystemClock
    from storage.db import async_session_factory, create_db_engine
    from tickets.department_store import load_book
    from tickets.monthly_report import monthly_report, parse_month, report_csv_table, report_tables
    from tickets.spreadsheets import to_csv, to_xlsx

    settings = get_settings()
    try:
        first = parse_month(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    suffix = file.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise click.BadParameter("FILE must end in .xlsx or .csv", param_hint="FILE")

    async def run() -> bytes:
        engine = create_db_engine(settings.database_url)
        try:
            async with async_session_factory(engine)() as session:
                book = await load_book(session, settings.departments_path)
                report = await monthly_report(
                    session,
                    first,
                    SystemClock().now(),
                    settings.tz,
                    book.name_of,
                    [*(d.code for d in book.departments), None],
                    current_calendar(settings),
                )
        finally:
            await engine.dispose()
        if suffix == ".csv":
            return to_csv(report_csv_table(report), settings.tz)
        return to_xlsx(report_tables(report), settings.tz)

    file.write_bytes(asyncio.run(run()))
    click.echo(f"{first:%Y-%m} report written to {file}")
