"""The knowledge base in the console: list and search entries, edit one (a draft), its history with diffs
and restore. The drafts page, where a supervisor sees the KB check and publishes, is console/pages/faq_drafts.py.
Calls ``knowledge/``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.common import base_context, redirect
from console.rendering import render_html
from console.sessions import StaffSession
from knowledge.content import EntryContent, PolicySource
from knowledge.drafts import (
    DraftConflict,
    KbActionError,
    draft_for,
    list_drafts,
    restore_draft,
    retire_draft,
    save_draft,
)
from knowledge.editing import EditError, parse_day, split_lines
from knowledge.history import diff
from knowledge.menu import menu_categories
from knowledge.missed_log import mark_resolved
from knowledge.publishing import mark_reviewed
from knowledge.review import REASON_TEXT, review_due
from knowledge.review_due import this_month
from knowledge.store import entry_history, published

router = APIRouter(prefix="/console/faq", include_in_schema=False)

DONE = {
    "draft": "草稿已保存，主管发布后生效。",
    "retire": "已提交下线草稿，主管发布后生效。",
    "restore": "已按所选版本生成草稿，主管发布后生效。",
    "published": "已发布，几秒内所有进程生效。",
    "discarded": "草稿已放弃。",
    "reviewed": "已确认审核。",
    "similar": "已把这些问法加为相似问（草稿），主管发布后生效。",
}
ACTION_LABELS = {
    "create": "新建",
    "edit": "修改",
    "retire": "下线",
    "restore": "恢复",
    "review": "确认审核",
    "outside": "外部导入",
    "save": "修改",
}


async def faq_context(request: Request, db: Db, staff: StaffSession, **extra: Any) -> dict[str, Any]:
    context = await base_context(request, db, staff, "faq")
    done = request.query_params.get("done")
    if done in DONE:
        context["flash"] = DONE[done]
    return {**context, "ACTION_LABELS": ACTION_LABELS, "REASON_TEXT": REASON_TEXT, **extra}


def faq_services(request: Request) -> tuple[Any, Any]:
    services = services_of(request)
    return services, services.settings


@router.get("")
async def faq_list(
    request: Request,
    db: Db,
    staff: PageStaff,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    review: Annotated[str, Query(pattern="^(|due|expired|ok)$")] = "",
    source: Annotated[str, Query(pattern="^(|with|without)$")] = "",
) -> Response:
    services, settings = faq_services(request)
    today = services.clock.now().astimezone(settings.tz).date()
    _, entries = await published(db)
    drafts = {view.draft.entry_id: view for view in await list_drafts(db)}
    rows = []
    for entry in entries:
        due = review_due(entry, today, settings.kb_review_months)
        if q and not any(
            q.lower() in text.lower() for text in (entry.id, entry.question, entry.answer, *entry.similar)
        ):
            continue
        if category and entry.category != category:
            continue
        if (review == "due" and due is None) or (review == "ok" and due is not None):
            continue
        if review == "expired" and (due is None or "expired" not in due.reasons):
            continue
        if (source == "with" and entry.source.empty) or (source == "without" and not entry.source.empty):
            continue
        rows.append({"entry": entry, "due": due, "draft": drafts.get(entry.id)})
    new_drafts = [view for view in drafts.values() if view.current is None]
    categories = sorted({e.category for e in entries})
    context = await faq_context(
        request,
        db,
        staff,
        rows=rows,
        total=len(entries),
        categories=categories,
        drafts=len(drafts),
        new_drafts=new_drafts,
        filters={"q": q, "category": category, "review": review, "source": source},
    )
    return render_html("faq_list.html", context)


def _content_from_form(form: dict[str, str], entry_id: str) -> EntryContent:
    try:
        source = PolicySource(
            authority=form.get("source_authority", ""),
            title=form.get("source_title", ""),
            number=form.get("source_number", ""),
            url=form.get("source_url", ""),
            effective_on=parse_day(form.get("effective_on", ""), "生效日期"),
            expires_on=parse_day(form.get("expires_on", ""), "失效日期"),
        )
    except EditError as exc:
        raise KbActionError(exc.message) from None
    return EntryContent(
        id=entry_id.strip(),
        category=form.get("category", ""),
        question=form.get("question", ""),
        answer=form.get("answer", ""),
        similar=split_lines(form.get("similar", "")),
        keywords=split_lines(form.get("keywords", "")),
        reviewed=form.get("reviewed") or None,
        answer_hant=form.get("answer_hant", ""),
        source=source,
    )


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def _edit_page(
    request: Request,
    db: Db,
    staff: StaffSession,
    content: EntryContent | None,
    *,
    new: bool,
    error: str | None = None,
    resolves: list[str] | None = None,
    answers: list[str] | None = None,
    status_code: int = 200,
    draft_version: int | None = None,
    conflict: DraftConflict | None = None,
) -> Response:
    """``draft_version``: the draft version the form goes back with (the one the editor started from, so a
    save by someone else meanwhile is still caught); by default the draft's as it stands now."""
    services, settings = faq_services(request)
    today = services.clock.now().astimezone(settings.tz).date()
    current = None
    draft = None
    if not new and content is not None:
        _, entries = await published(db)
        current = next((e for e in entries if e.id == content.id), None)
    if content is not None and content.id:
        draft = await draft_for(db, content.id)
    conflict_changes = None
    if conflict is not None:
        retiring = conflict.other is None or conflict.other_action == "retire"
        theirs = None if retiring or conflict.other is None else EntryContent.from_json(conflict.other)
        conflict_changes = diff(theirs, content)
    context = await faq_context(
        request,
        db,
        staff,
        entry=content,
        current=current,
        draft=draft,
        new=new,
        due=review_due(current, today, settings.kb_review_months) if current else None,
        categories=sorted({c for _, group in menu_categories() for c in group}),
        resolves=resolves or [],
        answers=answers or [],
        draft_version=(draft.version if draft is not None else 0) if draft_version is None else draft_version,
        conflict=conflict,
        conflict_changes=conflict_changes,
    )
    if error:
        context["error"] = error
    return render_html("faq_entry.html", context, status_code=status_code)


