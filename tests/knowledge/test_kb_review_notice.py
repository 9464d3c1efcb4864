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
