"""What the bot missed, read from the message log: questions handed over, choices the user did not pick,
answers followed within minutes by “人工”, and answers the user called 没用; grouped by similarity.

Pure: log rows in, groups out. Each inbound message and the bot's reply to it share a record key stem
(``<dedupe key>:in`` / ``:out``), which is how a message is paired with what the bot decided.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Literal

Kind = Literal["handover", "suggest_unpicked", "answer_then_human", "unhelpful"]
KIND_TEXT: dict[str, str] = {
    "handover": "转人工",
    "suggest_unpicked": "给了选项但未选",
    "answer_then_human": "答后转人工",
    "unhelpful": "回复“没用”",
}
# Replies that mean "the FAQ had nothing": a ticket, or the question whether to make one.
HANDED_OVER = frozenset({"handover", "confirm_handover", "handover_deferred"})
# A choice list is "not picked" when the user's next message within this time is not one of its answers.
CHOICE_WINDOW = timedelta(minutes=30)
# Messages this similar (character-bigram Jaccard) fall into one group.
GROUP_SIMILARITY = 0.5
_FOLD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class LogRow:
    """The columns of ``message_log`` this module reads."""

    openid: str
    direction: str  # in | out
    record_key: str | None
    content: str
    meta: dict[str, Any] | None
    created_at: datetime
    msg_type: str = "text"


@dataclass(frozen=True)
class Exchange:
    """One user message and what the bot decided about it."""

    openid: str
    text: str
    at: datetime
    decision: str  # answer | suggest | handover | feedback | ... ("" when no reply was logged)
    faq_id: str | None
    suggestions: tuple[str, ...]
    ticket: str | None
    helpful: bool | None


@dataclass(frozen=True)
class Missed:
    kind: Kind
    text: str  # what the user asked (for answer_then_human / unhelpful: the question that was answered)
    openid: str
    at: datetime
    faq_id: str | None = None  # the entry that answered, when one did
    ticket: str | None = None


@dataclass
class MissedGroup:
    text: str  # the most frequent wording
    members: list[Missed] = field(default_factory=list)
    grams: set[str] = field(default_factory=set)

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def kinds(self) -> Counter[str]:
        return Counter(m.kind for m in self.members)

    @property
    def texts(self) -> list[str]:
        """Distinct wordings, most frequent first."""
        return [text for text, _ in Counter(m.text for m in self.members).most_common()]

    @property
    def faq_ids(self) -> list[str]:
        return [i for i, _ in Counter(m.faq_id for m in self.members if m.faq_id).most_common()]

    @property
    def tickets(self) -> list[str]:
        return sorted({m.ticket for m in self.members if m.ticket})

    @property
    def last_at(self) -> datetime:
        return max(m.at for m in self.members)

    def weekly(self, weeks: Sequence[date], tz: tzinfo) -> list[int]:
        counts = Counter(week_start(m.at, tz) for m in self.members)
        return [counts.get(week, 0) for week in weeks]


def fold(text: str) -> str:
    return _FOLD.sub("", unicodedata.normalize("NFKC", text)).lower()


def bigrams(text: str) -> set[str]:
    folded = fold(text)
    return {folded[i : i + 2] for i in range(len(folded) - 1)} or ({folded} if folded else set())


def week_start(at: datetime, tz: tzinfo) -> date:
    day = at.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def exchanges(rows: Iterable[LogRow]) -> list[Exchange]:
    """Pair each inbound text with the bot's reply (by record key), in time order per user."""
    replies: dict[str, LogRow] = {}
    inbound: list[LogRow] = []
    for row in rows:
        if row.direction == "out" and row.record_key and row.record_key.endswith(":out"):
            replies[row.record_key[: -len(":out")]] = row
        elif row.direction == "in" and row.msg_type in ("text", "voice") and row.record_key:
            inbound.append(row)
    result: list[Exchange] = []
    for row in sorted(inbound, key=lambda r: (r.openid, r.created_at)):
        reply = replies.get(row.record_key[: -len(":in")] if row.record_key else "")
        meta = (reply.meta if reply else None) or {}
        result.append(
            Exchange(
                openid=row.openid,
                text=row.content.strip(),
                at=row.created_at,
                decision=str(meta.get("decision") or ""),
                faq_id=meta.get("faq_id"),
                suggestions=tuple(meta.get("suggestions") or ()),
                ticket=meta.get("ticket"),
                helpful=meta.get("helpful"),
            )
        )
    return result


