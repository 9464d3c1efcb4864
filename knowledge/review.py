"""Which entries need a person to look at them again: past the policy's expiry, or not reviewed for a
configurable period (an answer about entry/exit rules that nobody has confirmed for a year is a risk)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from knowledge.content import EntryContent

Reason = Literal["expired", "never_reviewed", "stale"]
REASON_TEXT: dict[str, str] = {
    "expired": "政策已失效",
    "never_reviewed": "从未审核",
    "stale": "超过审核周期",
}


@dataclass(frozen=True)
class ReviewDue:
    entry: EntryContent
    reasons: tuple[Reason, ...]
    reviewed: str | None  # YYYY-MM
    expires_on: date | None

    @property
    def text(self) -> str:
        return "、".join(REASON_TEXT[r] for r in self.reasons)


def months_between(earlier: str, today: date) -> int:
    """Whole months from a YYYY-MM review month to today's month."""
    year, month = (int(part) for part in earlier.split("-"))
    return (today.year - year) * 12 + (today.month - month)


def review_due(entry: EntryContent, today: date, period_months: int) -> ReviewDue | None:
    reasons: list[Reason] = []
    expires = entry.source.expires_on
    if expires is not None and expires <= today:
        reasons.append("expired")
    if entry.reviewed is None:
        reasons.append("never_reviewed")
    elif months_between(entry.reviewed, today) >= period_months:
        reasons.append("stale")
    if not reasons:
        return None
    return ReviewDue(entry, tuple(reasons), entry.reviewed, expires)


def all_review_due(entries: Iterable[EntryContent], today: date, period_months: int) -> list[ReviewDue]:
    """Expired first (they are wrong today), then the longest unreviewed."""
    found = [due for e in entries if (due := review_due(e, today, period_months)) is not None]
    return sorted(found, key=lambda d: ("expired" not in d.reasons, d.reviewed or "", d.entry.id))