@router.get("/new")
async def new_entry_page(request: Request, db: Db, staff: PageStaff, missed: str = "") -> Response:
    """``missed``: a group's wording on the missed page; the form starts from the group (and a staff answer)."""
    if not missed:
        return await _edit_page(request, db, staff, None, new=True)
    from console.pages.missed import prefill_from_group

    content, resolves, answers = await prefill_from_group(request, db, missed)
    return await _edit_page(request, db, staff, content, new=True, resolves=resolves, answers=answers)


@router.post("/new")
async def new_entry_form(request: Request, db: Db, staff: PageWrite) -> Response:
    form = await _form_fields(request)
    now = services_of(request).clock.now()
    resolves = split_lines(form.get("resolves", ""))
    expected = _version_of(form)
    try:
        content = _content_from_form(form, form.get("id", ""))
        await save_draft(
            db, staff.user, content, now, new_entry=True, note=form.get("note", ""), expected_version=expected
        )
        if resolves:
            await mark_resolved(db, resolves, content.id, staff.user, now)
    except KbActionError as exc:
        await db.rollback()
        conflict = exc if isinstance(exc, DraftConflict) else None
        return await _edit_page(
            request,
            db,
            staff,
            _loose(form),
            new=True,
            error=exc.message,
            resolves=list(resolves),
            status_code=exc.status,
            draft_version=conflict.other_version if conflict else expected,
            conflict=conflict,
        )
    await db.commit()
    return redirect(f"/console/faq/{content.id}?done=draft")


def _version_of(form: dict[str, str]) -> int | None:
    """The draft version the form was opened on (0: no draft then; None: a client that does not say)."""
    value = form.get("draft_version", "")
    return int(value) if value.isdigit() else None


def _loose(form: dict[str, str]) -> EntryContent:
    """What was typed, unchecked, to show again with the error."""
    try:
        return _content_from_form(form, form.get("id", ""))
    except KbActionError:
        return _content_from_form({**form, "effective_on": "", "expires_on": ""}, form.get("id", ""))


