"""Pure KB-upkeep rules: the diff between versions, review-due flags, the 依据 line, what counts as missed
and how missed messages group."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.commands import command_of
from knowledge.content import EntryContent, PolicySource
from knowledge.editing import EditError, checked, split_lines
from knowledge.history import diff
from knowledge.missed import LogRow, exchanges, group_missed, kb_figures, missed_messages, week_start
from knowledge.review import all_review_due, review_due
from knowledge.sources import basis_line

TZ = ZoneInfo("Asia/Shanghai")
ENTRY = EntryContent(
    id="passport-lost",
    category="出入境",
    question="在国外护照丢了怎么办？",
    answer="先报警。\n再联系使领馆。",
    similar=("护照丢了",),
    reviewed="2026-01",
)


def _is_human(text: str) -> bool:
    return command_of(text) == "human"


def test_diff_names_changed_fields_with_line_changes() -> None:
    new = EntryContent(
        **{**ENTRY.__dict__, "answer": "先报警。\n再通过中国领事APP申请。", "similar": ("护照丢了", "护照被偷")}
    )
    changes = {c.field: c for c in diff(ENTRY, new)}
    assert set(changes) == {"answer", "similar"}
    answer = [(line.kind, line.text) for line in changes["answer"].lines]
    assert ("same", "先报警。") in answer
    assert ("removed", "再联系使领馆。") in answer and ("added", "再通过中国领事APP申请。") in answer
    assert [(line.kind, line.text) for line in changes["similar"].lines if line.kind != "same"] == [
        ("added", "护照被偷")
    ]
    assert diff(ENTRY, ENTRY) == []
    assert {c.field for c in diff(None, ENTRY)} >= {"question", "answer", "category"}


def test_review_due_flags_expired_stale_and_never_reviewed() -> None:
    today = date(2026, 12, 1)
    assert review_due(ENTRY, today, 12) is None  # reviewed 11 months ago
    stale = review_due(ENTRY, today, 11)
    assert stale is not None and stale.reasons == ("stale",)
    expired = EntryContent(**{**ENTRY.__dict__, "source": PolicySource(expires_on=date(2026, 12, 1))})
    flagged = review_due(expired, today, 12)
    assert flagged is not None and flagged.reasons == ("expired",) and flagged.text == "政策已失效"
    assert (
        review_due(
            EntryContent(**{**expired.__dict__, "source": PolicySource(expires_on=date(2026, 12, 2))}), today, 12
        )
        is None
    )
    never = EntryContent(**{**ENTRY.__dict__, "id": "never", "reviewed": None})
    assert [d.entry.id for d in all_review_due([never, expired, ENTRY], today, 12)] == ["passport-lost", "never"]


def test_basis_line() -> None:
    source = PolicySource(
        authority="国家移民管理局",
        title="关于优化出入境证件办理的公告",
        number="2024年第1号",
        url="https://www.nia.gov.cn/",
        effective_on=date(2024, 1, 1),
    )
    assert (
        basis_line(source) == "依据：国家移民管理局《关于优化出入境证件办理的公告》（2024年第1号），2024年1月1日起施行"
    )
    assert basis_line(PolicySource(url="https://example.org/")) == ""


def test_checked_refuses_bad_edits_with_reasons() -> None:
    with pytest.raises(EditError, match="id"):
        checked(EntryContent(**{**ENTRY.__dict__, "id": "Bad Id"}))
    with pytest.raises(EditError, match="answer"):
        checked(EntryContent(**{**ENTRY.__dict__, "answer": "  "}))
    with pytest.raises(EditError, match="失效日期"):
        checked(
            EntryContent(
                **{**ENTRY.__dict__, "source": PolicySource(effective_on=date(2025, 1, 1), expires_on=date(2024, 1, 1))}
            )
        )
    with pytest.raises(EditError, match="链接"):
        checked(EntryContent(**{**ENTRY.__dict__, "source": PolicySource(url="javascript:alert(1)")}))
    assert split_lines("a\n a \n\nb|a") == ("a", "b")


def _pair(rows: list[LogRow], n: int, openid: str, at: datetime, text: str, meta: dict[str, object]) -> None:
    rows.append(LogRow(openid, "in", f"k{n}:in", text, {"dedupe": f"k{n}"}, at))
    rows.append(LogRow(openid, "out", f"k{n}:out", "reply", meta, at))


def test_missed_messages_and_groups() -> None:
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rows: list[LogRow] = []
    # Two users hand over the same question in different words; one asks "人工" directly (not a miss).
    _pair(rows, 1, "u1", t0, "海外出生的孩子怎么上户口", {"decision": "handover", "ticket": "Q1"})
    _pair(
        rows, 2, "u2", t0 + timedelta(hours=1), "海外出生的孩子怎样上户口？", {"decision": "handover", "ticket": "Q2"}
    )
    _pair(rows, 3, "u3", t0, "人工", {"decision": "handover", "ticket": "Q3"})
    # A choice list the user ignored, and one the user picked from.
    _pair(rows, 4, "u4", t0, "签证", {"decision": "suggest", "suggestions": ["a", "b"]})
    _pair(rows, 5, "u4", t0 + timedelta(minutes=1), "今天天气", {"decision": "handover"})
    _pair(rows, 6, "u5", t0, "签证", {"decision": "suggest", "suggestions": ["a", "b"]})
    _pair(rows, 7, "u5", t0 + timedelta(minutes=1), "2", {"decision": "answer", "faq_id": "b"})
    # An answer followed by 人工 within the window, one followed much later, one called 没用.
    _pair(rows, 8, "u6", t0, "护照丢了", {"decision": "answer", "faq_id": "passport-lost"})
    _pair(rows, 9, "u6", t0 + timedelta(minutes=3), "转人工", {"decision": "handover", "ticket": "Q9"})
    _pair(rows, 10, "u7", t0, "护照丢了", {"decision": "answer", "faq_id": "passport-lost"})
    _pair(rows, 11, "u7", t0 + timedelta(hours=3), "人工", {"decision": "handover", "ticket": "Q11"})
    # Asked whether to pass it on, or queued during a database outage: handed over all the same.
    _pair(rows, 14, "u9", t0, "海外出生的孩子怎么上户口呢", {"decision": "confirm_handover"})
    _pair(rows, 15, "u10", t0, "孩子在海外出生怎么上户口", {"decision": "handover_deferred"})
    _pair(rows, 12, "u8", t0, "护照丢了怎么办", {"decision": "answer", "faq_id": "passport-lost"})
    _pair(rows, 13, "u8", t0 + timedelta(minutes=1), "没用", {"decision": "feedback", "helpful": False})
    conversation = exchanges(rows)
    missed = missed_messages(conversation, _is_human, timedelta(minutes=10))
    kinds = sorted((m.kind, m.text) for m in missed)
    assert kinds == [
        ("answer_then_human", "护照丢了"),
        ("handover", "今天天气"),
        ("handover", "孩子在海外出生怎么上户口"),
        ("handover", "海外出生的孩子怎么上户口"),
        ("handover", "海外出生的孩子怎么上户口呢"),
        ("handover", "海外出生的孩子怎样上户口？"),
        ("suggest_unpicked", "签证"),
        ("unhelpful", "护照丢了怎么办"),
    ]
    groups = group_missed(missed)
    hukou = next(g for g in groups if "户口" in g.text)
    assert hukou.count == 4 and hukou.tickets == ["Q1", "Q2"]  # word order changed: still one group
    passport = next(g for g in groups if "护照" in g.text)
    assert passport.count == 2 and passport.faq_ids == ["passport-lost"]
    weeks = [week_start(t0, TZ) - timedelta(days=7), week_start(t0, TZ)]
    assert hukou.weekly(weeks, TZ) == [0, hukou.count]

    figures = kb_figures(conversation, missed, weeks, TZ)
    assert figures.most_answered[0] == ("passport-lost", 3)
    assert figures.most_followed_by_human == [("passport-lost", 1)]
    this_week = figures.weeks[1]
    assert (this_week.answered, this_week.suggested, this_week.handed_over) == (4, 2, 8)
