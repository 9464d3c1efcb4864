"""The staff actions as plain functions: queue filters and flags, the optimistic lock, the audit log,
the KB edits, retries, and the statistics on a small fixed dataset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from console.sessions import StaffIdentity
from delivery.admin import problem_deliveries, requeue_delivery, retry_delivery
from faq.store import load_entries_async
from knowledge.drafts import draft_for, list_drafts
from knowledge.from_ticket import faq_id_for, propose_from_ticket
from knowledge.menu import menu_categories
from knowledge.publishing import publish
from knowledge.store import entry_history
from staff import notifications
from staff.errors import NotAllowed, StaffActionError
from staff.models import Notification
from storage.models import Delivery, Follower
from tickets.actions import (
    _flush_or_conflict,
    add_note,
    answer_ticket,
    assign_ticket,
    check_answer_text,
    close_ticket,
    commit_and_enqueue,
    reopen_ticket,
)
from tickets.detail import ReplyWindow, get_ticket, reply_window
from tickets.errors import AnswerConflict
from tickets.models import TicketEvent
from tickets.queue import UNASSIGNED, QueueFilter, due_flags, list_queue, ticket_categories
from tickets.stats import StatRow, compute_stats, ticket_stats

ALICE = StaffIdentity(1, "alice", "Alice", "staff")
BOB = StaffIdentity(2, "bob", "Bob", "staff")
SAM = StaffIdentity(3, "sam", "Sam", "supervisor")
BEIJING = ZoneInfo("Asia/Shanghai")


# --- pure ---------------------------------------------------------------------------------------------


def test_due_flags() -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert due_flags("open", now - timedelta(minutes=1), now) == (True, False)
    assert due_flags("open", now + timedelta(hours=3), now) == (False, True)
    assert due_flags("open", now + timedelta(hours=5), now) == (False, False)
    assert due_flags("answered", now - timedelta(days=1), now) == (False, False)


def test_reply_window_states() -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)

    def follower(hours_ago: float | None) -> Follower:
        last = None if hours_ago is None else now - timedelta(hours=hours_ago)
        return Follower(openid="o", last_interaction_at=last)

    assert reply_window(follower(1), now).state == "open"
    assert reply_window(follower(43), now).state == "closing"
    assert reply_window(follower(49), now).state == "closed"
    assert reply_window(follower(None), now).state == "unknown"
    assert reply_window(None, now) == ReplyWindow("unknown", None)


def test_answer_text_limits() -> None:
    assert check_answer_text("  答复\r\n第二行 ") == "答复\n第二行"
    with pytest.raises(StaffActionError, match="不能为空"):
        check_answer_text("   ")
    with pytest.raises(StaffActionError, match="过长"):
        check_answer_text("长" * 700)


def _row(created: str, due: str, answered: str | None, state: str, category: str | None) -> StatRow:
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=BEIJING)

    return StatRow(at(created), at(due), at(answered) if answered else None, state, category)


# Now: Monday 2026-11-23 12:00 Beijing. Weeks start Mondays: 11-09, 11-16, 11-23.
STATS_NOW = datetime(2026, 11, 23, 12, tzinfo=BEIJING)
STATS_ROWS = [
    # week of 11-09
    _row("2026-11-09T10:00", "2026-11-11T17:30", "2026-11-09T14:00", "closed", "签证"),  # on time, 4 h
    _row("2026-11-10T10:00", "2026-11-12T17:30", "2026-11-13T10:00", "answered", "签证"),  # late, 72 h
    # week of 11-16
    _row("2026-11-16T09:00", "2026-11-18T17:30", "2026-11-17T09:00", "answered", "教育"),  # on time, 24 h
    _row("2026-11-17T09:00", "2026-11-19T17:30", None, "open", "教育"),  # overdue
    _row("2026-11-18T09:00", "2026-11-20T17:30", None, "closed", None),  # closed unanswered
    # week of 11-23
    _row("2026-11-23T09:00", "2026-11-25T17:30", None, "open", "签证"),  # not yet due
    # too old for 3 weeks
    _row("2026-11-02T09:00", "2026-11-04T17:30", None, "open", "签证"),
]


def test_compute_stats_on_a_fixed_dataset() -> None:
    stats = compute_stats(STATS_ROWS, STATS_NOW, BEIJING, weeks=3)
    total = stats.total
    assert (total.tickets, total.answered, total.on_time, total.counted) == (6, 3, 2, 4)
    assert total.on_time_rate == pytest.approx(0.5)
    assert total.median_answer_hours == 24.0
    assert (total.open, total.overdue) == (2, 1)
    assert [g.label for g in stats.by_week] == ["11/9", "11/16", "11/23"]
    week1, week2, week3 = stats.by_week
    assert (week1.tickets, week1.on_time, week1.counted, week1.median_answer_hours) == (2, 1, 2, 38.0)
    assert (week2.tickets, week2.on_time, week2.counted, week2.overdue) == (3, 1, 2, 1)
    assert (week3.tickets, week3.counted, week3.on_time_rate) == (1, 0, None)
    by_category = {g.label: g for g in stats.by_category}
    assert list(by_category) == ["签证", "教育", "未分类"]
    assert by_category["签证"].on_time_rate == pytest.approx(0.5)
    assert by_category["教育"].on_time_rate == pytest.approx(0.5)
    assert by_category["未分类"].counted == 0


# --- against the database -----------------------------------------------------------------------------


async def test_queue_sorted_by_due_with_filters_and_flags(services, make_ticket) -> None:
    now = services.clock.now()
    late = await make_ticket("迟了", due=now - timedelta(hours=1), category="签证", assignee="alice")
    soon = await make_ticket("快到期", due=now + timedelta(hours=2), category="教育")
    later = await make_ticket("不急", due=now + timedelta(days=2), category="签证", assignee="bob")
    await make_ticket("答过了", state="answered", due=now - timedelta(days=1), category="签证")
    async with services.sessions() as session:
        page = await list_queue(session, QueueFilter(), now)
        assert [i.number for i in page.items] == [late.number, soon.number, later.number]
        assert [(i.overdue, i.due_soon) for i in page.items] == [(True, False), (False, True), (False, False)]
        assert (page.total, page.open_count, page.overdue_count) == (3, 3, 1)

        async def numbers(**kw: object) -> list[str]:
            result = await list_queue(session, QueueFilter(**kw), now)  # type: ignore[arg-type]
            return [i.number for i in result.items]

        assert await numbers(category="签证") == [late.number, later.number]
        assert await numbers(assignee="bob") == [later.number]
        assert await numbers(assignee=UNASSIGNED) == [soon.number]
        assert await numbers(overdue_only=True) == [late.number]
        assert len(await numbers(state=None)) == 4
        assert await numbers(state="answered", category="签证") != []
        second = await list_queue(session, QueueFilter(per_page=2, page=2), now)
        assert [i.number for i in second.items] == [later.number] and second.pages == 2
        assert await ticket_categories(session) == ["教育", "签证"]


async def test_answer_then_stale_version_is_a_conflict_showing_the_other_answer(services, make_ticket) -> None:
    ticket = await make_ticket()
    async with services.sessions() as session:
        seen = (await get_ticket(session, ticket.number)).version
    async with services.sessions() as session:
        outcome = await answer_ticket(services.answers, session, ticket.number, ALICE, "请带护照和出生证明。", seen)
        await commit_and_enqueue(services.deliveries, session, outcome.delivery_ids)
    assert len(outcome.delivery_ids) == 1
    async with services.sessions() as session:
        with pytest.raises(AnswerConflict) as caught:
            await answer_ticket(services.answers, session, ticket.number, BOB, "另一份答复", seen)
    conflict = caught.value
    assert conflict.status == 409 and conflict.answer == "请带护照和出生证明。" and conflict.answered_by == "alice"
    async with services.sessions() as session:
        stored = await get_ticket(session, ticket.number)
        assert stored.answer == "请带护照和出生证明。" and stored.state == "answered"
        assert stored.first_answered_at == services.clock.now() and stored.assignee == "alice"
        events = (await session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == stored.id))).all()
        assert [(e.actor, e.action) for e in events] == [("alice", "answered")]
        delivery = await session.get(Delivery, outcome.delivery_ids[0])
        assert delivery is not None and delivery.ref == ticket.number and delivery.channel == "custom"
        job = await services.queue.get(f"delivery:{delivery.id}")
        assert job is not None and job.state == "queued"
        # A deliberate correction against the current version is allowed, and audited as such.
        again = await answer_ticket(
            services.answers, session, ticket.number, BOB, "更正：还需要户口本。", stored.version
        )
        await session.commit()
        assert again.ticket.answer == "更正：还需要户口本。" and again.ticket.answered_by == "bob"
        assert again.ticket.first_answered_at == stored.first_answered_at


async def test_concurrent_write_between_read_and_flush_is_a_conflict(services, make_ticket) -> None:
    """The version check in SQL, not only the form's number: a change committed after our read is kept."""
    ticket = await make_ticket()
    async with services.sessions() as mine, services.sessions() as theirs:
        loaded = await get_ticket(mine, ticket.number)
        other = await get_ticket(theirs, ticket.number)
        other.answer = "他们的答复"
        await theirs.commit()
        loaded.answer = "我的答复"
        with pytest.raises(AnswerConflict) as caught:
            await _flush_or_conflict(mine, loaded)
        assert caught.value.answer == "他们的答复"


