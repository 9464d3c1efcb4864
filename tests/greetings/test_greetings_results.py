"""Results: MASSSENDJOBFINISH through the real webhook, mass/get polling, per-follower progress, reminders."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from greetings.core import GreetingRefused
from greetings.models import GreetingSend
from staff.models import Notification
from storage.models import Follower
from tests.conftest import TEST_TOKEN
from tests.greetings.helpers import FESTIVAL_DAY, SEND_AT, approved_campaign, drain
from wechat import inbound

pytestmark = pytest.mark.asyncio


async def _send(services) -> GreetingSend:
    async with services.sessions() as session:
        return (await session.scalars(select(GreetingSend))).one()


@pytest_asyncio.fixture
async def services(make_services, greeting_config):  # type: ignore[no-untyped-def]
    """The app's services (``client`` uses them) with greetings on the test config."""
    return await make_services(greeting_config=greeting_config)


async def test_job_finish_event_through_the_webhook_reconciles_counts(
    client, services, fake_wechat, greeting_config
) -> None:
    fake_wechat.add_followers(["o1", "o2", "o3", "o4"])
    greetings = services.greetings  # the app's own services (system clock), on the test config
    today = services.clock.now().astimezone(greeting_config.zone).date()
    campaign_id, _ = await greetings.create_draft("测试节", today, text_hans="快乐", text_hant="快樂")
    async with services.sessions() as session, session.begin():  # due a minute ago
        await session.execute(update(GreetingSend).values(send_at=services.clock.now() - timedelta(minutes=1)))
    await greetings.approve(campaign_id, by="主管甲")
    await greetings.sweep()
    await drain(services)
    send = await _send(services)
    assert send.state == "submitted" and send.msg_id is not None

    xml = fake_wechat.mass_job_finish_xml(send.msg_id, error_count=1)
    query, body = inbound.sign_post(xml, "plain", TEST_TOKEN)
    response = await client.post("/wechat", params=query, content=body)
    assert response.status_code == 200
    send = await _send(services)
    assert send.state == "done" and send.wechat_status == "send success"
    assert (send.total_count, send.filter_count, send.sent_count, send.error_count) == (4, 4, 3, 1)
    assert (await greetings.get(campaign_id)).summary == "done"


