"""Spreadsheet exports: the filtered queue and the monthly report, as .xlsx (read back with openpyxl) and as
CSV with a UTF-8 BOM; cells that would be formulas stay text; the report's figures against known tickets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tickets.models import Ticket
from tickets.spreadsheets import Table, Value, neutralise, to_csv, to_xlsx

BEIJING = ZoneInfo("Asia/Shanghai")
NASTY = ["=HYPERLINK(\"http://evil\",\"点我\")", "+86 123", "-1+2", "@SUM(A1)", "\tx", "正常文字", "a=b"]


def test_cells_never_become_formulas() -> None:
    assert [neutralise(v) for v in NASTY] == [
        "'=HYPERLINK(\"http://evil\",\"点我\")", "'+86 123", "'-1+2", "'@SUM(A1)", "'\tx", "正常文字", "a=b",
    ]  # fmt: skip
    rows: list[list[Value]] = [[v] for v in NASTY]
    table = Table("t", ["=head"], rows=[*rows, [-3], [0.5], ["bad\x01char"]])
    raw = to_csv(table, BEIJING)
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0] == ["'=head"] and lines[1][0].startswith("'=") and lines[6] == ["正常文字"]
    assert lines[8] == ["-3"]  # numbers are numbers, not text to neutralise
    sheet = load_workbook(io.BytesIO(to_xlsx([table], BEIJING))).active
    assert sheet is not None
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values[:8] == ["=head", *NASTY]  # kept exactly, as text
    assert values[-1] == "badchar"  # a control character Excel refuses is dropped, not an error
    for row in sheet.iter_rows(min_row=1, max_row=8):
        assert row[0].data_type == "s"


async def _ticket(services, n: int, **values) -> Ticket:  # type: ignore[no-untyped-def]
    created = values.pop("created")
    fields = {
        "number": f"Q{created:%Y%m%d}-{n:04d}",
        "openid": f"o_export_{n}",
        "source_key": f"export:{n}",
        "state": "open",
        "question": f"问题{n}",
        "created_at": created,
        "due_at": created + timedelta(days=2),
        **values,
    }
    async with services.sessions() as session:
        ticket = Ticket(**fields)
        session.add(ticket)
        await session.commit()
        return ticket


async def november(services) -> None:  # type: ignore[no-untyped-def]
    """Five tickets received in November 2026 (Beijing time) and one on 31 October."""
    day = datetime(2026, 11, 3, 2, tzinfo=UTC)
    await _ticket(
        services, 1, created=day, state="answered", department="rights", category="出入境",
        first_answered_at=day + timedelta(hours=3), answer="答复", rating=1, extension_count=1,
    )  # fmt: skip
    await _ticket(
        services, 2, created=day, state="answered", department="rights", category="法律",
        first_answered_at=day + timedelta(days=5), answer="迟到的答复", rating=3,
    )  # fmt: skip
    await _ticket(
        services, 3, created=day, state="closed", department="rights", category="出入境", referral="consulate",
    )  # fmt: skip
    await _ticket(services, 4, created=day, department="culture", category="教育")  # open, past due
    await _ticket(
        services, 5, created=datetime(2026, 11, 22, 15, tzinfo=UTC), category="其他",
        due_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )  # fmt: skip  (dispatcher's queue, not yet due)
    await _ticket(services, 6, created=datetime(2026, 10, 31, 16, 30, tzinfo=UTC), category="其他")  # 00:30 Beijing
    await _ticket(services, 7, created=datetime(2026, 10, 31, 15, 50, tzinfo=UTC), category="其他")  # 23:50 31 Oct


async def test_monthly_report_from_the_console(login, services) -> None:
    await november(services)
    sam = await login("sam")
    stats = await sam.http.get("/console/stats")
    assert 'action="/console/stats/monthly.xlsx"' in stats.text and 'value="2026-10"' in stats.text
    response = await sam.http.get("/console/stats/monthly.xlsx", params={"month": "2026-11"})
    assert response.status_code == 200
    assert "filename*=UTF-8''%E6%9C%88%E6%8A%A5-2026-11.xlsx" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["2026-11 按部门", "2026-11 按分类", "说明"]
    rows = {r[0]: r for r in book["2026-11 按部门"].iter_rows(values_only=True)}
    header = list(rows["部门"])
    assert header[:9] == ["部门", "受理量", "办结量", "按时办结率", "回复率", "延期数", "满意率", "评价数", "转介"]

    def fig(label: str, name: str) -> object:
        return rows[label][header.index(name)]

    assert [fig("权益保障部", n) for n in ("受理量", "办结量", "按时办结率", "回复率", "延期数", "满意率", "转介")] == [
        3, 2, 0.5, 1.0, 1, 0.5, 1,
    ]  # fmt: skip
    assert [fig("文化宣传部", n) for n in ("受理量", "办结量", "按时办结率", "回复率")] == [1, 0, 0.0, 0.0]
    assert [fig("分派员（未派单）", n) for n in ("受理量", "按时办结率", "回复率")] == [2, 0.0, 0.0]
    assert fig("经济科技部", "受理量") == 0  # every department is listed
    total = [fig("合计", n) for n in ("受理量", "办结量", "按时办结率", "回复率", "延期数", "满意率", "评价数", "转介")]
    assert total == [6, 2, pytest.approx(1 / 4), pytest.approx(2 / 5), 1, 0.5, 2, 1]
    categories = {r[0]: r[1] for r in book["2026-11 按分类"].iter_rows(values_only=True)}
    assert categories == {"分类": "受理量", "出入境": 2, "其他": 2, "教育": 1, "法律": 1, "合计": 6}
    csv_response = await sam.http.get("/console/stats/monthly.csv", params={"month": "2026-11"})
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    assert "部门,权益保障部,3,2,50.0%,100.0%,1,50.0%,2,1" in csv_response.content.decode("utf-8-sig")
    bad = await sam.http.get("/console/stats/monthly.xlsx", params={"month": "11/2026"})
    assert bad.status_code == 400 and "YYYY-MM" in bad.text


async def test_queue_export_holds_what_the_page_filters(login, services, make_ticket) -> None:
    wanted = await make_ticket('=HYPERLINK("http://evil","护照")，我的护照在马德里丢了')
    other = await make_ticket("护照到期", state="answered", answer="请预约", first_answered=services.clock.now())
    await make_ticket("房产继承")
    sam = await login("sam")
    response = await sam.http.get("/console/tickets/export.xlsx", params={"q": "护照", "state": "open"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content))["工单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "状态", "受理时间", "答复期限")
    assert [r[0] for r in rows[1:]] == [wanted.number]
    question = sheet.cell(row=2, column=rows[0].index("问题") + 1)
    assert question.value == wanted.question and question.data_type == "s"
    assert rows[1][2] == wanted.created_at.astimezone(BEIJING).replace(tzinfo=None, microsecond=0)
    everything = await sam.http.get("/console/tickets/export.csv", params={"q": "护照", "state": "all"})
    lines = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert sorted(r[0] for r in lines[1:]) == sorted([wanted.number, other.number])
    assert next(r for r in lines if r[0] == wanted.number)[8].startswith("'=HYPERLINK")
    assert (await sam.http.get("/console/tickets/export.pdf")).status_code == 400


def test_cli_writes_the_monthly_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from bot.cli import main
    from config.settings import get_settings

    for name in list(os.environ):
        if name.startswith("QIAOBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QIAOBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("QIAOBOT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
        out = tmp_path / "月报.xlsx"
        result = runner.invoke(main, ["tickets", "export", "--month", "2026-11", str(out)])
        assert result.exit_code == 0, result.output
        sheet = load_workbook(out)["2026-11 按部门"]
        assert [r[0] for r in sheet.iter_rows(values_only=True)][-1] == "合计"
        csv_out = tmp_path / "report.csv"
        assert runner.invoke(main, ["tickets", "export", "--month", "2026-11", str(csv_out)]).exit_code == 0
        assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
        bad = runner.invoke(main, ["tickets", "export", "--month", "2026-13", str(out)])
        assert bad.exit_code != 0 and "YYYY-MM" in bad.output
        wrong = runner.invoke(main, ["tickets", "export", "--month", "2026-11", str(tmp_path / "x.pdf")])
        assert wrong.exit_code != 0 and ".xlsx or .csv" in wrong.output
    finally:
        get_settings.cache_clear()
