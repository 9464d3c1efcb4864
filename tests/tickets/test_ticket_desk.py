"""Tickets from the conversation's side: hand-over, follow-ups, status, redelivery, answer delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from staff.models import Notification
from storage.models import Delivery, Follower
from tests.conftest import TEST_TOKEN
from tickets.actions import answer_ticket, commit_and_enqueue
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.reminders import recompute_due_times
from wechat import inbound
from wechat.fake_clock import ManualClock

pytestmark = pytest.mark.asyncio

UNANSWERABLE = "想给家乡小学捐一批图书，找谁联系"


@pytest.fixture
def clock() -> ManualClock:
    # Monday 2026-11-23 10:00 Beijing; the desk's own clock (the fake WeChat keeps its time)
    return ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
async def desk_services(make_services, clock):  # type: ignore[no-untyped-def]
    from faq.kb import load_kb
    from tests.conftest import Path  # noqa: F401

    svc = await make_services(clock=clock)
    svc.knowledge.use_entries(load_kb("tests/data/kb_small.yaml"))
    return svc


@pytest.fixture
async def desk_client(desk_services):  # type: ignore[no-untyped-def]
    import httpx

    from bot.app import create_app

    app = create_app(services=desk_services, run_jobs=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        yield http


@pytest.fixture
def user(desk_client, fake_wechat):  # type: ignore[no-untyped-def]
    from bot.simulated_user import SimulatedUser
    from tests.conftest import TEST_AES_KEY, TEST_APPID

    return SimulatedUser(
        http=desk_client,
        token=TEST_TOKEN,
        appid=TEST_APPID,
        aes_key=TEST_AES_KEY,
        openid="o_ticket_user",
        interact=fake_wechat.interact,
    )


async def _tickets(services) -> list[Ticket]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        return list((await session.scalars(select(Ticket).order_by(Ticket.id))).all())


async def test_unanswerable_question_becomes_a_ticket_with_due_time(user, desk_services) -> None:  # type: ignore[no-untyped-def]
    reply = await user.say(UNANSWERABLE)
    assert reply is not None
    assert "Q20261123-0001" in reply
    # Monday's question: Tuesday and Wednesday are the two working days → Wednesday 17:30.
    assert "11月25日（周三）17:30" in reply
    [ticket] = await _tickets(desk_services)
    assert ticket.state == "open" and ticket.question == UNANSWERABLE
    assert ticket.due_at == datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


async def test_redelivered_message_never_makes_two_tickets(desk_client, desk_services) -> None:  # type: ignore[no-untyped-def]
    xml = inbound.text_message("o_redeliver", UNANSWERABLE, msg_id=4242)
    texts = []
    for _ in range(3):
        query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
        texts.append((await desk_client.post("/wechat", params=query, content=body)).text)
    assert len(await _tickets(desk_services)) == 1
    assert texts[0] == texts[1] == texts[2]


async def test_message_rehandled_after_a_lost_dedupe_record_finds_its_ticket(desk_client, desk_services) -> None:  # type: ignore[no-untyped-def]
    """A process killed after commit but before recording the reply: the redelivery must not duplicate."""
    xml = inbound.text_message("o_killed", UNANSWERABLE, msg_id=777)
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    first = await desk_client.post("/wechat", params=query, content=body)
    await desk_services.redis.flushdb()  # the dedupe record is gone, as if the process died
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    second = await desk_client.post("/wechat", params=query, content=body)
    assert len(await _tickets(desk_services)) == 1
    assert "Q20261123-0001" in first.text and "Q20261123-0001" in second.text


async def test_follow_up_messages_join_the_open_ticket(user, desk_services) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    reply = await user.say("补充一下，大概两百本儿童读物，学校在福建晋江")
    assert reply is not None and "已补充" in reply
    [ticket] = await _tickets(desk_services)
    async with desk_services.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
        )
    assert count == 1  # the question is the ticket's own; the follow-up is its message
    # but a question the FAQ answers is answered, not appended
    answer = await user.say("中国承认双重国籍吗")
    assert answer is not None and "国籍法" in answer


async def test_asking_for_a_person_takes_the_next_message_as_the_question(user, desk_services) -> None:  # type: ignore[no-untyped-def]
    prompt = await user.say("人工")
    assert prompt is not None and "描述" in prompt
    reply = await user.say("护照丢了")  # the FAQ would answer this, but the user wants a person
    assert reply is not None and "留言编号" in reply
    [ticket] = await _tickets(desk_services)
    assert ticket.question == "护照丢了"


async def test_asking_for_a_person_after_a_question_uses_that_question(user, desk_services) -> None:  # type: ignore[no-untyped-def]
    await user.say("中国承认双重国籍吗")
    reply = await user.say("转人工")
    assert reply is not None and "留言编号" in reply
    [ticket] = await _tickets(desk_services)
    assert ticket.question == "中国承认双重国籍吗"


async def test_status_lists_tickets(user) -> None:  # type: ignore[no-untyped-def]
    assert "没有留言" in (await user.say("查询") or "")
    await user.say(UNANSWERABLE)
    status = await user.say("进度")
    assert status is not None and "Q20261123-0001" in status and "处理中" in status


class _Staff:
    """A staff member as the console's actions see one."""

    username = "alice"

    def can(self, role: str) -> bool:
        return role == "staff"


