"""The queue's filters as the console's query string (``?q=护照&state=all&from=2026-11-01…``): read once for
the queue page and for its export, so the export holds exactly the tickets the page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncSession

from console.pages.routing_view import queue_departments
from console.sessions import StaffIdentity
from tickets.queue import QueueFilter

MAX_QUERY_CHARS = 200


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class QueueQuery:
    """What the filter form sends; unknown or malformed values count as "any"."""

    q: str = ""
    state: str = "open"
    category: str = ""
    assignee: str = ""
    department: str = ""
    overdue: str = ""
    received_from: str = ""
    received_to: str = ""

    def params(self) -> dict[str, str]:
        """The non-empty parameters, for links that keep the filters (pages, export)."""
        values = {
            "q": self.q,
            "state": self.state,
            "category": self.category,
            "assignee": self.assignee,
            "department": self.department,
            "overdue": self.overdue,
            "from": self.received_from,
            "to": self.received_to,
        }
        return {key: value for key, value in values.items() if value}

    def url(self, path: str, **extra: object) -> str:
        return path + "?" + urlencode({**self.params(), **{k: str(v) for k, v in extra.items()}})

    def first_day(self) -> date | None:
        return _day(self.received_from)

    def last_day(self) -> date | None:
        return _day(self.received_to)

    async def to_filter(
        self, db: AsyncSession, user: StaffIdentity, tz: tzinfo, page: int = 1, per_page: int = 50
    ) -> QueueFilter:
        first, last = self.first_day(), self.last_day()
        return QueueFilter(
            state=None if self.state == "all" else self.state,
            category=self.category or None,
            assignee=self.assignee or None,
            departments=await queue_departments(db, user, self.department),
            overdue_only=self.overdue == "1",
            text=self.q,
            # Days are the hotline's local days: "to 11-30" includes the whole of 30 November.
            received_from=datetime.combine(first, time.min, tzinfo=tz) if first else None,
            received_before=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz) if last else None,
            page=page,
            per_page=per_page,
        ).normalized()


def queue_query(
    q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = "",
    state: Annotated[str, Query(max_length=16)] = "open",
    category: Annotated[str, Query(max_length=64)] = "",
    assignee: Annotated[str, Query(max_length=64)] = "",
    department: Annotated[str, Query(max_length=32)] = "",
    overdue: Annotated[str, Query(max_length=1)] = "",
    received_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    received_to: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> QueueQuery:
    """FastAPI dependency: the filter form's parameters."""
    return QueueQuery(q.strip(), state, category, assignee, department, overdue, received_from, received_to)
