"""满意率 (satisfied or basically satisfied ÷ rated) by week of the rating, by department and by the staff
member whose answer was rated."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import Ticket
from tickets.stat_sql import week_bounds, week_index
from tickets.stats import week_start


@dataclass(frozen=True)
class RatedAnswer:
    rated_at: datetime
    rating: int
    department: str | None
    answered_by: str | None


@dataclass(frozen=True)
class SatisfactionGroup:
    label: str
    rated: int
    satisfied: int  # 满意
    basically: int  # 基本满意
    unsatisfied: int  # 不满意

    @property
    def rate(self) -> float | None:
        return (self.satisfied + self.basically) / self.rated if self.rated else None


@dataclass(frozen=True)
class Satisfaction:
    total: SatisfactionGroup
    by_week: list[SatisfactionGroup]
    by_department: list[SatisfactionGroup]
    by_staff: list[SatisfactionGroup]


def _group(label: str, rows: Iterable[RatedAnswer]) -> SatisfactionGroup:
    scores = [r.rating for r in rows]
    return SatisfactionGroup(label, len(scores), scores.count(1), scores.count(2), scores.count(3))


def _by(rows: Sequence[RatedAnswer], key: Callable[[RatedAnswer], str]) -> list[SatisfactionGroup]:
    groups: dict[str, list[RatedAnswer]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return sorted((_group(label, items) for label, items in groups.items()), key=lambda g: (-g.rated, g.label))


def summarize_satisfaction(
    rows: Sequence[RatedAnswer], tz: tzinfo, first_week: date, weeks: int, department_name: Callable[[str | None], str]
) -> Satisfaction:
    week_rows: dict[date, list[RatedAnswer]] = {first_week + timedelta(weeks=i): [] for i in range(weeks)}
    for row in rows:
        week_rows.setdefault(week_start(row.rated_at, tz), []).append(row)
    return Satisfaction(
        total=_group("合计", rows),
        by_week=[_group(f"{start.month}/{start.day}", week_rows[start]) for start in sorted(week_rows)],
        by_department=_by(rows, lambda r: department_name(r.department)),
        by_staff=_by(rows, lambda r: r.answered_by or "—"),
    )


async def satisfaction_stats(
    session: AsyncSession, now: datetime, tz: tzinfo, weeks: int, department_name: Callable[[str | None], str]
) -> Satisfaction:
    """``summarize_satisfaction`` over the period, counted by the database by week, rating, department and
    staff member."""
    weeks = min(max(1, weeks), 104)
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    bounds = week_bounds(first, weeks, tz)
    rated = (Ticket.rated_at >= bounds[0], Ticket.rating.is_not(None), Ticket.merged_into.is_(None))
    t = (
        select(week_index(Ticket.rated_at, bounds).label("week"), Ticket.rating, Ticket.department, Ticket.answered_by)
        .where(*rated)
        .subquery()
    )
    cells = (
        await session.execute(
            select(t.c.week, t.c.rating, t.c.department, t.c.answered_by, func.count()).group_by(
                t.c.week, t.c.rating, t.c.department, t.c.answered_by
            )
        )
    ).all()
    if any(cell[0] is None for cell in cells):  # rated after this week: only a wrong clock does that
        result = await session.execute(
            select(Ticket.rated_at, Ticket.rating, Ticket.department, Ticket.answered_by).where(*rated)
        )
        rows = [
            RatedAnswer(rated_at, rating, department, answered_by)
            for rated_at, rating, department, answered_by in result.all()
            if rated_at is not None and rating is not None
        ]
        return summarize_satisfaction(rows, tz, first, weeks, department_name)
    week_counts: list[Counter[int]] = [Counter() for _ in range(weeks)]
    department_counts: dict[str, Counter[int]] = {}
    staff_counts: dict[str, Counter[int]] = {}
    total: Counter[int] = Counter()
    for week, rating, department, answered_by, count in cells:
        for counter in (
            week_counts[week],
            department_counts.setdefault(department_name(department), Counter()),
            staff_counts.setdefault(answered_by or "—", Counter()),
            total,
        ):
            counter[rating] += count
    starts = [first + timedelta(weeks=i) for i in range(weeks)]

    def ranked(groups: dict[str, Counter[int]]) -> list[SatisfactionGroup]:
        return sorted((_counted(label, c) for label, c in groups.items()), key=lambda g: (-g.rated, g.label))

    return Satisfaction(
        total=_counted("合计", total),
        by_week=[_counted(f"{s.month}/{s.day}", week_counts[i]) for i, s in enumerate(starts)],
        by_department=ranked(department_counts),
        by_staff=ranked(staff_counts),
    )


def _counted(label: str, ratings: Counter[int]) -> SatisfactionGroup:
    return SatisfactionGroup(label, sum(ratings.values()), ratings[1], ratings[2], ratings[3])
