"""Scheduling: one scheduler round (drafts due, approval reminders, missed sends, claiming due sends)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from greetings.claims import Claim, claim_due
from greetings.drafting import Drafting
from greetings.models import GreetingCampaign, GreetingSend
from greetings.sending import JOB_KIND
from staff.notifications import WeChatPush

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    drafts: list[int] = field(default_factory=list)
    reminders: int = 0
    expired: int = 0
    claimed: list[Claim] = field(default_factory=list)


class Scheduling(Drafting):
    async def sweep(self) -> SweepReport:
        """One scheduler round; every worker process runs it and any number may run at once."""
        drafts = await self.plan_drafts()
        reminders = await self.remind()
        expired = await self.expire()
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            claims = await claim_due(session, now, self.lease)
        for claim in claims:
            await self.queue.enqueue(
                JOB_KIND,
                {"send_id": claim.send_id, "token": claim.token},
                job_id=f"greeting-send:{claim.send_id}:{claim.token}",
            )
        if claims:
            log.info("greetings: claimed %s due sends", len(claims))
        return SweepReport(drafts, reminders, expired, claims)

    async def remind(self) -> int:
        """Notices for campaigns still unapproved as their send time nears (once per reminder step)."""
        now = self.clock.now()
        offsets = self.config.reminders
        written = 0
        pushes: list[int] = []
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(GreetingCampaign, func.min(GreetingSend.send_at))
                    .join(GreetingSend, GreetingSend.campaign_id == GreetingCampaign.id)
                    .where(
                        GreetingCampaign.state == "draft",
                        GreetingSend.state == "pending",
                        GreetingSend.send_at > now,
                    )
                    .group_by(GreetingCampaign.id)
                )
            ).all()
            for campaign, first_send in rows:
                step = sum(1 for offset in offsets if now >= first_send - offset)
                if step <= campaign.reminders_sent:
                    continue
                result = await session.execute(
                    update(GreetingCampaign)
                    .where(
                        GreetingCampaign.id == campaign.id,
                        GreetingCampaign.reminders_sent == campaign.reminders_sent,
                    )
                    .values(reminders_sent=step)
                )
                if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
                    continue
                local = first_send.astimezone(self.config.zone)
                text = (
                    f"「{campaign.festival}」节日问候尚未审批，计划于 {local:%m月%d日 %H:%M} 发送；"
                    "未审批的问候不会发出，请预览并审批"
                )
                pushes += await self._notice(
                    session,
                    campaign.id,
                    None,
                    "reminder",
                    f"reminder:{campaign.id}:{step}",
                    text,
                    "warning",
                    now,
                    push=WeChatPush(
                        key=f"greeting-reminder:{campaign.id}:{step}",
                        purpose="greeting_reminder",
                        path="/console/greetings",
                        matter=f"{campaign.festival}问候待审批",
                    ),
                )
                log.warning("greeting campaign %s (%s) unapproved, due %s", campaign.id, campaign.festival, local)
                written += 1
        for delivery_id in pushes:
            await self.deliveries.enqueue(delivery_id)
        return written

    async def expire(self) -> int:
        """Pending sends whose time passed beyond the grace window are missed; supervisors are told."""
        now = self.clock.now()
        cutoff = now - self.config.grace
        count = 0
        async with self.sessions() as session, session.begin():
            rows = (
                await session.execute(
                    select(GreetingSend, GreetingCampaign)
                    .join(GreetingCampaign, GreetingCampaign.id == GreetingSend.campaign_id)
                    .where(GreetingSend.state == "pending", GreetingSend.send_at < cutoff)
                )
            ).all()
            for send, campaign in rows:
                approved = campaign.state == "approved" and campaign.approved_version == campaign.version
                reason = "服务中断，发送时间已过宽限期，未发送" if approved else "发送时间前未审批，未发送"
                if await self._finish(session, send, campaign, {"state": "pending"}, "missed", reason, now):
                    count += 1
        return count