async def _answer(services, number: str, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Answer as staff do in the console: the same action, its commit, then the deliveries enqueued."""
    await services.activity.flush()  # the follower's last interaction, as the worker would have written it
    async with services.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
        outcome = await answer_ticket(services.answers, session, number, _Staff(), text, ticket.version)
        await commit_and_enqueue(services.deliveries, session, outcome.delivery_ids)
    assert outcome.ticket.state == "answered" and outcome.ticket.answered_by == "alice"
    return outcome.delivery_ids


async def test_answer_in_window_goes_as_customer_service_message(user, desk_services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    await _answer(desk_services, "Q20261123-0001", "请联系当地县级侨务部门和不动产登记机构。")
    assert await desk_services.worker().run_once() == 1
    texts = [m.text for m in fake_wechat.custom_messages(user.openid)]
    assert any("侨务部门" in (t or "") for t in texts)
    [ticket] = await _tickets(desk_services)
    assert ticket.answer_delivery == "sent"


async def test_answer_out_of_window_sends_template_then_answer_on_return(
    user, desk_services, fake_wechat, clock
) -> None:  # type: ignore[no-untyped-def]
    desk_services.settings.wechat_answer_template_id = "TPL_FAKE_NOTICE"
    await user.say(UNANSWERABLE)
    clock.advance(hours=49)  # the user went quiet; the window has closed
    fake_wechat.clock.advance(hours=49)
    await _answer(desk_services, "Q20261123-0001", "请联系当地县级侨务部门。")
    await desk_services.worker().run_once()
    assert fake_wechat.custom_messages(user.openid) == []
    [template] = fake_wechat.templates_sent
    assert "/a/" in template.url
    # complete under the 2023 rules: number, status and time in the template's typed fields, nothing else
    assert template.data["character_string1"] == {"value": "Q20261123-0001"}
    assert template.data["thing2"] == {"value": "已答复，点击查看全文"}
    assert "年" in template.data["time3"]["value"] and ":" in template.data["time3"]["value"]
    assert set(template.data) == {"character_string1", "thing2", "time3"}
    [ticket] = await _tickets(desk_services)
    assert ticket.answer_delivery == "notified"
    # the signed link shows the answer
    path = "/a/" + template.url.split("/a/", 1)[1]
    page = await user.http.get(path)
    assert page.status_code == 200 and "县级侨务部门" in page.text
    assert (await user.http.get(path + "x")).status_code == 404
    # the user writes again: the answer comes with the reply
    await user.say("你好")
    await desk_services.worker().run_once()
    assert any("县级侨务部门" in (m.text or "") for m in fake_wechat.custom_messages(user.openid))


async def test_window_closing_between_answer_and_send_falls_back_to_template(user, desk_services, fake_wechat) -> None:  # type: ignore[no-untyped-def]
    desk_services.settings.wechat_answer_template_id = "TPL_FAKE_NOTICE"
    await user.say(UNANSWERABLE)
    await _answer(desk_services, "Q20261123-0001", "答复内容")
    fake_wechat.fail_next("message/custom/send", errcode=45015)
    await desk_services.worker().run_once()  # the customer-service send is refused for good
    await desk_services.worker().run_once()  # the template notice goes out
    assert len(fake_wechat.templates_sent) == 1
    [ticket] = await _tickets(desk_services)
    assert ticket.answer_delivery == "notified"


async def test_transient_failure_is_retried_and_worker_restart_mid_send_never_sends_twice(
    user, desk_services, fake_wechat
) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    [delivery_id] = await _answer(desk_services, "Q20261123-0001", "答复内容")
    fake_wechat.fail_next("message/custom/send", errcode=-1)  # system busy
    await desk_services.worker().run_once()
    async with desk_services.sessions() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery.state == "pending" and "-1" in delivery.last_error
    job = await desk_services.queue.get(f"delivery:{delivery_id}")
    assert job is not None and job.state == "queued"
    # Simulate a worker that marked the send and died before confirming it.
    async with desk_services.sessions() as session, session.begin():
        (await session.get(Delivery, delivery_id)).state = "sending"
    await desk_services.redis.zadd(desk_services.queue.due_key, {f"delivery:{delivery_id}": 0})
    await desk_services.worker().run_once()
    async with desk_services.sessions() as session:
        delivery = await session.get(Delivery, delivery_id)
    assert delivery.state == "uncertain"
    assert fake_wechat.custom_messages(user.openid) == []


async def test_reminder_then_escalation_once_each(user, desk_services, clock) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    [ticket] = await _tickets(desk_services)
    clock.set(ticket.due_at - timedelta(hours=1))
    assert await desk_services.tracker.sweep_reminders() == (1, 0)
    assert await desk_services.tracker.sweep_reminders() == (0, 0)
    clock.set(ticket.due_at + timedelta(minutes=1))
    assert await desk_services.tracker.sweep_reminders() == (0, 1)
    assert await desk_services.tracker.sweep_reminders() == (0, 0)
    async with desk_services.sessions() as session:
        kinds = sorted((await session.scalars(select(Notification.kind))).all())
    assert kinds == ["escalation", "reminder"]


async def test_calendar_change_recomputes_open_due_times(user, desk_services, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("years:\n  2026:\n    holidays: [2026-11-24]\n", encoding="utf-8")
    desk_services.settings.holidays_path = holidays
    assert await recompute_due_times(desk_services.sessions, desk_services.settings, desk_services.clock) == 1
    [ticket] = await _tickets(desk_services)
    assert ticket.due_at == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Tuesday off → Thursday
    async with desk_services.sessions() as session:
        actions = (await session.scalars(select(TicketEvent.action))).all()
    assert "due_recomputed" in actions


async def test_a_message_records_the_followers_last_interaction(user, desk_services) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    await desk_services.activity.flush()
    async with desk_services.sessions() as session:
        follower = await session.get(Follower, user.openid)
    assert follower is not None and follower.last_interaction_at is not None


async def test_writing_back_after_an_answer_reopens_the_ticket(user, desk_services, clock) -> None:  # type: ignore[no-untyped-def]
    await user.say(UNANSWERABLE)
    await _answer(desk_services, "Q20261123-0001", "请联系当地县级侨务部门。")
    await desk_services.worker().run_once()
    clock.advance(days=1)
    reply = await user.say("侨务部门说要先找学校开证明，学校的证明怎么开")
    assert reply is not None and "追问" in reply
    [ticket] = await _tickets(desk_services)
    assert ticket.state == "open" and ticket.reopen_count == 1
    assert ticket.due_at == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Tuesday's follow-up → Thursday
    async with desk_services.sessions() as session:
        actions = (await session.scalars(select(TicketEvent.action).order_by(TicketEvent.id))).all()
    assert "reopened" in actions


async def test_the_periodic_check_recomputes_only_when_the_holiday_file_changes(user, desk_services, tmp_path) -> None:  # type: ignore[no-untyped-def]

    holidays = tmp_path / "holidays.yaml"
    holidays.write_text("years: {}\n", encoding="utf-8")
    desk_services.settings.holidays_path = holidays
    await user.say(UNANSWERABLE)
    assert await desk_services.tracker.follow_calendar_changes() == 0  # first look: nothing moves, fingerprint kept
    assert await desk_services.tracker.follow_calendar_changes() == 0
    holidays.write_text("years:\n  2026:\n    holidays: [2026-11-24]\n", encoding="utf-8")
    assert await desk_services.tracker.follow_calendar_changes() == 1
    assert await desk_services.tracker.follow_calendar_changes() == 0
    [ticket] = await _tickets(desk_services)
    assert ticket.due_at == datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
