"""`faq` command group (mounted by the lead as `qiaobot faq`).

Without --kb the commands work on the database through faq.store (imported when a command needs it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from faq.evaluation import evaluate, load_queries
from faq.kb import FaqEntry, KbChanges, KbValidationError, dump_kb, load_kb
from faq.matcher import Decision, FaqMatcher


def _entries_from(kb: str | None) -> list[FaqEntry]:
    if kb:
        return _load_or_fail(kb)
    from faq.store import load_entries

    return list(load_entries())


def _load_or_fail(path: str) -> list[FaqEntry]:
    try:
        return load_kb(path)
    except KbValidationError as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _decision_json(text: str, decision: Decision) -> str:
    return json.dumps(
        {
            "q": text,
            "decision": decision.decision,
            "faq_id": decision.faq_id,
            "suggestions": list(decision.suggestions),
            "score": decision.score,
        },
        ensure_ascii=False,
    )


def _decision_line(text: str, decision: Decision, matcher: FaqMatcher) -> str:
    if decision.decision == "answer" and decision.faq_id:
        question = matcher.entry(decision.faq_id).question
        return f"answer   {decision.faq_id} ({decision.score:.2f})  {question}  ← {text}"
    if decision.decision == "suggest":
        return f"suggest  {', '.join(decision.suggestions)} ({decision.score:.2f})  ← {text}"
    marker = f" [{decision.smalltalk}]" if decision.smalltalk else ""
    related = f" related: {', '.join(decision.suggestions)}" if decision.suggestions else ""
    return f"handover{marker} ({decision.score:.2f}){related}  ← {text}"


@click.group(name="faq")
def faq() -> None:
    """FAQ knowledge base and matcher tools."""


@faq.command()
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="KB file instead of the database.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.argument("text")
def ask(kb: str | None, as_json: bool, text: str) -> None:
    """Show what the matcher decides for TEXT (`-`: one message per stdin line)."""
    matcher = FaqMatcher.build(_entries_from(kb))
    messages: Sequence[str] = [line.rstrip("\r\n") for line in sys.stdin if line.strip()] if text == "-" else [text]
    for message in messages:
        decision = matcher.decide(message)
        click.echo(_decision_json(message, decision) if as_json else _decision_line(message, decision, matcher))


@faq.command(name="eval")
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="KB file instead of the database.")
@click.option("--queries", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--failures", is_flag=True, help="List every query not handled correctly.")
def eval_command(kb: str | None, queries: str, as_json: bool, failures: bool) -> None:
    """Measure the matcher on labelled queries ({q, expect, style})."""
    matcher = FaqMatcher.build(_entries_from(kb))
    report = evaluate(matcher, load_queries(queries))
    click.echo(report.to_json() if as_json else report.to_text(show_failures=failures))


@faq.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Validate only.")
def import_command(file: str, dry_run: bool) -> None:
    """Validate FILE (.yaml/.csv/.xlsx) and replace the KB in the database with it, all or nothing."""
    from faq.store import load_entries, replace_entries

    entries = _load_or_fail(file)
    changes = KbChanges.between(load_entries(), entries)
    if dry_run:
        click.echo(f"{len(entries)} 条校验通过（未导入）；导入将{changes.summary()}")
        return
    count = replace_entries(entries)
    click.echo(f"已导入 {count} 条：{changes.summary()}")
    for line in changes.details():
        click.echo(line)


@faq.command(name="export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--kb", type=click.Path(exists=True, dir_okay=False), help="Convert this KB file instead of the database."
)
def export_command(file: str, kb: str | None) -> None:
    """Write the KB to FILE; the format follows the extension (.yaml/.csv/.xlsx)."""
    entries = _entries_from(kb)
    try:
        dump_kb(entries, Path(file))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已导出 {len(entries)} 条到 {file}")


if __name__ == "__main__":  # pragma: no cover
    faq()