async def test_note_assign_close_reopen_are_audited(services, make_ticket) -> None:
    ticket = await make_ticket()
    now = services.clock.now()
    async with services.sessions() as session:
        before = (await get_ticket(session, ticket.number)).version
        await add_note(session, ticket.number, ALICE, "已电话联系用户", now)
        assert (await get_ticket(session, ticket.number)).version == before  # notes never conflict
        with pytest.raises(NotAllowed):
            await assign_ticket(session, ticket.number, ALICE, "bob", now)
        with pytest.raises(StaffActionError, match="没有可用"):
            await assign_ticket(session, ticket.number, SAM, "ghost", now)
        await close_ticket(session, ticket.number, SAM, now)
        with pytest.raises(StaffActionError):
            await close_ticket(session, ticket.number, SAM, now)
        with pytest.raises(StaffActionError, match="先重新打开"):
            await answer_ticket(
                services.answers,
                session,
                ticket.number,
                ALICE,
                "x",
                (await get_ticket(session, ticket.number)).version,
            )
        reopened = await reopen_ticket(session, ticket.number, BOB, now)
        await session.commit()
        assert reopened.state == "open" and reopened.closed_at is None and reopened.reopen_count == 1
        events = (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == reopened.id).order_by(TicketEvent.id)
            )
        ).all()
        assert [(e.actor, e.action) for e in events] == [
            ("alice", "note"),
            ("sam", "closed"),
            ("bob", "reopened"),
        ]
        assert all(e.at == now for e in events)


