"""The knowledge base's drafts page: every unpublished change with its diff, the KB check a publish runs, and
the supervisor's publish and discard. Calls ``knowledge/``; a publish reaches this process at once and the
others within their poll interval."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite
from console.pages.common import redirect
from console.pages.faq import faq_context, faq_services
from console.rendering import render_html
from knowledge.drafts import KbActionError, discard_draft, list_drafts
from knowledge.history import diff
from knowledge.lint import KIND_TEXT as LINT_LABELS
from knowledge.menu import menu_categories
from knowledge.publishing import plan_publish, publish
from knowledge.review_due import this_month

router = APIRouter(prefix="/console/faq", include_in_schema=False)


@router.get("/drafts")
async def drafts_page(request: Request, db: Db, staff: PageStaff) -> Response:
    services, settings = faq_services(request)
    now = services.clock.now()
    views = await list_drafts(db)
    plan = None
    error = None
    if views:
        try:
            plan = await plan_publish(
                db, [v.draft.id for v in views], menu_categories(), this_month(now, settings.tz), now
            )
        except KbActionError as exc:
            error = exc.message
        await db.commit()  # outside changes recorded by the check's history sync
    items = [{"view": v, "changes": diff(v.current, v.content)} for v in views]
    stale = {v.draft.id for v in plan.stale} if plan else set()
    context = await faq_context(request, db, staff, items=items, plan=plan, stale=stale, LINT_LABELS=LINT_LABELS)
    if error:
        context["error"] = error
    return render_html("faq_drafts.html", context)


@router.post("/drafts/publish")
async def publish_form(request: Request, db: Db, staff: PageWrite) -> Response:
    services, settings = faq_services(request)
    form = await request.form()
    ids = [int(v) for v in form.getlist("draft") if isinstance(v, str) and v.isdigit()]
    version = str(form.get("version") or "")
    now = services.clock.now()
    try:
        await publish(
            db,
            staff.user,
            ids,
            menu=menu_categories(),
            month=this_month(now, settings.tz),
            now=now,
            acknowledged=form.get("acknowledged") == "1",
            expected_version=int(version) if version.isdigit() else None,
        )
    except KbActionError as exc:
        await db.rollback()
        context = await faq_context(request, db, staff, message=exc.message, back="/console/faq/drafts")
        return render_html("error.html", context, status_code=exc.status)
    await db.commit()
    await services.knowledge.refresh()  # this process at once; the others within their poll interval
    return redirect("/console/faq/drafts?done=published")


@router.post("/drafts/{draft_id}/discard")
async def discard_form(request: Request, db: Db, staff: PageWrite, draft_id: int) -> Response:
    try:
        await discard_draft(db, staff.user, draft_id)
    except KbActionError as exc:
        await db.rollback()
        context = await faq_context(request, db, staff, message=exc.message, back="/console/faq/drafts")
        return render_html("error.html", context, status_code=exc.status)
    await db.commit()
    return redirect("/console/faq/drafts?done=discarded")
