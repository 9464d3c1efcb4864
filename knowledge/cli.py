"""``qiaobot faq import`` / ``export`` (the KB file with the Traditional answers and policy sources),
``qiaobot faq lint`` and ``qiaobot faq review-due`` (mounted on the faq group by bot/cli.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from faq.cli import prepare_matcher
from faq.kb import FaqEntry, KbValidationError, load_kb
from knowledge.content import EntryContent
from knowledge.kb_files import read_kb_file, write_kb_file
from knowledge.lint import Finding, check_kb
from knowledge.review import ReviewDue
from knowledge.review_due import published_review_due
from knowledge.store import published

T = TypeVar("T")


def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from config.settings import get_settings
    from storage.db import async_session_factory, create_db_engine

    async def run() -> T:
        engine = create_db_engine(get_settings().database_url)
        try:
            async with async_session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _stored_entries() -> list[FaqEntry]:
    async def load(session: AsyncSession) -> list[FaqEntry]:
        _, contents = await published(session)
        return [c.to_faq_entry() for c in contents]

    return _with_session(load)


def _finding_json(finding: Finding) -> dict[str, object]:
    return {"kind": finding.kind, "entries": list(finding.entry_ids), "text": finding.text, "detail": finding.detail}


def _finding_line(finding: Finding) -> str:
    ids = "、".join(finding.entry_ids)
    detail = f"（{finding.detail}）" if finding.detail else ""
    return f"[{finding.label}] {ids + '：' if ids else ''}{finding.text}{detail}"


@click.command("lint")
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="check a KB file instead of the database")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per finding")
def lint_command(kb: str | None, as_json: bool) -> None:
    """Check the KB: colliding phrasings, 相似问 the matcher routes elsewhere, near-duplicate answers,
    empty menu categories. Exits 1 when anything is found."""
    from knowledge.menu import menu_categories

    try:
        entries = load_kb(kb) if kb else _stored_entries()
    except (KbValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    findings = check_kb(entries, menu_categories())
    for finding in findings:
        click.echo(json.dumps(_finding_json(finding), ensure_ascii=False) if as_json else _finding_line(finding))
    if not as_json:
        click.echo(f"共 {len(entries)} 条问答，发现 {len(findings)} 个问题。", err=True)
    raise SystemExit(1 if findings else 0)


def _due_json(due: ReviewDue) -> dict[str, object]:
    return {
        "id": due.entry.id,
        "question": due.entry.question,
        "reasons": list(due.reasons),
        "reviewed": due.reviewed,
        "expires_on": due.expires_on.isoformat() if due.expires_on else None,
    }


@click.command("review-due")
@click.option("--months", type=click.IntRange(1, 120), help="review period (default: QIAOBOT_KB_REVIEW_MONTHS)")
@click.option("--on", "on_day", type=click.DateTime(["%Y-%m-%d"]), help="as of this day (default: today)")
@click.option("--json", "as_json", is_flag=True)
def review_due_command(months: int | None, on_day: datetime | None, as_json: bool) -> None:
    """Entries past their policy's expiry or not reviewed within the review period."""
    from config.settings import get_settings

    settings = get_settings()
    period = months or settings.kb_review_months
    now = on_day.replace(hour=12, tzinfo=settings.tz) if on_day else datetime.now(settings.tz)
    due = _with_session(lambda session: published_review_due(session, now, settings.tz, period))
    for item in due:
        if as_json:
            click.echo(json.dumps(_due_json(item), ensure_ascii=False))
        else:
            expiry = f"，失效日期 {item.expires_on}" if item.expires_on else ""
            click.echo(f"{item.entry.id}\t{item.text}（审核：{item.reviewed or '无'}{expiry}）\t{item.entry.question}")
    if not as_json:
        click.echo(f"待审核：{len(due)} 条（审核周期 {period} 个月）。", err=True)


def _read_or_fail(path: str) -> list[EntryContent]:
    try:
        return read_kb_file(path).contents
    except (KbValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate only.")
def import_command(file: str, dry_run: bool) -> None:
    """Validate FILE (.yaml/.csv/.xlsx) and replace the KB in the database with it, all or nothing: the
    entries, their hand-written Traditional answers and policy sources."""
    from knowledge.kb_import import import_kb, plan_import

    try:
        kb_file = read_kb_file(file)
    except (KbValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None

    async def run(session: AsyncSession) -> tuple[int, list[str]]:
        plan = await plan_import(session, kb_file)
        lines = plan.changes.details()
        if plan.kept_extras:
            lines.append("  文件中没有繁體答案和政策依据列：保留各条问答已有的繁體答案和政策依据")
        if dry_run:
            click.echo(f"{len(plan.contents)} 条校验通过（未导入）；导入将{plan.changes.summary()}")
            return 0, lines
        prepare_matcher([c.to_faq_entry() for c in plan.contents])  # before writing: the fit is ready to read
        await import_kb(session, plan)
        await session.commit()
        click.echo(f"已导入 {len(plan.contents)} 条：{plan.changes.summary()}")
        return len(plan.contents), lines

    _, lines = _with_session(run)
    for line in lines:
        click.echo(line)


@click.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="Convert this KB file, not the database.")
def export_command(file: str, kb: str | None) -> None:
    """Write the KB to FILE, with every field staff keep on an entry; the format follows the extension
    (.yaml/.csv/.xlsx)."""

    async def stored(session: AsyncSession) -> list[EntryContent]:
        _, contents = await published(session)
        return contents

    contents = _read_or_fail(kb) if kb else _with_session(stored)
    try:
        write_kb_file(contents, file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已导出 {len(contents)} 条到 {file}")