async def test_a_ticket_answer_becomes_a_draft_a_supervisor_publishes(services, make_ticket) -> None:  # type: ignore[no-untyped-def]
    """Ticket → FAQ is a KB change like any other: a draft (in the drafts list, on the ticket's trail) that
    reaches users only when a supervisor publishes it, with the staff member who drafted it as its author."""
    ticket = await make_ticket(
        "在德国怎么给孩子办回国旅行证？",
        state="answered",
        answer="向驻德使馆申请旅行证，需要父母护照和出生纸。",
        first_answered=services.clock.now(),
    )
    now = services.clock.now()
    before = services.knowledge.version
    async with services.sessions() as session:
        proposed = await propose_from_ticket(session, ticket.number, ALICE, "new", now=now, tz=services.settings.tz)
        await session.commit()
    assert proposed.entry_id == faq_id_for(ticket.number) == "ticket-" + ticket.number.lower()
    assert not await services.knowledge.refresh() and services.knowledge.version == before  # nothing published
    with pytest.raises(KeyError):
        services.knowledge.matcher.entry(proposed.entry_id)
    async with services.sessions() as session:
        views = await list_drafts(session)
        assert [(v.draft.entry_id, v.draft.author, v.current) for v in views] == [(proposed.entry_id, "alice", None)]
        content = views[0].content
        assert content is not None and content.answer.startswith("向驻德使馆申请旅行证") and content.category == "教育"
        assert views[0].draft.note == f"来自工单 {ticket.number}"
        with pytest.raises(StaffActionError, match="只有主管"):
            await publish(session, ALICE, [proposed.draft_id], menu=menu_categories(), month="2026-11", now=now,
                          acknowledged=True)
        await session.rollback()
        await publish(session, SAM, [proposed.draft_id], menu=menu_categories(), month="2026-11", now=now,
                      acknowledged=True)
        await session.commit()
        history = await entry_history(session, proposed.entry_id)
        assert [(r.action, r.author, r.published_by) for r in history] == [("create", "alice", "sam")]
    assert await services.knowledge.refresh()
    entry = services.knowledge.matcher.entry(proposed.entry_id)
    assert entry.answer.startswith("向驻德使馆申请旅行证") and entry.category == "教育"

    async with services.sessions() as session:
        similar = await propose_from_ticket(
            session,
            ticket.number,
            SAM,
            "similar",
            now=now,
            tz=services.settings.tz,
            faq_id="dual-nationality",
            question="孩子能有两个护照吗",
        )
        await session.commit()
        _, entries = await load_entries_async(session)
        assert "孩子能有两个护照吗" not in next(e for e in entries if e.id == "dual-nationality").similar
        draft = await draft_for(session, "dual-nationality")
        assert draft is not None and draft.id == similar.draft_id
        assert "孩子能有两个护照吗" in draft.content["similar"]
        with pytest.raises(StaffActionError, match="已经在"):
            await propose_from_ticket(session, ticket.number, SAM, "similar", now=now, tz=services.settings.tz,
                                      faq_id="dual-nationality", question="孩子能有两个护照吗")
        with pytest.raises(StaffActionError, match="没有 id"):
            await propose_from_ticket(session, ticket.number, SAM, "similar", now=now, tz=services.settings.tz,
                                      faq_id="nope", question="q")
        await session.rollback()
        events = (
            await session.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
            )
        ).all()
    drafted = [(e.actor, e.action, (e.detail or {}).get("faq_id")) for e in events if "faq" in e.action]
    assert drafted == [
        ("alice", "faq_drafted", proposed.entry_id),
        ("sam", "faq_similar_drafted", "dual-nationality"),
    ]


