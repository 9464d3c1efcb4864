"""Sends and jobs that need a person: retry or confirm a delivery, retry a failed job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, PageWrite, services_of
from console.pages.common import base_context, error_page, redirect
from console.rendering import render_html
from delivery.admin import (
    confirm_delivery,
    failed_jobs,
    problem_deliveries,
    requeue_delivery,
    retry_delivery,
    retry_job,
)
from staff.errors import StaffActionError

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/deliveries")
async def deliveries_page(request: Request, db: Db, staff: PageStaff) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "deliveries")
    return render_html(
        "deliveries.html",
        {
            **context,
            "deliveries": await problem_deliveries(db),
            "jobs": await failed_jobs(services.queue),
        },
    )


@router.post("/deliveries/{delivery_id}/retry")
async def delivery_retry(request: Request, db: Db, staff: PageWrite, delivery_id: int) -> Response:
    services = services_of(request)
    try:
        await retry_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return error_page(await base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    await db.commit()
    await requeue_delivery(services.deliveries, services.queue, delivery_id)
    return redirect("/console/deliveries?done=retried")


@router.post("/deliveries/{delivery_id}/confirm")
async def delivery_confirm(request: Request, db: Db, staff: PageWrite, delivery_id: int) -> Response:
    services = services_of(request)
    try:
        await confirm_delivery(services.deliveries, db, staff.user, delivery_id, services.clock.now())
    except StaffActionError as exc:
        await db.rollback()
        return error_page(await base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    await db.commit()
    return redirect("/console/deliveries?done=confirmed")


@router.post("/jobs/retry")
async def job_retry(
    request: Request, db: Db, staff: PageWrite, job_id: Annotated[str, Form(max_length=200)]
) -> Response:
    try:
        await retry_job(services_of(request).queue, staff.user, job_id)
    except StaffActionError as exc:
        return error_page(await base_context(request, db, staff, "deliveries"), exc, "/console/deliveries")
    return redirect("/console/deliveries?done=retried")
