"""回访 replies: what counts as a rating, and the 满意率 figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tickets.satisfaction import parse_rating
from tickets.satisfaction_stats import RatedAnswer, summarize_satisfaction
from tickets.sla import BEIJING


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1", (1, "")),
        (" ２ ", (2, "")),
        ("３", (3, "")),
        ("3 材料清单还是不清楚", (3, "材料清单还是不清楚")),
        ("3、没有回答我的问题", (3, "没有回答我的问题")),
        ("3不满意", (3, "不满意")),
        ("12", None),
        ("1a", None),
        ("4", None),
        ("满意", None),
        ("", None),
    ],
)
def test_what_counts_as_a_rating(text: str, parsed: tuple[int, str] | None) -> None:
    assert parse_rating(text) == parsed


def test_satisfaction_rate_by_week_department_and_staff() -> None:
    monday = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    last_week = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
    rows = [
        RatedAnswer(monday, 1, "rights", "alice"),
        RatedAnswer(monday, 3, "rights", "alice"),
        RatedAnswer(monday, 2, "economy", "bob"),
        RatedAnswer(last_week, 3, None, "bob"),
    ]
    names = {"rights": "权益保障部", "economy": "经济科技部"}
    result = summarize_satisfaction(rows, BEIJING, date(2026, 11, 16), 2, lambda code: names.get(code or "", "分派员"))
    assert result.total.rated == 4 and result.total.rate == 0.5
    assert [(g.label, g.rated, g.rate) for g in result.by_week] == [("11/16", 1, 0.0), ("11/23", 3, 2 / 3)]
    assert {(g.label, g.rate) for g in result.by_department} == {
        ("权益保障部", 0.5),
        ("经济科技部", 1.0),
        ("分派员", 0.0),
    }
    assert {(g.label, g.rated, g.rate) for g in result.by_staff} == {("alice", 2, 0.5), ("bob", 2, 0.5)}