def missed_messages(
    conversation: Sequence[Exchange], is_human_request: Callable[[str], bool], human_window: timedelta
) -> list[Missed]:
    """``conversation``: exchanges sorted by (openid, time), as ``exchanges`` returns them."""
    found: list[Missed] = []
    for index, current in enumerate(conversation):
        following = conversation[index + 1] if index + 1 < len(conversation) else None
        if following is not None and following.openid != current.openid:
            following = None
        asked_human = is_human_request(current.text)
        if current.decision in HANDED_OVER and not asked_human:
            found.append(Missed("handover", current.text, current.openid, current.at, ticket=current.ticket))
        elif current.decision == "suggest":
            picked = (
                following is not None
                and following.at - current.at <= CHOICE_WINDOW
                and following.decision == "answer"
                and following.faq_id in current.suggestions
            )
            if not picked:
                found.append(Missed("suggest_unpicked", current.text, current.openid, current.at))
        elif current.decision == "answer" and following is not None and following.at - current.at <= human_window:
            if is_human_request(following.text):
                found.append(Missed("answer_then_human", current.text, current.openid, current.at, current.faq_id))
            elif following.decision == "feedback" and following.helpful is False:
                found.append(Missed("unhelpful", current.text, current.openid, current.at, current.faq_id))
    return found


def group_missed(missed: Iterable[Missed], similarity: float = GROUP_SIMILARITY) -> list[MissedGroup]:
    """Greedy single pass: a message joins the first group it is similar enough to. Largest groups first."""
    groups: list[MissedGroup] = []
    for item in sorted(missed, key=lambda m: m.at):
        grams = bigrams(item.text)
        if not grams:
            continue
        for group in groups:
            overlap = len(grams & group.grams) / len(grams | group.grams)
            if overlap >= similarity:
                group.members.append(item)
                break
        else:
            groups.append(MissedGroup(item.text, [item], grams))
    for group in groups:
        group.text = group.texts[0]
    return sorted(groups, key=lambda g: (-g.count, -g.last_at.timestamp()))


def exclude_resolved(missed: Iterable[Missed], resolved: dict[str, datetime]) -> list[Missed]:
    """Drop messages staff already acted on: same folded text, asked no later than it was resolved."""
    return [m for m in missed if not (fold(m.text) in resolved and m.at <= resolved[fold(m.text)])]


# --- statistics-page figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekShare:
    week: date
    answered: int
    suggested: int
    handed_over: int

    @property
    def total(self) -> int:
        return self.answered + self.suggested + self.handed_over

    def share(self, part: int) -> float | None:
        return part / self.total if self.total else None


@dataclass(frozen=True)
class KbFigures:
    weeks: list[WeekShare]
    most_answered: list[tuple[str, int]]
    most_followed_by_human: list[tuple[str, int]]
    helpful: Counter[str]
    unhelpful: Counter[str]


def kb_figures(
    conversation: Sequence[Exchange],
    missed: Sequence[Missed],
    weeks: Sequence[date],
    tz: tzinfo,
    top: int = 10,
) -> KbFigures:
    by_week: dict[date, Counter[str]] = defaultdict(Counter)
    answered: Counter[str] = Counter()
    for item in conversation:
        kind = "handover" if item.decision in HANDED_OVER else item.decision
        if kind in ("answer", "suggest", "handover"):
            by_week[week_start(item.at, tz)][kind] += 1
        if item.decision == "answer" and item.faq_id:
            answered[item.faq_id] += 1
    followed = Counter(m.faq_id for m in missed if m.kind == "answer_then_human" and m.faq_id)
    unhelpful = Counter(m.faq_id for m in missed if m.kind == "unhelpful" and m.faq_id)
    helpful: Counter[str] = Counter()
    for index, item in enumerate(conversation[1:], start=1):
        before = conversation[index - 1]
        if item.decision == "feedback" and item.helpful and before.openid == item.openid and before.faq_id:
            helpful[before.faq_id] += 1
    shares = [
        WeekShare(week, by_week[week]["answer"], by_week[week]["suggest"], by_week[week]["handover"]) for week in weeks
    ]
    return KbFigures(shares, answered.most_common(top), followed.most_common(top), helpful, unhelpful)