async def test_rejected_job_finish_is_a_failed_state_with_the_reason(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    await greetings.sweep()
    await drain(services)
    send = await _send(services)
    async with services.sessions() as session, session.begin():
        assert await greetings.record_job_finish(session, int(send.msg_id or 0), "err(10001)", 1, 0, 0, 0)
        assert not await greetings.record_job_finish(session, 123, "send success", 1, 1, 1, 0)
    send = await _send(services)
    assert send.state == "failed" and "广告" in send.last_error


async def test_mass_get_shows_admin_confirmation_wait_then_failure(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    await greetings.sweep()
    await drain(services)
    send = await _send(services)
    fake_wechat.set_mass_status(int(send.msg_id or 0), "SENDING")  # API mass-send protection: admin must confirm
    assert await greetings.reconcile() == 0  # too early to ask
    fake_clock.advance(minutes=3)
    assert await greetings.reconcile() == 1
    send = await _send(services)
    assert send.state == "awaiting_admin" and "管理员" in send.last_error
    fake_wechat.set_mass_status(int(send.msg_id or 0), "SEND_FAIL")  # nobody confirmed within 30 minutes
    fake_clock.advance(minutes=30)
    await greetings.reconcile()
    send = await _send(services)
    assert send.state == "failed" and "群发保护" in send.last_error
    async with services.sessions() as session:
        kinds = (await session.scalars(select(Notification.kind))).all()
    assert kinds == ["failed"]


async def test_per_follower_mode_sends_to_recently_active_in_their_script(
    make_greetings, fake_wechat, fake_clock
) -> None:
    services, greetings = await make_greetings()
    now = fake_clock()
    async with services.sessions() as session, session.begin():
        for openid, script, hours_ago in (
            ("o_hans", "hans", 1),
            ("o_hant", "hant", 20),
            ("o_old", "hans", 30),
        ):
            fake_wechat.interact(openid, at=now - timedelta(hours=hours_ago))
            session.add(
                Follower(
                    openid=openid,
                    subscribed=True,
                    script=script,
                    created_at=now,
                    last_interaction_at=now - timedelta(hours=hours_ago),
                )
            )
    campaign_id = await approved_campaign(greetings, mode="per_follower")
    assert "不占群发额度" in (await greetings.quota(campaign_id)).lines[0]
    fake_clock.set(SEND_AT)  # 23 hours later: o_hant's window (43 h) is open, o_old's (53 h) is not
    await greetings.sweep()
    await drain(services)
    send = await _send(services)
    assert send.state == "submitted" and send.total_count == 2  # o_old is outside the 48-hour window
    progress = await greetings.progress(send.id)
    assert (progress.total, progress.sent, progress.finished) == (2, 2, True)
    texts = {m.openid: m.text for m in fake_wechat.custom_messages()}
    assert texts == {"o_hans": "节日快乐！", "o_hant": "節日快樂！"}
    fake_clock.advance(minutes=3)
    await greetings.reconcile()
    send = await _send(services)
    assert send.state == "done" and send.sent_count == 2
    assert not fake_wechat.mass_jobs


async def test_reminders_before_the_send_time_once_per_step(make_greetings, fake_clock) -> None:
    hosts = [await make_greetings() for _ in range(2)]
    greetings = hosts[0][1]
    await greetings.create_draft("测试节", FESTIVAL_DAY + timedelta(days=3), text_hans="快乐", text_hant="快樂")
    send_at = SEND_AT + timedelta(days=3)
    fake_clock.set(send_at - timedelta(hours=49))
    assert await greetings.remind() == 0
    fake_clock.advance(hours=2)
    written = await asyncio.gather(*(g.remind() for _, g in hosts), *(g.remind() for _, g in hosts))
    assert sum(written) == 1
    fake_clock.set(send_at - timedelta(hours=3))
    assert await greetings.remind() == 1
    assert await greetings.remind() == 0
    notices = await greetings.notices()
    assert len(notices) == 2 and all("尚未审批" in n.text for n in notices)


async def test_drafts_are_created_ahead_once(make_greetings, fake_clock) -> None:
    from greetings.config import FestivalGreeting, GreetingConfig

    config = GreetingConfig(
        festivals={
            "元旦": FestivalGreeting(hans="新年快乐", hant="新年快樂"),
            "春节": FestivalGreeting(hans="{生肖}年大吉", hant="{生肖}年大吉"),
        }
    )
    hosts = [await make_greetings(config) for _ in range(3)]
    fake_clock.set(datetime.fromisoformat("2026-12-24T16:00:00+00:00"))  # 12-25 00:00 Beijing
    created = await asyncio.gather(*(g.plan_drafts() for _, g in hosts))
    assert sum(len(c) for c in created) == 1
    (view,) = await hosts[0][1].list_campaigns()
    assert (view.campaign.festival, view.campaign.festival_date) == ("元旦", date(2027, 1, 1))
    assert view.summary == "draft"
    fake_clock.set(datetime.fromisoformat("2027-01-30T16:00:00+00:00"))  # 春节 2027 is 02-06
    (spring,) = await hosts[0][1].plan_drafts()
    view = await hosts[0][1].get(spring)
    assert view.campaign.text_hans == "羊年大吉"


async def test_preview_goes_to_the_supervisor_only(make_greetings, fake_wechat) -> None:
    fake_wechat.add_follower("o_supervisor")
    _services, greetings = await make_greetings()
    campaign_id, _ = await greetings.create_draft("测试节", FESTIVAL_DAY, text_hans="快乐", text_hant="快樂")
    await greetings.preview(campaign_id, "o_supervisor", by="主管甲", script="hant")
    (preview,) = fake_wechat.previews
    assert preview.openid == "o_supervisor" and preview.payload["text"]["content"] == "快樂"
    assert not fake_wechat.mass_jobs
    assert (await greetings.get(campaign_id)).campaign.previewed_by == "主管甲"
    with pytest.raises(GreetingRefused, match="预览发送失败"):
        await greetings.preview(campaign_id, "o_nobody", by="主管甲")


async def test_approval_is_refused_after_the_grace_window(make_greetings, fake_clock) -> None:
    _services, greetings = await make_greetings()
    campaign_id, _ = await greetings.create_draft("测试节", FESTIVAL_DAY, text_hans="快乐", text_hant="快樂")
    fake_clock.set(SEND_AT + timedelta(hours=3))
    with pytest.raises(GreetingRefused, match="宽限期"):
        await greetings.approve(campaign_id, by="主管甲")


async def test_reminders_reach_supervisors_on_wechat_once(make_greetings, fake_clock, fake_wechat) -> None:
    from staff.models import StaffUser
    from staff.passwords import hash_password

    services, greetings = await make_greetings()
    greetings.notifier.template_id = "TPL_FAKE_STAFF"
    fake_wechat.add_followers(["o_lead", "o_clerk"])  # template messages only reach followers (43004)
    async with services.sessions() as session, session.begin():
        for username, role, openid in (
            ("lead", "supervisor", "o_lead"),
            ("clerk", "staff", "o_clerk"),
            ("boss", "admin", None),
        ):
            session.add(
                StaffUser(
                    username=username,
                    display_name=username,
                    password_hash=hash_password("x" * 12),
                    role=role,
                    wechat_openid=openid,
                    active=True,
                )
            )
    await greetings.create_draft("测试节", FESTIVAL_DAY + timedelta(days=3), text_hans="快乐", text_hant="快樂")
    fake_clock.set(SEND_AT + timedelta(days=3) - timedelta(hours=3))
    assert await greetings.remind() == 1
    assert await greetings.remind() == 0
    assert await services.worker().run_once() == 1
    assert [t.openid for t in fake_wechat.templates_sent] == ["o_lead"]  # supervisors with an openid only
    # the 2023 rules: the matter and a time in typed fields, no first/remark
    assert fake_wechat.templates_sent[0].data["thing1"] == {"value": "测试节问候待审批"}
    assert set(fake_wechat.templates_sent[0].data) == {"thing1", "time2"}