async def test_retry_failed_and_uncertain_deliveries(services, make_ticket) -> None:
    ticket = await make_ticket()
    async with services.sessions() as session:
        failed = await services.deliveries.add(
            session,
            key="k1",
            openid=ticket.openid,
            purpose="ticket_answer",
            ref=ticket.number,
            payload={"touser": ticket.openid},
        )
        failed.state, failed.attempts, failed.last_error = "failed", 8, "WeChatApiError: -1"
        uncertain = await services.deliveries.add(
            session, key="k2", openid=ticket.openid, purpose="late_reply", payload={"touser": ticket.openid}
        )
        uncertain.state = "uncertain"
        sent = await services.deliveries.add(
            session, key="k3", openid=ticket.openid, purpose="late_reply", payload={"touser": ticket.openid}
        )
        sent.state = "sent"
        await session.commit()
    # The failed one's job sits in the failed set, the uncertain one's job finished.
    for delivery_id in (failed.id, uncertain.id):
        await services.deliveries.enqueue(delivery_id)
    claimed = await services.queue.claim(10, 30)
    await services.queue.fail(f"delivery:{failed.id}", "gave up")
    await services.queue.complete(f"delivery:{uncertain.id}")
    assert len(claimed) == 2
    async with services.sessions() as session:
        problems = await problem_deliveries(session)
        assert {d.id for d in problems} == {failed.id, uncertain.id}
        with pytest.raises(NotAllowed):
            await retry_delivery(services.deliveries, session, ALICE, failed.id, services.clock.now())
        with pytest.raises(StaffActionError, match="只有发送失败"):
            await retry_delivery(services.deliveries, session, SAM, sent.id, services.clock.now())
        for delivery_id in (failed.id, uncertain.id):
            await retry_delivery(services.deliveries, session, SAM, delivery_id, services.clock.now())
        await session.commit()
    for delivery_id in (failed.id, uncertain.id):
        await requeue_delivery(services.deliveries, services.queue, delivery_id)
        job = await services.queue.get(f"delivery:{delivery_id}")
        assert job is not None and job.state == "queued"
    async with services.sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.id.in_((failed.id, uncertain.id))))).all()
        assert {(r.state, r.attempts) for r in rows} == {("pending", 0)}
        assert await problem_deliveries(session) == []
        retried = await session.scalar(select(TicketEvent).where(TicketEvent.action == "delivery_retried"))
        assert retried is not None and retried.actor == "sam"


async def test_notifications_reach_the_user_and_their_role(services, make_ticket) -> None:
    ticket = await make_ticket()
    now = services.clock.now()
    async with services.sessions() as session:
        for recipient, kind in (
            ("alice", "reminder"),
            ("role:staff", "reminder"),
            ("role:supervisor", "escalation"),
            ("bob", "reminder"),
        ):
            session.add(
                Notification(recipient=recipient, kind=kind, ticket_id=ticket.id, text=kind, created_at=now)
            )
        await session.commit()
        assert len(await notifications.list_notifications(session, ALICE)) == 2
        assert len(await notifications.list_notifications(session, SAM)) == 2
        mine = await notifications.list_notifications(session, ALICE)
        bobs = next(n for n in await notifications.list_notifications(session, BOB) if n.recipient == "bob")
        with pytest.raises(StaffActionError):
            await notifications.mark_notification_read(session, ALICE, bobs.id, now)
        await notifications.mark_notification_read(session, ALICE, mine[0].id, now)
        await session.commit()
        assert await notifications.unread_count(session, ALICE) == 1


async def test_ticket_stats_from_the_database(services, make_ticket) -> None:
    now = services.clock.now()
    await make_ticket(
        created=now - timedelta(days=1),
        due=now + timedelta(days=1),
        first_answered=now - timedelta(hours=20),
        state="answered",
        answer="a",
    )
    await make_ticket(created=now - timedelta(days=3), due=now - timedelta(days=1), category="签证")
    async with services.sessions() as session:
        stats = await ticket_stats(session, now, BEIJING, weeks=2)
    assert (stats.total.tickets, stats.total.on_time, stats.total.counted) == (2, 1, 2)
    assert stats.total.median_answer_hours == 4.0
    assert (stats.open_now, stats.overdue_now) == (1, 1)
    assert len(stats.by_week) == 2
    assert isinstance(stats.since, type(now.date()))
