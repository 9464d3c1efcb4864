"""Finding and reporting in a real browser: a supervisor searches the queue for words of a WeChat question,
downloads the filtered queue and the month's report, and the workbooks (opened with openpyxl) hold exactly
the tickets searched for and the month's figures."""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from config.settings import CONFIG_DIR
from storage.db import create_sync_engine
from tests.console.test_console_browser import CHROMIUM, CHROMIUM_ARGS, _say, pytestmark
from tests.console.test_loop_browser import SEARCH_FOR_FAMILY, _login, _ticket, loop_server
from tickets.departments import DISPATCHER_LABEL
from tickets.models import Ticket

__all__ = ["loop_server", "pytestmark"]


def _other_ticket(database_url: str) -> Ticket:
    """A ticket that must not be found: another user's, about something else."""
    now = datetime.now(UTC)
    engine = create_sync_engine(database_url)
    with Session(engine) as session:
        ticket = Ticket(
            number=f"Q{now:%Y%m%d}-9901",
            openid="o_other_" + secrets.token_hex(4),
            source_key="test:other",
            question="房产继承需要办理哪些公证",
            created_at=now - timedelta(minutes=5),
            due_at=now + timedelta(days=2),
            category="法律",
            department="rights",
        )
        session.add(ticket)
        session.commit()
        session.refresh(ticket)
    engine.dispose()
    return ticket


def _department_name(code: str | None) -> str:
    """The name the exports show for a department code; where the ticket was routed is the FAQ's business
    (its category comes from the suggestions), so this test reads it instead of assuming it."""
    departments = yaml.safe_load((CONFIG_DIR / "departments.yaml").read_text(encoding="utf-8"))["departments"]
    names = {d["code"]: d["name"] for d in departments}
    return str(names[code]) if code else DISPATCHER_LABEL


def test_search_and_exports_in_the_browser(loop_server, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    base, _fake = loop_server
    openid = "o_find_" + secrets.token_hex(6)
    _say(base, openid, SEARCH_FOR_FAMILY)
    wanted = _ticket(database_url, openid)
    other = _other_ticket(database_url)
    wanted_department = _department_name(wanted.department)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            _login(page, base, "sam")
            assert other.number in page.inner_text("table.queue")
            page.fill("input[name=q]", "印尼 爷爷")
            page.select_option("select[name=state]", "all")
            page.click("form.filters button[type=submit]")
            page.wait_for_url("**q=**")
            rows = page.inner_text("table.queue")
            assert wanted.number in rows and other.number not in rows
            assert page.input_value("input[name=q]") == "印尼 爷爷"  # the box keeps what was searched

            with page.expect_download() as queue_download:
                page.click("a.export")
            queue_file = tmp_path / queue_download.value.suggested_filename
            queue_download.value.save_as(queue_file)
            assert queue_file.suffix == ".xlsx" and queue_file.name.startswith("工单-")
            sheet = load_workbook(queue_file)["工单"]
            table = list(sheet.iter_rows(values_only=True))
            header = list(table[0])
            assert [r[0] for r in table[1:]] == [wanted.number]
            assert table[1][header.index("问题")] == SEARCH_FOR_FAMILY
            assert table[1][header.index("部门")] == wanted_department

            page.goto(f"{base}/console/stats")
            month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")  # the hotline's month
            page.fill("input[name=month]", month)
            with page.expect_download() as report_download:
                page.click("form.monthly-export button[type=submit]:not([formaction])")
            report_file = tmp_path / report_download.value.suggested_filename
            report_download.value.save_as(report_file)
            book = load_workbook(report_file)
            by_department = {r[0]: r for r in book[f"{month} 按部门"].iter_rows(values_only=True)}
            expected = Counter([wanted_department, "权益保障部"])
            for name, count in expected.items():
                assert by_department[name][1] == count, name
            assert by_department["合计"][1] == 2
        finally:
            browser.close()
