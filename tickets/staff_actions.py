"""What staff do with tickets, as plain functions over a database session: the console's pages and its JSON
API both call these, so a rule (who may assign, when an answer conflicts) holds the same on both.

Nothing here commits: the caller commits, and only then enqueues the deliveries an answer produced, so a
send can never leave for an answer that was rolled back. Every change writes a ``TicketEvent`` with the
staff member and the time, which is the audit log the issue asks for.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from faq.kb import FaqEntry, KbValidationError, parse_kb_rows
from jobs.queue import Job
from staff.errors import NotAllowed, StaffActionError
from staff.models import StaffUser
from staff.roles import Actor
from storage.faq_store import load_entries_async, replace_entries_in
from storage.models import Delivery, Follower, MessageLog
from tickets.models import TICKET_STATES, Ticket, TicketEvent, TicketMessage
from tickets.windows import WARN_BEFORE, window_closes_at

if TYPE_CHECKING:
    from bot.services import Services

# A ticket whose due time is this close is flagged "due soon" in the queue (reminders go out at 2 hours).
DUE_SOON = timedelta(hours=4)
MAX_PER_PAGE = 200
# WeChat cuts a text message at 2048 bytes; the answer is wrapped in a greeting and the ticket number.
MAX_ANSWER_BYTES = 1800
MAX_NOTE_CHARS = 4000
PREVIEW_CHARS = 80
# The WeChat conversation shown with a ticket starts this long before the ticket was opened.
CONVERSATION_LOOKBACK = timedelta(days=1)
CONVERSATION_LIMIT = 200
PROBLEM_DELIVERY_STATES = ("failed", "uncertain")


# --- errors -------------------------------------------------------------------------------------------


class TicketNotFound(StaffActionError):
    status = 404


class AnswerConflict(StaffActionError):
    """Someone changed the ticket after this staff member opened it; carries what is there now."""

    status = 409

    def __init__(self, ticket: Ticket) -> None:
        super().__init__("该工单已被他人修改（可能已有答复）。请先查看当前内容，再决定是否重新提交。")
        self.number = ticket.number
        self.current_version = ticket.version
        self.state = ticket.state
        self.answer = ticket.answer
        self.answered_by = ticket.answered_by
        self.answered_at = ticket.answered_at
        self.assignee = ticket.assignee


# --- the queue ----------------------------------------------------------------------------------------

UNASSIGNED = "-"  # the assignee filter value meaning "nobody"


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = "open"  # None = every state
    category: str | None = None
    assignee: str | None = None  # a username, or UNASSIGNED
    overdue_only: bool = False
    page: int = 1
    per_page: int = 50

    def normalized(self) -> QueueFilter:
        state = self.state if self.state in TICKET_STATES else None
        return QueueFilter(
            state=state,
            category=self.category or None,
            assignee=self.assignee or None,
            overdue_only=self.overdue_only,
            page=max(1, self.page),
            per_page=min(max(1, self.per_page), MAX_PER_PAGE),
        )


@dataclass(frozen=True)
class QueueItem:
    number: str
    state: str
    category: str | None
    preview: str
    assignee: str | None
    created_at: datetime
    due_at: datetime
    due_provisional: bool
    answer_delivery: str
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int
    open_count: int
    overdue_count: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def due_flags(state: str, due_at: datetime, now: datetime) -> tuple[bool, bool]:
    """(overdue, due soon): only an open ticket can be late; an answered one kept or missed its promise."""
    if state != "open":
        return False, False
    return due_at < now, now <= due_at < now + DUE_SOON


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


async def list_queue(session: AsyncSession, filters: QueueFilter, now: datetime) -> QueuePage:
    """One page of tickets, earliest due first for the working states (most recent first for closed).

    The columns are chosen so PostgreSQL answers from the (state, due_at) indexes without reading whole
    questions: the preview is cut in SQL.
    """
    f = filters.normalized()
    where: list[Any] = []
    if f.state:
        where.append(Ticket.state == f.state)
    if f.category:
        where.append(Ticket.category == f.category)
    if f.assignee == UNASSIGNED:
        where.append(Ticket.assignee.is_(None))
    elif f.assignee:
        where.append(Ticket.assignee == f.assignee)
    if f.overdue_only:
        where.extend([Ticket.state == "open", Ticket.due_at < now])
    newest_first = f.state == "closed"
    order = (Ticket.due_at.desc(), Ticket.id.desc()) if newest_first else (Ticket.due_at, Ticket.id)
    rows = (
        await session.execute(
            select(
                Ticket.number,
                Ticket.state,
                Ticket.category,
                func.substr(Ticket.question, 1, PREVIEW_CHARS * 2),
                Ticket.assignee,
                Ticket.created_at,
                Ticket.due_at,
                Ticket.due_provisional,
                Ticket.answer_delivery,
            )
            .where(*where)
            .order_by(*order)
            .limit(f.per_page)
            .offset((f.page - 1) * f.per_page)
        )
    ).all()
    total = int(await session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0)
    open_count, overdue_count = await open_and_overdue(session, now)
    items = []
    for number, state, category, question, assignee, created_at, due_at, provisional, delivery in rows:
        overdue, soon = due_flags(state, due_at, now)
        items.append(
            QueueItem(
                number,
                state,
                category,
                _preview(question or ""),
                assignee,
                created_at,
                due_at,
                provisional,
                delivery,
                overdue,
                soon,
            )
        )
    return QueuePage(items, total, f.page, f.per_page, open_count, overdue_count)


async def open_and_overdue(session: AsyncSession, now: datetime) -> tuple[int, int]:
    row = (
        await session.execute(
            select(func.count(), func.count().filter(Ticket.due_at < now))
            .select_from(Ticket)
            .where(Ticket.state == "open")
        )
    ).one()
    return int(row[0]), int(row[1])


async def ticket_categories(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(Ticket.category).where(Ticket.category.is_not(None)).distinct())
    return sorted(str(c) for c in rows)


async def active_staff(session: AsyncSession) -> list[StaffUser]:
    return list(
        (await session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.username))).all()
    )


# --- one ticket ---------------------------------------------------------------------------------------

WindowState = Literal["open", "closing", "closed", "unknown"]


@dataclass(frozen=True)
class ReplyWindow:
    """WeChat's 48-hour customer-service window for the ticket's user, as the console shows it."""

    state: WindowState
    closes_at: datetime | None


def reply_window(follower: Follower | None, now: datetime) -> ReplyWindow:
    closes = window_closes_at(follower)
    if closes is None:
        return ReplyWindow("unknown", None)
    if closes <= now:
        return ReplyWindow("closed", closes)
    return ReplyWindow("closing" if closes - now <= WARN_BEFORE else "open", closes)


@dataclass
class TicketDetail:
    ticket: Ticket
    messages: list[TicketMessage]  # user messages and answers
    notes: list[TicketMessage]
    conversation: list[MessageLog]
    events: list[TicketEvent]
    deliveries: list[Delivery]
    window: ReplyWindow
    suggestions: list[FaqEntry]
    overdue: bool
    due_soon: bool
    other_tickets: list[tuple[str, str]] = field(default_factory=list)  # (number, state) of the same user


async def get_ticket(session: AsyncSession, number: str) -> Ticket:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.number == number).execution_options(populate_existing=True)
    )
    if ticket is None:
        raise TicketNotFound(f"没有编号为 {number} 的工单")
    return ticket


def suggested_entries(services: Services, question: str) -> list[FaqEntry]:
    """FAQ answers staff can start from: whatever the matcher would have offered the user."""
    matcher = services.knowledge.matcher
    decision = matcher.decide(question)
    ids = (decision.faq_id,) if decision.faq_id else decision.suggestions
    entries = []
    for faq_id in ids:
        try:
            entries.append(matcher.entry(faq_id))
        except KeyError:
            continue
    return entries


async def ticket_detail(services: Services, session: AsyncSession, number: str) -> TicketDetail:
    now = services.clock.now()
    ticket = await get_ticket(session, number)
    messages = list(
        (
            await session.scalars(
                select(TicketMessage).where(TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)
            )
        ).all()
    )
    conversation = list(
        (
            await session.scalars(
                select(MessageLog)
                .where(
                    MessageLog.openid == ticket.openid,
                    MessageLog.created_at >= ticket.created_at - CONVERSATION_LOOKBACK,
                )
                .order_by(MessageLog.created_at, MessageLog.id)
                .limit(CONVERSATION_LIMIT)
            )
        ).all()
    )
    events = list(
        (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
            )
        ).all()
    )
    deliveries = list(
        (
            await session.scalars(
                select(Delivery).where(Delivery.ref == ticket.number).order_by(Delivery.created_at, Delivery.id)
            )
        ).all()
    )
    others = (
        await session.execute(
            select(Ticket.number, Ticket.state)
            .where(Ticket.openid == ticket.openid, Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc())
            .limit(10)
        )
    ).all()
    follower = await session.get(Follower, ticket.openid)
    overdue, soon = due_flags(ticket.state, ticket.due_at, now)
    return TicketDetail(
        ticket=ticket,
        messages=[m for m in messages if m.kind != "note"],
        notes=[m for m in messages if m.kind == "note"],
        conversation=conversation,
        events=events,
        deliveries=deliveries,
        window=reply_window(follower, now),
        suggestions=suggested_entries(services, ticket.question),
        overdue=overdue,
        due_soon=soon,
        other_tickets=[(str(n), str(s)) for n, s in others],
    )


# --- changing a ticket --------------------------------------------------------------------------------


def _event(
    ticket: Ticket, actor: Actor, action: str, at: datetime, detail: dict[str, Any] | None = None
) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, actor=actor.username, action=action, detail=detail, at=at)


async def _flush_or_conflict(session: AsyncSession, ticket: Ticket) -> None:
    """Write the change; if another transaction bumped the version first, report its content instead."""
    number = ticket.number  # read now: a failed flush leaves the instance unreadable until rollback
    try:
        await session.flush()
    except StaleDataError:
        await session.rollback()
        raise AnswerConflict(await get_ticket(session, number)) from None


def check_answer_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise StaffActionError("答复内容不能为空")
    if len(text.encode("utf-8")) > MAX_ANSWER_BYTES:
        raise StaffActionError(
            f"答复过长：微信单条消息约 {MAX_ANSWER_BYTES} 字节（约 {MAX_ANSWER_BYTES // 3} 个汉字），请精简后再发送"
        )
    return text


@dataclass(frozen=True)
class AnswerOutcome:
    ticket: Ticket
    delivery_ids: list[int]


async def answer_ticket(
    services: Services, session: AsyncSession, number: str, actor: Actor, text: str, version: int
) -> AnswerOutcome:
    """Store a staff answer and record its delivery; ``version`` is the one the staff member saw.

    A stale ``version`` raises ``AnswerConflict`` with the ticket as it is now: the staff member sees the
    other answer and decides, so nothing is overwritten silently. The caller commits, then enqueues
    ``delivery_ids``.
    """
    from tickets.answer_delivery import schedule_answer_delivery

    text = check_answer_text(text)
    now = services.clock.now()
    ticket = await get_ticket(session, number)
    if ticket.version != version:
        raise AnswerConflict(ticket)
    if ticket.state == "closed":
        raise StaffActionError("工单已关闭；如需再次答复，请先重新打开")
    corrected = ticket.answer is not None
    ticket.answer = text
    ticket.answered_by = actor.username
    ticket.answered_at = now
    if ticket.first_answered_at is None:
        ticket.first_answered_at = now
    ticket.state = "answered"
    if ticket.assignee is None:
        ticket.assignee = actor.username
    session.add(TicketMessage(ticket_id=ticket.id, kind="answer", author=actor.username, body=text, created_at=now))
    session.add(_event(ticket, actor, "answer_corrected" if corrected else "answered", now, {"version": version}))
    await _flush_or_conflict(session, ticket)
    delivery_ids = await schedule_answer_delivery(services, session, ticket)
    await session.flush()
    return AnswerOutcome(ticket, delivery_ids)


async def commit_and_enqueue(services: Services, session: AsyncSession, delivery_ids: Iterable[int]) -> None:
    """Commit, then hand the deliveries to the queue (the sweeper re-enqueues if we die in between)."""
    await session.commit()
    for delivery_id in delivery_ids:
        await services.deliveries.enqueue(delivery_id)


async def add_note(session: AsyncSession, number: str, actor: Actor, body: str, now: datetime) -> TicketMessage:
    """An internal note: seen by staff only, never sent. It does not change the ticket (nor its version)."""
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise StaffActionError("备注内容不能为空")
    if len(body) > MAX_NOTE_CHARS:
        raise StaffActionError(f"备注不能超过 {MAX_NOTE_CHARS} 个字符")
    ticket = await get_ticket(session, number)
    note = TicketMessage(ticket_id=ticket.id, kind="note", author=actor.username, body=body, created_at=now)
    session.add(note)
    session.add(_event(ticket, actor, "note", now))
    await session.flush()
    return note


async def assign_ticket(
    session: AsyncSession, number: str, actor: Actor, assignee: str | None, now: datetime
) -> Ticket:
    """Staff take a ticket or give it up; only supervisors hand tickets to someone else."""
    assignee = assignee or None
    ticket = await get_ticket(session, number)
    if not actor.can("supervisor"):
        own = assignee == actor.username or (assignee is None and ticket.assignee == actor.username)
        if not own:
            raise NotAllowed("只有主管可以把工单分派给其他人")
    if assignee is not None:
        target = await session.scalar(select(StaffUser).where(StaffUser.username == assignee))
        if target is None or not target.active:
            raise StaffActionError(f"没有可用的工作人员账号 {assignee}")
    if ticket.assignee == assignee:
        return ticket
    previous = ticket.assignee
    ticket.assignee = assignee
    session.add(_event(ticket, actor, "assigned", now, {"from": previous, "to": assignee}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def close_ticket(session: AsyncSession, number: str, actor: Actor, now: datetime) -> Ticket:
    ticket = await get_ticket(session, number)
    if ticket.state == "closed":
        raise StaffActionError("工单已经是关闭状态")
    previous = ticket.state
    ticket.state = "closed"
    ticket.closed_at = now
    session.add(_event(ticket, actor, "closed", now, {"from": previous}))
    await _flush_or_conflict(session, ticket)
    return ticket


async def reopen_ticket(session: AsyncSession, number: str, actor: Actor, now: datetime) -> Ticket:
    """Back to open; the due time stays the promise made to the user, so a late ticket shows as late."""
    ticket = await get_ticket(session, number)
    if ticket.state == "open":
        raise StaffActionError("工单已经是待处理状态")
    other = await session.scalar(
        select(Ticket.number).where(Ticket.openid == ticket.openid, Ticket.state == "open", Ticket.id != ticket.id)
    )
    if other is not None:  # one open ticket per user (a unique index): continue in that one instead
        raise StaffActionError(f"该用户已有待处理的工单 {other}，请在该工单中继续处理")
    previous = ticket.state
    ticket.state = "open"
    ticket.closed_at = None
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    session.add(_event(ticket, actor, "reopened", now, {"from": previous}))
    await _flush_or_conflict(session, ticket)
    return ticket


# --- answers into the FAQ -----------------------------------------------------------------------------

FaqMode = Literal["new", "similar"]


def _kb_row(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "category": entry.category,
        "question": entry.question,
        "similar": list(entry.similar),
        "answer": entry.answer,
        "keywords": list(entry.keywords),
        "reviewed": entry.reviewed,
    }


def faq_id_for(ticket_number: str) -> str:
    return "ticket-" + ticket_number.lower()


def add_to_kb(
    entries: Sequence[FaqEntry],
    mode: FaqMode,
    *,
    question: str,
    answer: str,
    category: str,
    faq_id: str,
    reviewed: str,
) -> list[FaqEntry]:
    """The KB with a new entry, or with ``question`` added as a 相似问 of ``faq_id``; validated whole."""
    question = " ".join(question.split())
    if not question:
        raise StaffActionError("问题不能为空")
    result = list(entries)
    if mode == "new":
        if not answer.strip():
            raise StaffActionError("答案不能为空")
        result.append(
            FaqEntry(
                id=faq_id,
                category=category.strip() or "其他",
                question=question,
                similar=(),
                answer=answer.strip(),
                keywords=(),
                reviewed=reviewed,
            )
        )
    else:
        for index, entry in enumerate(result):
            if entry.id == faq_id:
                if question == entry.question or question in entry.similar:
                    raise StaffActionError("该问法已经在这条问答中")
                result[index] = FaqEntry(
                    id=entry.id,
                    category=entry.category,
                    question=entry.question,
                    similar=(*entry.similar, question),
                    answer=entry.answer,
                    keywords=entry.keywords,
                    reviewed=entry.reviewed,
                )
                break
        else:
            raise StaffActionError(f"知识库中没有 id 为 {faq_id} 的问答")
    try:
        return parse_kb_rows([_kb_row(entry) for entry in result])
    except KbValidationError as exc:
        raise StaffActionError(str(exc)) from None


async def answer_to_faq(
    services: Services,
    session: AsyncSession,
    number: str,
    actor: Actor,
    mode: FaqMode,
    *,
    faq_id: str | None = None,
    question: str | None = None,
    answer: str | None = None,
    category: str | None = None,
) -> str:
    """Supervisors turn an answered ticket into a FAQ entry or a 相似问; returns the entry's id.

    The KB is replaced in this transaction through ``storage.faq_store`` (which bumps the version every
    process polls), so after commit every matcher picks it up.
    """
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以把答复加入知识库")
    ticket = await get_ticket(session, number)
    if mode == "new" and not (answer or ticket.answer):
        raise StaffActionError("工单还没有答复，无法生成问答")
    now = services.clock.now()
    _, entries = await load_entries_async(session)
    target = faq_id_for(ticket.number) if mode == "new" else (faq_id or "")
    updated = add_to_kb(
        entries,
        mode,
        question=question or ticket.question,
        answer=answer or ticket.answer or "",
        category=category or ticket.category or "其他",
        faq_id=target,
        reviewed=now.astimezone(services.settings.tz).strftime("%Y-%m"),
    )
    await session.run_sync(lambda sync_session: replace_entries_in(sync_session, updated))
    session.add(_event(ticket, actor, "faq_created" if mode == "new" else "faq_similar_added", now, {"faq_id": target}))
    await session.flush()
    return target


# --- deliveries that need a person --------------------------------------------------------------------


async def problem_deliveries(session: AsyncSession, limit: int = 200) -> list[Delivery]:
    return list(
        (
            await session.scalars(
                select(Delivery)
                .where(Delivery.state.in_(PROBLEM_DELIVERY_STATES))
                .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
                .limit(limit)
            )
        ).all()
    )


async def retry_delivery(services: Services, session: AsyncSession, actor: Actor, delivery_id: int) -> int:
    """A supervisor decided to send a failed or uncertain delivery again (an uncertain one may then reach
    the user twice: that is why a person decides). Returns the id to requeue after commit."""
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以重新发送")
    now = services.clock.now()
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise StaffActionError("没有这条发送记录")
    if delivery.state not in PROBLEM_DELIVERY_STATES:
        raise StaffActionError("只有发送失败或状态不明的消息可以重新发送")
    previous = delivery.state
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.last_error = f"{previous}; resent by {actor.username}"
    delivery.updated_at = now
    if delivery.ref:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        if ticket is not None:
            session.add(_event(ticket, actor, "delivery_retried", now, {"delivery": delivery.id, "was": previous}))
    await session.flush()
    return delivery.id


async def confirm_delivery(services: Services, session: AsyncSession, actor: Actor, delivery_id: int) -> None:
    """Staff checked (with the user, or in the admin console's message records) that an uncertain delivery
    did arrive: record it as sent instead of sending it again."""
    now = services.clock.now()
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise StaffActionError("没有这条发送记录")
    if delivery.state != "uncertain":
        raise StaffActionError("只有状态不明的消息可以确认为已送达")
    await services.deliveries.confirm_sent(session, delivery, actor.username)
    if delivery.ref:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == delivery.ref))
        if ticket is not None:
            session.add(_event(ticket, actor, "delivery_confirmed", now, {"delivery": delivery.id}))
    await session.flush()


async def requeue_delivery(services: Services, delivery_id: int) -> None:
    """Put a delivery's job back on the queue, whatever became of its previous job."""
    queue = services.queue
    job_id = f"delivery:{delivery_id}"
    if await queue.requeue_failed(job_id):
        return
    job = await queue.get(job_id)
    if job is None or job.state in ("done", "failed"):
        await queue.redis.delete(queue.data_prefix + job_id)
        await services.deliveries.enqueue(delivery_id)


async def failed_jobs(services: Services, limit: int = 100) -> list[Job]:
    """Failed jobs other than deliveries (those are shown from their stored rows, with more detail)."""
    return [job for job in await services.queue.failed(limit) if not job.id.startswith("delivery:")]


async def retry_job(services: Services, actor: Actor, job_id: str) -> None:
    if not actor.can("supervisor"):
        raise NotAllowed("只有主管可以重新执行任务")
    if not await services.queue.requeue_failed(job_id):
        raise StaffActionError("该任务不在失败列表中")


# --- statistics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatRow:
    created_at: datetime
    due_at: datetime
    first_answered_at: datetime | None
    state: str
    category: str | None


@dataclass(frozen=True)
class StatGroup:
    label: str
    tickets: int  # received in the period
    answered: int
    on_time: int
    counted: int  # answered, or open past the due time: the tickets whose promise was kept or broken
    open: int
    overdue: int
    median_answer_hours: float | None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.counted if self.counted else None


def summarize(label: str, rows: Sequence[StatRow], now: datetime) -> StatGroup:
    """按时答复率 = first answer by the due time ÷ tickets whose due time has come or that were answered.

    A ticket closed without any answer (spam, a duplicate) made no promise worth counting; reopening does
    not reset ``first_answered_at``, so a kept promise stays kept.
    """
    answered = [r for r in rows if r.first_answered_at is not None]
    on_time = sum(1 for r in answered if r.first_answered_at is not None and r.first_answered_at <= r.due_at)
    late_open = sum(1 for r in rows if r.first_answered_at is None and r.state == "open" and r.due_at < now)
    hours = [
        (r.first_answered_at - r.created_at).total_seconds() / 3600 for r in answered if r.first_answered_at is not None
    ]
    return StatGroup(
        label=label,
        tickets=len(rows),
        answered=len(answered),
        on_time=on_time,
        counted=len(answered) + late_open,
        open=sum(1 for r in rows if r.state == "open"),
        overdue=sum(1 for r in rows if r.state == "open" and r.due_at < now),
        median_answer_hours=round(statistics.median(hours), 2) if hours else None,
    )


def week_start(at: datetime, tz: tzinfo) -> date:
    day = at.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class TicketStats:
    since: date
    total: StatGroup
    by_week: list[StatGroup]
    by_category: list[StatGroup]
    open_now: int
    overdue_now: int


def compute_stats(rows: Sequence[StatRow], now: datetime, tz: tzinfo, weeks: int) -> TicketStats:
    """Group tickets received in the last ``weeks`` weeks (Monday-Sunday, local time) by week and category."""
    first = week_start(now, tz) - timedelta(weeks=weeks - 1)
    rows = [r for r in rows if r.created_at.astimezone(tz).date() >= first]
    week_rows: dict[date, list[StatRow]] = {first + timedelta(weeks=i): [] for i in range(weeks)}
    category_rows: dict[str, list[StatRow]] = {}
    for row in rows:
        week_rows.setdefault(week_start(row.created_at, tz), []).append(row)
        category_rows.setdefault(row.category or "未分类", []).append(row)
    by_week = [summarize(f"{start.month}/{start.day}", week_rows[start], now) for start in sorted(week_rows)]
    by_category = sorted(
        (summarize(name, items, now) for name, items in category_rows.items()),
        key=lambda g: (-g.tickets, g.label),
    )
    total = summarize("合计", rows, now)
    return TicketStats(first, total, by_week, by_category, 0, 0)


async def ticket_stats(session: AsyncSession, now: datetime, tz: tzinfo, weeks: int = 12) -> TicketStats:
    weeks = min(max(1, weeks), 104)
    since = datetime.combine(week_start(now, tz) - timedelta(weeks=weeks - 1), datetime.min.time(), tzinfo=tz)
    result = await session.execute(
        select(Ticket.created_at, Ticket.due_at, Ticket.first_answered_at, Ticket.state, Ticket.category).where(
            Ticket.created_at >= since
        )
    )
    rows = [StatRow(*row) for row in result.all()]
    stats = compute_stats(rows, now, tz, weeks)
    open_now, overdue_now = await open_and_overdue(session, now)
    return TicketStats(stats.since, stats.total, stats.by_week, stats.by_category, open_now, overdue_now)
