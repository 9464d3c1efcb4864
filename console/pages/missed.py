"""What the bot missed: groups of similar messages it handed over, offered choices for that were not
picked, answered and then heard “人工” (or 没用); from a group, one click adds the wordings as 相似问 of an
entry, or starts a new entry from them (with a staff answer from the group's tickets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.common import base_context, redirect
from console.rendering import render_html
from handlers.commands import command_of
from knowledge.content import EntryContent
from knowledge.drafts import KbActionError
from knowledge.editing import split_lines
from knowledge.missed import KIND_TEXT, MissedGroup
from knowledge.missed_log import MissedReport, add_as_similar, find_group, missed_report, ticket_answers
from knowledge.review_due import published_review_due

router = APIRouter(prefix="/console/missed", include_in_schema=False)
PAGE_SIZE = 25  # groups a page shows (each one also asks the matcher which entry it most likely belongs to)


def is_human_request(text: str) -> bool:
    return command_of(text) == "human"


async def report_for(request: Request, db: Db, weeks: int = 4) -> MissedReport:
    services = services_of(request)
    settings = services.settings
    return await missed_report(
        db,
        services.clock.now(),
        settings.tz,
        weeks=weeks,
        human_window=timedelta(minutes=settings.kb_human_window_minutes),
        is_human=is_human_request,
    )


@dataclass(frozen=True)
class KbStats:
    report: MissedReport
    review_due: int
    expired: int
    questions: dict[str, str]  # entry id -> question, for the tables


async def kb_stats(request: Request, db: Db, weeks: int) -> KbStats:
    services = services_of(request)
    settings = services.settings
    report = await report_for(request, db, weeks)
    due = await published_review_due(db, services.clock.now(), settings.tz, settings.kb_review_months)
    questions = {e.id: e.question for e in services.knowledge.entries}
    return KbStats(report, len(due), sum(1 for d in due if "expired" in d.reasons), questions)


def _target(request: Request, group: MissedGroup) -> str | None:
    """The entry a group most likely belongs to: the one that answered it, else the matcher's first pick."""
    if group.faq_ids:
        return group.faq_ids[0]
    decision = services_of(request).knowledge.matcher.decide(group.text)
    return decision.faq_id or (decision.suggestions[0] if decision.suggestions else None)


@router.get("")
async def missed_page(
    request: Request,
    db: Db,
    staff: PageStaff,
    weeks: Annotated[int, Query(ge=1, le=26)] = 4,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    report = await report_for(request, db, weeks)
    entries = services_of(request).knowledge.entries
    pages = max(1, -(-len(report.groups) // PAGE_SIZE))
    page = min(page, pages)
    first = (page - 1) * PAGE_SIZE
    groups = [
        {"group": g, "target": _target(request, g), "trend": g.weekly(report.weeks, services_of(request).settings.tz)}
        for g in report.groups[first : first + PAGE_SIZE]
    ]
    context = await base_context(request, db, staff, "missed")
    if request.query_params.get("done") == "similar":
        context["flash"] = "已把这些问法加为相似问（草稿），主管发布后生效。"
    return render_html(
        "missed.html",
        {
            **context,
            "groups": groups,
            "weeks": weeks,
            "page": page,
            "pages": pages,
            "total_groups": len(report.groups),
            "first_number": first,
            "week_labels": [f"{w.month}/{w.day}" for w in report.weeks],
            "entries": sorted(entries, key=lambda e: e.id),
            "KIND_TEXT": KIND_TEXT,
        },
    )


@router.post("/similar")
async def similar_form(request: Request, db: Db, staff: PageWrite) -> Response:
    form = await request.form()
    texts = [str(v) for v in form.getlist("text") if isinstance(v, str)]
    entry_id = str(form.get("entry_id") or "")
    try:
        await add_as_similar(db, staff.user, entry_id, texts, services_of(request).clock.now())
    except KbActionError as exc:
        await db.rollback()
        context = await base_context(request, db, staff, "missed")
        return render_html(
            "error.html", {**context, "message": exc.message, "back": "/console/missed"}, status_code=exc.status
        )
    await db.commit()
    return redirect(f"/console/faq/{entry_id}?done=similar")


async def prefill_from_group(request: Request, db: Db, text: str) -> tuple[EntryContent, list[str], list[str]]:
    """A new entry's form from a group: its wordings, and the staff answers of its tickets to start from."""
    report = await report_for(request, db)
    group = find_group(report.groups, text)
    wordings = group.texts
    answers = await ticket_answers(db, group.tickets)
    target = _target(request, group)
    category = ""
    if target is not None:
        try:
            category = services_of(request).knowledge.matcher.entry(target).category
        except KeyError:
            category = ""
    content = EntryContent(
        id="",
        category=category,
        question=wordings[0],
        answer=answers[0] if answers else "",
        similar=tuple(split_lines("\n".join(wordings[1:]))),
    )
    return content, wordings, answers
