"""Sending exactly once: racing schedulers and workers, restarts, quota, transient faults, grace window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from greetings.config import GreetingConfig, TagTarget
from greetings.core import message_body
from greetings.models import GreetingSend
from greetings.schedule import clientmsgid
from greetings.sending import JOB_KIND
from staff.models import Notification
from tests.greetings.helpers import FESTIVAL_DAY, SEND_AT, approved_campaign, drain

pytestmark = pytest.mark.asyncio


async def _sends(services) -> list[GreetingSend]:
    async with services.sessions() as session:
        return list((await session.scalars(select(GreetingSend).order_by(GreetingSend.send_at))).all())


async def _notices(services) -> list[Notification]:
    async with services.sessions() as session:
        return list((await session.scalars(select(Notification).order_by(Notification.id))).all())


async def test_two_schedulers_and_two_workers_send_once(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_followers(["o1", "o2", "o3"])
    host_a, greetings_a = await make_greetings()
    host_b, greetings_b = await make_greetings()
    await approved_campaign(greetings_a)
    fake_clock.set(SEND_AT + timedelta(seconds=5))

    for _ in range(3):  # several rounds of both schedulers, all at once
        reports = await asyncio.gather(greetings_a.sweep(), greetings_b.sweep(), greetings_a.sweep())
        await drain(host_a, host_b)
    claimed = [claim for report in reports for claim in report.claimed]

    assert len(fake_wechat.mass_jobs) == 1
    assert len(fake_wechat.calls_to("message/mass/sendall")) == 1
    assert not claimed  # the last rounds found nothing left to claim
    (send,) = await _sends(host_a)
    assert send.state == "submitted" and send.msg_id == next(iter(fake_wechat.mass_jobs))
    assert send.attempts == 1


async def test_racing_claims_of_one_due_send_have_one_winner(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    hosts = [await make_greetings() for _ in range(4)]
    await approved_campaign(hosts[0][1])
    fake_clock.set(SEND_AT)
    reports = await asyncio.gather(*(greetings.sweep() for _, greetings in hosts))
    assert sum(len(report.claimed) for report in reports) == 1


async def test_restart_after_the_send_reached_wechat_does_not_send_again(
    make_greetings, fake_wechat, fake_clock
) -> None:
    fake_wechat.add_followers(["o1", "o2"])
    services, greetings = await make_greetings()
    campaign_id = await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    report = await greetings.sweep()
    (claim,) = report.claimed
    # The worker that held the claim got as far as WeChat, then died before recording the answer.
    view = await greetings.get(campaign_id)
    first_msg_id = await services.api.mass_send_all(message_body(view.campaign, "hans"), view.sends[0].clientmsgid)
    await services.redis.delete(services.queue.data_prefix + f"greeting-send:{claim.send_id}:{claim.token}")
    await services.redis.zrem(services.queue.due_key, f"greeting-send:{claim.send_id}:{claim.token}")

    fake_clock.advance(minutes=3)  # past the claim's lease; a new process starts
    restarted, greetings_after = await make_greetings()
    report = await greetings_after.sweep()
    assert [c.was for c in report.claimed] == ["sending"]
    await drain(restarted)

    assert len(fake_wechat.mass_jobs) == 1  # WeChat answered 45065 to the second call
    assert len(fake_wechat.calls_to("message/mass/sendall")) == 2
    (send,) = await _sends(restarted)
    assert send.state == "submitted" and send.msg_id == first_msg_id


async def test_restart_before_the_send_sends_once_and_old_job_is_harmless(
    make_greetings, fake_wechat, fake_clock
) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    (stale,) = (await greetings.sweep()).claimed  # claimed, job queued, then the process stops
    fake_clock.advance(minutes=3)
    restarted, greetings_after = await make_greetings()
    (fresh,) = (await greetings_after.sweep()).claimed
    assert fresh.token != stale.token
    await drain(services, restarted)  # both the stale job and the fresh one run
    assert len(fake_wechat.mass_jobs) == 1
    assert len(fake_wechat.calls_to("message/mass/sendall")) == 1
    assert (await _sends(restarted))[0].state == "submitted"


async def test_quota_exhausted_is_a_clear_failed_state(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT - timedelta(minutes=30))
    # Someone mass-sent by hand in the WeChat admin console that morning: the day's only send is used.
    await services.api.mass_send_all(
        {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "手工群发"}}, "manual-1"
    )
    fake_clock.set(SEND_AT)
    await greetings.sweep()
    await drain(services)
    for _ in range(3):  # later rounds do not try again
        fake_clock.advance(minutes=10)
        assert not (await greetings.sweep()).claimed

    (send,) = await _sends(services)
    assert send.state == "failed"
    assert "45028" in send.last_error and "配额" in send.last_error
    assert len(fake_wechat.mass_jobs) == 1  # only the manual one
    notices = await _notices(services)
    assert [n.kind for n in notices] == ["failed"] and "45028" in notices[0].text
    view = (await greetings.list_campaigns())[0]
    assert view.summary == "failed"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"errcode": -1}, "繁忙"),
        ({"errcode": 40001, "count": 2}, "access_token"),
        ({"errcode": None, "http_status": 500}, "超时或出错"),
    ],
)
async def test_transient_fault_retries_with_a_visible_reason_and_sends_once(
    make_greetings, fake_wechat, fake_clock, fault, reason
) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    fake_wechat.fail_next("message/mass/sendall", **fault)
    await greetings.sweep()
    await drain(services)
    (send,) = await _sends(services)
    assert send.state == "retrying" and reason in send.last_error
    assert not fake_wechat.mass_jobs

    assert not (await greetings.sweep()).claimed  # not before its backoff
    fake_clock.advance(minutes=1)
    await greetings.sweep()
    await drain(services)
    (send,) = await _sends(services)
    assert send.state == "submitted" and send.last_error == ""
    assert len(fake_wechat.mass_jobs) == 1


async def test_retries_stop_at_the_end_of_the_grace_window(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    fake_wechat.fail_next("message/mass/sendall", errcode=None, http_status=500, count=100)
    for _ in range(40):
        await greetings.sweep()
        await drain(services)
        fake_clock.advance(minutes=5)
    (send,) = await _sends(services)
    assert send.state == "uncertain"  # a timeout may have reached WeChat: a person checks
    assert "多次重试" in send.last_error
    assert [n.kind for n in await _notices(services)] == ["uncertain"]
    assert not fake_wechat.mass_jobs


async def test_late_within_grace_sends_once_and_later_is_missed(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    await approved_campaign(greetings, day=FESTIVAL_DAY + timedelta(days=1))
    # The service was down over the first send time and comes back 1h50 late: still goes out, once.
    fake_clock.set(SEND_AT + timedelta(hours=1, minutes=50))
    await greetings.sweep()
    await greetings.sweep()
    await drain(services)
    assert len(fake_wechat.mass_jobs) == 1
    # Down over the second one for 2h01: it is missed, nothing is sent, supervisors are told.
    fake_clock.set(SEND_AT + timedelta(days=1, hours=2, minutes=1))
    report = await greetings.sweep()
    await drain(services)
    assert report.expired == 1 and not report.claimed
    assert len(fake_wechat.mass_jobs) == 1
    first, second = await _sends(services)
    assert first.state == "submitted"
    assert second.state == "missed" and "宽限期" in second.last_error
    assert [n.kind for n in await _notices(services)] == ["missed"]


async def test_claimed_job_that_runs_after_the_grace_window_is_missed(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT + timedelta(hours=1))
    await greetings.sweep()
    fake_clock.advance(hours=2)  # the queue was stuck; the job runs too late
    await drain(services)
    (send,) = await _sends(services)
    assert send.state == "missed" and not fake_wechat.mass_jobs


async def test_unapproved_campaign_never_goes_out(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await greetings.create_draft("测试节", FESTIVAL_DAY, text_hans="快乐", text_hant="快樂")
    for minutes in (0, 30, 119, 121):
        fake_clock.set(SEND_AT + timedelta(minutes=minutes))
        await greetings.sweep()
        await drain(services)
    assert not fake_wechat.mass_jobs
    (send,) = await _sends(services)
    assert send.state == "missed" and "未审批" in send.last_error


async def test_editing_an_approved_campaign_withdraws_the_approval(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    campaign_id = await approved_campaign(greetings)
    await greetings.edit(campaign_id, by="编辑乙", text_hans="改过的祝福")
    fake_clock.set(SEND_AT)
    assert not (await greetings.sweep()).claimed
    await greetings.approve(campaign_id, by="主管甲")
    await greetings.sweep()
    await drain(services)
    (job,) = fake_wechat.mass_jobs.values()
    assert job.payload["text"]["content"] == "改过的祝福"


async def test_per_tag_times_send_each_tag_at_its_local_morning(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.account_type, fake_wechat.mass_daily_quota = "service", 100
    europe = await _tag(fake_wechat, "欧洲", ["o_paris"])
    asia = await _tag(fake_wechat, "亚洲", ["o_tokyo"])
    config = GreetingConfig(account_type="service")
    services, greetings = await make_greetings(config)
    audience = [
        TagTarget(tag_id=asia, tag_name="亚洲"),
        TagTarget(tag_id=europe, tag_name="欧洲", script="hant", timezone="Europe/Paris"),
    ]
    await approved_campaign(greetings, audience=audience)

    fake_clock.set(SEND_AT)  # 09:00 Beijing
    await greetings.sweep()
    await drain(services)
    assert [job.recipients for job in fake_wechat.mass_jobs.values()] == [["o_tokyo"]]
    fake_clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=UTC))  # 08:59 in Paris
    assert not (await greetings.sweep()).claimed
    fake_clock.advance(minutes=1)
    await greetings.sweep()
    await drain(services)
    jobs = list(fake_wechat.mass_jobs.values())
    assert [job.recipients for job in jobs] == [["o_tokyo"], ["o_paris"]]
    assert jobs[1].payload["text"]["content"] == "節日快樂！"
    assert {job.clientmsgid for job in jobs} == {
        clientmsgid("测试节", FESTIVAL_DAY, f"tag:{t}") for t in (asia, europe)
    }


async def test_two_tags_on_one_day_are_refused_for_a_subscription_account(make_greetings, fake_wechat) -> None:
    from greetings.core import GreetingRefused

    _services, greetings = await make_greetings()
    campaign_id, _ = await greetings.create_draft(
        "测试节",
        FESTIVAL_DAY,
        text_hans="快乐",
        text_hant="快樂",
        audience=[TagTarget(tag_id=101, tag_name="亚洲"), TagTarget(tag_id=102, tag_name="欧洲")],
    )
    report = await greetings.quota(campaign_id)
    assert not report.ok
    with pytest.raises(GreetingRefused, match="订阅号每天只能群发 1 次"):
        await greetings.approve(campaign_id, by="主管甲")


async def test_stale_job_payload_is_ignored(make_greetings, fake_wechat, fake_clock) -> None:
    fake_wechat.add_follower("o1")
    services, greetings = await make_greetings()
    await approved_campaign(greetings)
    fake_clock.set(SEND_AT)
    (claim,) = (await greetings.sweep()).claimed
    await services.queue.enqueue(JOB_KIND, {"send_id": claim.send_id, "token": "not-the-claim"})
    await drain(services)
    assert len(fake_wechat.calls_to("message/mass/sendall")) == 1


async def _tag(fake_wechat, name: str, openids: list[str]) -> int:
    fake_wechat.add_followers(openids)
    tag_id = int(fake_wechat.create_tag({"tag": {"name": name}})["tag"]["id"])
    fake_wechat.batch_tag({"openid_list": openids, "tagid": tag_id})
    return tag_id


async def test_a_sweeper_that_read_a_candidate_late_cannot_claim_it_twice(make_greetings, fake_clock) -> None:
    """The race spelled out: A reads the due row, B claims it and commits, then A tries to take it."""
    from greetings.claims import claim_due, due_candidates, take

    host_a, greetings_a = await make_greetings()
    host_b, _ = await make_greetings()
    await approved_campaign(greetings_a)
    fake_clock.set(SEND_AT)
    now, lease = fake_clock(), timedelta(minutes=2)
    async with host_a.sessions() as session_a, session_a.begin():
        seen = await due_candidates(session_a, now)  # PostgreSQL: row locked until A commits
        async with host_b.sessions() as session_b, session_b.begin():
            claims_b = await claim_due(session_b, now, lease)
        claims_a = [claim for send_id, state in seen if (claim := await take(session_a, send_id, state, now, lease))]
    assert len(claims_a) + len(claims_b) == 1