@router.get("/{entry_id}")
async def entry_page(request: Request, db: Db, staff: PageStaff, entry_id: str) -> Response:
    draft = await draft_for(db, entry_id)
    if draft is not None and draft.action != "retire":
        return await _edit_page(request, db, staff, EntryContent.from_json(draft.content), new=False)
    _, entries = await published(db)
    found = next((e for e in entries if e.id == entry_id), None)
    if found is None:
        context = await faq_context(request, db, staff, message=f"没有 id 为 {entry_id} 的问答", back="/console/faq")
        return render_html("error.html", context, status_code=404)
    return await _edit_page(request, db, staff, found, new=False)


@router.post("/{entry_id}")
async def entry_form(request: Request, db: Db, staff: PageWrite, entry_id: str) -> Response:
    form = await _form_fields(request)
    now = services_of(request).clock.now()
    expected = _version_of(form)
    try:
        content = _content_from_form(form, entry_id)
        await save_draft(db, staff.user, content, now, note=form.get("note", ""), expected_version=expected)
    except KbActionError as exc:
        await db.rollback()
        conflict = exc if isinstance(exc, DraftConflict) else None
        return await _edit_page(
            request,
            db,
            staff,
            _loose({**form, "id": entry_id}),
            new=False,
            error=exc.message,
            status_code=exc.status,
            draft_version=conflict.other_version if conflict else expected,
            conflict=conflict,
        )
    await db.commit()
    return redirect(f"/console/faq/{entry_id}?done=draft")


async def _entry_action(
    request: Request, db: Db, staff: StaffSession, entry_id: str, done: str, action: Any
) -> Response:
    try:
        await action()
    except KbActionError as exc:
        await db.rollback()
        context = await faq_context(request, db, staff, message=exc.message, back=f"/console/faq/{entry_id}")
        return render_html("error.html", context, status_code=exc.status)
    await db.commit()
    if done == "reviewed":
        await services_of(request).knowledge.refresh()
    return redirect(f"/console/faq/{entry_id}?done={done}")


@router.post("/{entry_id}/retire")
async def retire_form(request: Request, db: Db, staff: PageWrite, entry_id: str) -> Response:
    now = services_of(request).clock.now()
    return await _entry_action(
        request, db, staff, entry_id, "retire", lambda: retire_draft(db, staff.user, entry_id, now)
    )


@router.post("/{entry_id}/reviewed")
async def reviewed_form(request: Request, db: Db, staff: PageWrite, entry_id: str) -> Response:
    services, settings = faq_services(request)
    now = services.clock.now()
    return await _entry_action(
        request,
        db,
        staff,
        entry_id,
        "reviewed",
        lambda: mark_reviewed(
            db, staff.user, entry_id, menu=menu_categories(), month=this_month(now, settings.tz), now=now
        ),
    )


@router.get("/{entry_id}/history")
async def history_page(request: Request, db: Db, staff: PageStaff, entry_id: str) -> Response:
    from knowledge.store import sync_outside_changes

    await sync_outside_changes(db, services_of(request).clock.now())
    await db.commit()
    revisions = await entry_history(db, entry_id)
    items = []
    for index, rev in enumerate(revisions):
        older = revisions[index + 1] if index + 1 < len(revisions) else None
        before = EntryContent.from_json(older.content) if older is not None and older.content else None
        after = EntryContent.from_json(rev.content) if rev.content else None
        items.append({"rev": rev, "changes": diff(before, after)})
    context = await faq_context(request, db, staff, entry_id=entry_id, items=items)
    return render_html("faq_history.html", context)


@router.post("/{entry_id}/restore")
async def restore_form(
    request: Request, db: Db, staff: PageWrite, entry_id: str, number: Annotated[int, Form(ge=1)]
) -> Response:
    now = services_of(request).clock.now()
    return await _entry_action(
        request, db, staff, entry_id, "restore", lambda: restore_draft(db, staff.user, entry_id, number, now)
    )
