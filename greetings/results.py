"""Results: what WeChat reports back (MASSSENDJOBFINISH, ``mass/get``), per-follower progress, and the
campaigns as supervisors read them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from greetings.claims import transition
from greetings.core import GreetingCore
from greetings.models import GreetingCampaign, GreetingSend
from greetings.reasons import explain_job_status, job_succeeded
from staff.models import Notification
from staff.notifications import campaign_notifications, mark_campaign_notification_read
from storage.models import Delivery
from wechat.api_errors import WeChatApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """Per-follower sends: how many customer-service messages are in each state."""

    total: int
    sent: int
    failed: int
    open: int

    @property
    def finished(self) -> bool:
        return self.open == 0


@dataclass(frozen=True)
class CampaignView:
    campaign: GreetingCampaign
    sends: list[GreetingSend]

    @property
    def summary(self) -> str:
        """The campaign's state in one word for lists: its own state, or its sends' once approved."""
        if self.campaign.state != "approved" or self.campaign.approved_version != self.campaign.version:
            return "cancelled" if self.campaign.state == "cancelled" else "draft"
        states = {send.state for send in self.sends}
        for state in (
            "failed",
            "uncertain",
            "missed",
            "awaiting_admin",
            "retrying",
            "sending",
            "submitted",
            "pending",
        ):
            if state in states:
                return state
        return "done" if states else "approved"


class Results(GreetingCore):
    async def record_job_finish(
        self,
        session: AsyncSession,
        msg_id: int,
        status: str,
        total: int,
        filtered: int,
        sent: int,
        errors: int,
    ) -> bool:
        """Reconcile a MASSSENDJOBFINISH report (webhook transaction); False if the msg_id is not ours."""
        send = await session.scalar(select(GreetingSend).where(GreetingSend.msg_id == msg_id))
        if send is None:
            return False
        now = self.clock.now()
        values: dict[str, Any] = {
            "wechat_status": status[:64],
            "total_count": total,
            "filter_count": filtered,
            "sent_count": sent,
            "error_count": errors,
            "finished_at": now,
            "updated_at": now,
        }
        if job_succeeded(status):
            await transition(session, send.id, {}, {**values, "state": "done"})
        else:
            await transition(session, send.id, {}, values)
            campaign = await self._campaign(session, send.campaign_id)
            await self._finish(
                session,
                send,
                campaign,
                {"state": ("submitted", "awaiting_admin")},
                "failed",
                explain_job_status(status),
                now,
            )
        log.info(
            "greeting send %s finished: %s total=%s filter=%s sent=%s error=%s",
            send.id,
            status,
            total,
            filtered,
            sent,
            errors,
        )
        return True

    async def reconcile(self, limit: int = 20) -> int:
        """Poll ``mass/get`` for sends WeChat has not reported on, and count per-follower progress."""
        now = self.clock.now()
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(GreetingSend, GreetingCampaign.mode)
                    .join(GreetingCampaign, GreetingCampaign.id == GreetingSend.campaign_id)
                    .where(
                        GreetingSend.state.in_(("submitted", "awaiting_admin")),
                        GreetingSend.updated_at <= now - self.poll_after,
                    )
                    .order_by(GreetingSend.updated_at)
                    .limit(limit)
                )
            ).all()
        for send, mode in rows:
            if mode == "per_follower":
                await self._reconcile_deliveries(send.id)
            elif send.msg_id is not None:
                await self._poll_mass(send)
        return len(rows)

    async def _poll_mass(self, send: GreetingSend) -> None:
        now = self.clock.now()
        try:
            status = await self.api.mass_get(int(send.msg_id or 0))
        except WeChatApiError as exc:
            log.warning("mass/get for greeting send %s failed: %s", send.id, exc)
            return
        async with self.sessions() as session, session.begin():
            campaign = await self._campaign(session, send.campaign_id)
            expect = {"state": ("submitted", "awaiting_admin")}
            if status == "SEND_FAIL":
                await self._finish(session, send, campaign, expect, "failed", explain_job_status("send fail"), now)
            elif status == "SENDING" and send.tag_id is None:
                # Under API mass-send protection a send to all waits for an admin's confirmation (30 min).
                await transition(
                    session,
                    send.id,
                    expect,
                    {
                        "state": "awaiting_admin",
                        "wechat_status": status,
                        "updated_at": now,
                        "last_error": "微信仍在处理；若开启了“API群发保护”，需管理员在30分钟内于微信中确认",
                    },
                )
            elif status == "DELETE":
                await transition(
                    session,
                    send.id,
                    expect,
                    {
                        "state": "done",
                        "wechat_status": status,
                        "last_error": "群发后已被删除",
                        "updated_at": now,
                    },
                )
            else:
                state = "submitted" if status == "SEND_SUCCESS" else send.state
                await transition(
                    session,
                    send.id,
                    expect,
                    {
                        "state": state,
                        "wechat_status": status,
                        "updated_at": now,
                        "last_error": "" if status == "SEND_SUCCESS" else send.last_error,
                    },
                )

    async def progress(self, send_id: int) -> Progress:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Delivery.state, func.count())
                    .where(Delivery.ref == f"greeting-send:{send_id}")
                    .group_by(Delivery.state)
                )
            ).all()
        counts = {str(state): int(n) for state, n in rows}
        total = sum(counts.values())
        sent = counts.get("sent", 0)
        open_ = counts.get("pending", 0) + counts.get("sending", 0)
        return Progress(total, sent, total - sent - open_, open_)

    async def _reconcile_deliveries(self, send_id: int) -> None:
        progress = await self.progress(send_id)
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            values: dict[str, Any] = {
                "sent_count": progress.sent,
                "error_count": progress.failed,
                "updated_at": now,
            }
            if progress.finished:
                values.update(state="done", finished_at=now, wechat_status="customer-service")
            await transition(session, send_id, {"state": "submitted"}, values)

    async def list_campaigns(self, *, since: date | None = None, limit: int = 100) -> list[CampaignView]:
        async with self.sessions() as session:
            query = select(GreetingCampaign).order_by(GreetingCampaign.festival_date.desc()).limit(limit)
            if since is not None:
                query = query.where(GreetingCampaign.festival_date >= since)
            campaigns = (await session.scalars(query)).all()
            return [CampaignView(c, list(await self._sends(session, c.id))) for c in campaigns]

    async def get(self, campaign_id: int) -> CampaignView:
        async with self.sessions() as session:
            campaign = await self._campaign(session, campaign_id)
            return CampaignView(campaign, list(await self._sends(session, campaign_id)))

    async def notices(self, *, unread_only: bool = True, limit: int = 100) -> list[Notification]:
        async with self.sessions() as session:
            return await campaign_notifications(session, unread_only=unread_only, limit=limit)

    async def mark_read(self, notice_id: int) -> None:
        async with self.sessions() as session, session.begin():
            await mark_campaign_notification_read(session, notice_id, self.clock.now())
