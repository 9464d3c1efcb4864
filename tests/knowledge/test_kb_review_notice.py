"""The weekly review-due notice: once per week from Monday 09:00 (Beijing), to supervisors through staff's
one notification path (a console notification and a staff template message), against the real database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select

from faq.kb import load_kb
from faq.store import replace_entries
from knowledge.content import PolicySource
from knowledge.drafts import save_draft
from knowledge.menu import menu_categories
from knowledge.publishing import publish
from knowledge.review_notice import send_weekly_notice
from knowledge.store import published
from staff.accounts import create_staff
from staff.models import Notification, StaffUser
from storage.models import Delivery

KB_SMALL = Path(__file__).resolve().parents[1] / "data" / "kb_small.yaml"


class Supervisor:
    username = "sam"

    def can(self, role: str) -> bool:
        return True


async def test_weekly_notice_reaches_supervisors_once_a_week(make_services) -> None:  # type: ignore[no-untyped-def]
    services = await make_services(wechat_staff_template_id="tmpl-staff-notice")
    replace_entries(load_kb(KB_SMALL), url=services.settings.database_url)
    tz = services.settings.tz
    monday_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, a Monday
    async with services.sessions() as session:
        create_staff(session, "sam", "pw-not-used-here", "supervisor")
        create_staff(session, "alice", "pw-not-used-here", "staff")
        await session.flush()
        sam = (await session.scalars(select(StaffUser).where(StaffUser.username == "sam"))).one()
        sam.wechat_openid = "o_sam_wechat"
        _, entries = await published(session)
        entry = next(e for e in entries if e.id == "consular-protection")
        expired = replace(entry, source=PolicySource(authority="外交部", expires_on=date(2026, 1, 1)))
        draft = await save_draft(session, Supervisor(), expired, monday_10)
        await publish(
            session, Supervisor(), [draft.id], menu=menu_categories(), month="2026-11", now=monday_10, acknowledged=True
        )
        await session.commit()

    async def send(at: datetime) -> bool:
        return await send_weekly_notice(
            services.sessions,
            services.notifier,
            services.deliveries.enqueue,
            at,
            tz,
            services.settings.kb_review_months,
        )

    assert await send(monday_10)
    assert not await send(monday_10)  # the same week: already told
    assert not await send(datetime(2026, 11, 30, 0, 30, tzinfo=UTC))  # next Monday 08:30: not yet
    assert await send(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # next Monday 09:30
    async with services.sessions() as session:
        notes = (await session.scalars(select(Notification).order_by(Notification.id))).all()
        assert [(n.recipient, n.kind, n.key) for n in notes] == [
            ("role:supervisor", "kb_review_due", "kb-review-due:2026-W48"),
            ("role:supervisor", "kb_review_due", "kb-review-due:2026-W49"),
        ]
        assert "1 条的政策依据已失效" in notes[0].text
        pushed = (await session.scalars(select(Delivery).where(Delivery.purpose == "staff_kb_review"))).all()
        assert sorted(d.openid for d in pushed) == ["o_sam_wechat", "o_sam_wechat"]  # alice (staff) is not told
        assert pushed[0].payload["template_id"] == "tmpl-staff-notice"
        assert await session.scalar(select(func.count()).select_from(Notification)) == 2


async def test_a_running_process_schedules_and_sends_the_notice(make_services, fake_wechat, fake_clock) -> None:  # type: ignore[no-untyped-def]
    """Not only the function: a process started with its jobs (``qiaobot serve`` / ``worker``) runs the weekly
    sweep by itself, and the template message reaches WeChat within the 2023 template rules (no first/remark,
    the typed fields only, checked by the fake WeChat API)."""
    import asyncio

    services = await make_services(clock=fake_clock, wechat_staff_template_id="TPL_FAKE_STAFF")
    replace_entries(load_kb(KB_SMALL), url=services.settings.database_url)
    fake_wechat.add_follower("o_sam_wechat")
    now = services.clock.now()  # Monday 2026-11-23 10:00 in Beijing
    async with services.sessions() as session:
        create_staff(session, "sam", "pw-not-used-here", "supervisor")
        await session.flush()
        sam = (await session.scalars(select(StaffUser).where(StaffUser.username == "sam"))).one()
        sam.wechat_openid = "o_sam_wechat"
        _, entries = await published(session)
        entry = next(e for e in entries if e.id == "consular-protection")
        draft = await save_draft(
            session,
            Supervisor(),
            replace(entry, source=PolicySource(authority="外交部", expires_on=date(2026, 1, 1))),
            now,
        )
        await publish(
            session, Supervisor(), [draft.id], menu=menu_categories(), month="2026-11", now=now, acknowledged=True
        )
        await session.commit()

    await services.start(run_jobs=True)

    async def delivery_state() -> str | None:
        async with services.sessions() as session:
            found = await session.scalar(select(Delivery.state).where(Delivery.purpose == "staff_kb_review"))
        return found

    deadline = asyncio.get_running_loop().time() + 30
    while await delivery_state() != "sent":
        assert asyncio.get_running_loop().time() < deadline, "the weekly notice was not sent by the running process"
        await asyncio.sleep(0.2)
    [sent] = fake_wechat.templates_sent
    assert sent.openid == "o_sam_wechat" and sent.template_id == "TPL_FAKE_STAFF"
    assert set(sent.data) == {"thing1", "time2"}  # no first/remark
    assert sent.data["thing1"]["value"] == "知识库有1条待审核"
    assert sent.url is None or sent.url.endswith("/console/faq?review=due")
    async with services.sessions() as session:
        notes = (await session.scalars(select(Notification).where(Notification.kind == "kb_review_due"))).all()
        assert [n.key for n in notes] == ["kb-review-due:2026-W48"]
