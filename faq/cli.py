"""`faq` command group (mounted by the lead as `qiaobot faq`).

Without --kb the commands work on the database through faq.store (imported when a command needs it).
``faq import`` / ``faq export`` (the KB with everything staff keep on an entry) and ``faq lint`` /
``faq review-due`` live in ``knowledge.cli``; bot/cli.py mounts them on this group.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from faq.evaluation import EvalReport, evaluate, load_queries, table_lines
from faq.kb import FaqEntry, KbValidationError, load_kb
from faq.matcher import Decision, FaqMatcher


def _matcher(
    entries: Sequence[FaqEntry], progress: Callable[[int], object] | None = None, embed_missing: bool = True
) -> FaqMatcher:
    """The matcher as this deployment's settings build it (encoder switch, cache directory)."""
    from config.settings import get_settings
    from faq.embedding import load_embedder

    settings = get_settings()
    embedder = load_embedder(settings.faq_embedding_model) if settings.faq_embedding else None
    return FaqMatcher.build(
        entries, embedder=embedder, cache_dir=settings.faq_cache_dir, progress=progress, embed_missing=embed_missing
    )


def prepare_matcher(entries: Sequence[FaqEntry]) -> FaqMatcher:
    """Index a KB about to be imported and check it against the prior (trained across six KBs), with a
    progress bar on stderr: a KB too small to trust the prior on gets the conservative gate. The result lands
    in the cache directory, so every serving process that reloads the new version reads it. The sentence
    encoder's vectors, when it is on, are not computed here: a serving process computes the missing ones in the
    background and answers lexically until then (bot.knowledge)."""
    started = time.perf_counter()
    with click.progressbar(length=len(entries), label="建立索引并检查本库", file=sys.stderr) as bar:
        matcher = _matcher(entries, progress=bar.update, embed_missing=False)
    click.echo(f"判定参数：{matcher.calibration.note}（{time.perf_counter() - started:.1f} 秒）", err=True)
    return matcher


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
            "out_of_scope": decision.out_of_scope,
        },
        ensure_ascii=False,
    )


def _decision_line(text: str, decision: Decision, matcher: FaqMatcher) -> str:
    if decision.decision == "answer" and decision.faq_id:
        question = matcher.entry(decision.faq_id).question
        return f"answer   {decision.faq_id} ({decision.score:.2f})  {question}  ← {text}"
    if decision.decision == "suggest":
        refused = f" [out of scope: {decision.out_of_scope}]" if decision.out_of_scope else ""
        return f"suggest{refused}  {', '.join(decision.suggestions)} ({decision.score:.2f})  ← {text}"
    marker = f" [{decision.smalltalk}]" if decision.smalltalk else ""
    marker += f" [out of scope: {decision.out_of_scope}]" if decision.out_of_scope else ""
    related = f" related: {', '.join(decision.suggestions)}" if decision.suggestions else ""
    return f"handover{marker} ({decision.score:.2f}){related}  ← {text}"


@click.group(name="faq")
def faq() -> None:
    """FAQ knowledge base and matcher tools."""


@faq.command()
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="KB file instead of the database.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
@click.option("--explain", is_flag=True, help="Why: how the message was read, candidates and signals, the gate.")
@click.argument("text")
def ask(kb: str | None, as_json: bool, explain: bool, text: str) -> None:
    """Show what the matcher decides for TEXT (`-`: one message per stdin line)."""
    matcher = _matcher(_entries_from(kb))
    messages: Sequence[str] = [line.rstrip("\r\n") for line in sys.stdin if line.strip()] if text == "-" else [text]
    for message in messages:
        if explain:
            why = matcher.explain(message)
            click.echo(json.dumps(why.to_dict(), ensure_ascii=False) if as_json else why.to_text())
            continue
        decision = matcher.decide(message)
        click.echo(_decision_json(message, decision) if as_json else _decision_line(message, decision, matcher))


def _top_candidate(matcher: FaqMatcher) -> Callable[[str], str | None]:
    def top(text: str) -> str | None:
        candidates = matcher.explain(text).candidates
        return candidates[0].faq_id if candidates else None

    return top


def _suite(value: str) -> tuple[str, str]:
    kb, sep, queries = value.rpartition(":")
    if not sep or not Path(kb).is_file() or not Path(queries).is_file():
        raise click.BadParameter(f"{value!r}: expected KB_FILE:QUERIES_FILE, both existing files", param_hint="--suite")
    return kb, queries


@faq.command(name="eval")
@click.option("--kb", type=click.Path(exists=True, dir_okay=False), help="KB file instead of the database.")
@click.option("--queries", type=click.Path(exists=True, dir_okay=False), help="Labelled queries for --kb/the database.")
@click.option(
    "--suite",
    "suites",
    multiple=True,
    metavar="KB:QUERIES",
    help="A KB file and its labelled queries; repeat for several suites (each KB gets its own matcher).",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--failures", is_flag=True, help="List every query not handled correctly.")
def eval_command(kb: str | None, queries: str | None, suites: tuple[str, ...], as_json: bool, failures: bool) -> None:
    """Measure the matcher on labelled queries ({q, expect, style}), per style: answered correctly, wrong,
    right entry answered or suggested (hit), out of scope answered, right entry ranked first."""
    runs: list[tuple[str, list[FaqEntry], str]] = []
    if queries:
        runs.append((f"{kb or 'database'}:{queries}", _entries_from(kb), queries))
    elif kb:
        raise click.UsageError("--kb needs --queries")
    for value in suites:
        kb_path, query_path = _suite(value)
        runs.append((value, _load_or_fail(kb_path), query_path))
    if not runs:
        raise click.UsageError("give --queries (with --kb, or the database's KB) or at least one --suite KB:QUERIES")
    reports: list[tuple[str, EvalReport]] = []
    for name, entries, query_path in runs:
        matcher = _matcher(entries)
        reports.append((name, evaluate(matcher, load_queries(query_path), ranker=_top_candidate(matcher))))
    if as_json:
        if len(reports) == 1 and not suites:
            click.echo(reports[0][1].to_json())  # the single --queries form keeps its shape
        else:
            documents = [{"suite": name, **report.to_dict()} for name, report in reports]
            click.echo(json.dumps({"suites": documents}, ensure_ascii=False, indent=2))
        return
    for name, report in reports:
        click.echo(f"== {name}")
        click.echo(report.to_text(show_failures=failures))
        click.echo("")
    if len(reports) > 1:
        click.echo("\n".join(table_lines([(name, report.overall) for name, report in reports], "suite")))


if __name__ == "__main__":  # pragma: no cover
    faq()
