"""Downloads: the queue as the page filters it (``/console/tickets/export.xlsx`` or ``.csv``) and the monthly
report by department and category (``/console/stats/monthly.xlsx?month=2026-11`` or ``.csv``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from console.deps import Db, PageStaff, services_of
from console.pages.common import base_context, error_page
from console.pages.queue_query import QueueQuery, queue_query
from console.pages.routing_view import book_or_none, names_of
from staff.accounts import display_names
from staff.errors import StaffActionError
from tickets.calendar_source import current_calendar
from tickets.departments import DISPATCHER_LABEL
from tickets.monthly_report import monthly_report, parse_month, report_csv_table, report_tables
from tickets.queue_export import queue_table
from tickets.spreadsheets import CSV_TYPE, XLSX_TYPE, to_csv, to_xlsx

router = APIRouter(prefix="/console", include_in_schema=False)


def _download(content: bytes, filename: str, media_type: str) -> Response:
    # RFC 6266 / 5987: an ASCII fallback name and the UTF-8 one for browsers that read it.
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


async def _namers(request: Request, db: Db) -> tuple[Callable[[str | None], str], Callable[[str | None], str]]:
    book, _ = await book_or_none(db, services_of(request).settings.departments_path)
    names = names_of(book)
    people = await display_names(db)

    def department(code: str | None) -> str:
        return names.get(code, code) if code else DISPATCHER_LABEL

    def person(username: str | None) -> str:
        return people.get(username or "", username or "")

    return department, person


@router.get("/tickets/export.{kind}")
async def queue_export(
    request: Request,
    db: Db,
    staff: PageStaff,
    kind: str,
    query: Annotated[QueueQuery, Depends(queue_query)],
) -> Response:
    services = services_of(request)
    if kind not in ("xlsx", "csv"):
        context = await base_context(request, db, staff, "queue")
        return error_page(context, StaffActionError("只能导出 xlsx 或 csv"), "/console/tickets")
    now = services.clock.now()
    filters = await query.to_filter(db, staff.user, services.settings.tz)
    department, person = await _namers(request, db)
    table = await queue_table(db, filters, now, department, person)
    name = f"工单-{now.astimezone(services.settings.tz):%Y%m%d-%H%M}.{kind}"
    if kind == "csv":
        return _download(to_csv(table, services.settings.tz), name, CSV_TYPE)
    return _download(to_xlsx([table], services.settings.tz), name, XLSX_TYPE)


@router.get("/stats/monthly.{kind}")
async def monthly_export(
    request: Request, db: Db, staff: PageStaff, kind: str, month: Annotated[str, Query(max_length=7)] = ""
) -> Response:
    services = services_of(request)
    context = await base_context(request, db, staff, "stats")
    try:
        first = parse_month(month)
    except ValueError as exc:
        return error_page(context, StaffActionError(str(exc)), "/console/stats")
    if kind not in ("xlsx", "csv"):
        return error_page(context, StaffActionError("只能导出 xlsx 或 csv"), "/console/stats")
    book, _ = await book_or_none(db, services.settings.departments_path)
    department, _person = await _namers(request, db)
    order = [*(d.code for d in book.departments), None] if book is not None else []
    report = await monthly_report(
        db, first, services.clock.now(), services.settings.tz, department, order, current_calendar(services.settings)
    )
    name = f"月报-{first:%Y-%m}.{kind}"
    if kind == "csv":
        return _download(to_csv(report_csv_table(report), services.settings.tz), name, CSV_TYPE)
    return _download(to_xlsx(report_tables(report), services.settings.tz), name, XLSX_TYPE)
