"""Approval: supervisors preview a campaign, check the mass-send quota, approve or cancel it, and retry a
segment that failed or was missed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from greetings.claims import transition
from greetings.core import GreetingCore, GreetingRefused, message_body
from greetings.models import GreetingCampaign, GreetingSend
from greetings.reasons import explain_error
from greetings.schedule import PlannedSend, QuotaReport, check_quota, due_decision
from wechat.api_errors import WeChatApiError

log = logging.getLogger(__name__)


_UNSENT_ELSEWHERE = ("failed", "missed", "uncertain", "cancelled")


class Approval(GreetingCore):
    async def preview(self, campaign_id: int, openid: str, *, by: str, script: str = "hans") -> int:
        """Send the campaign to one supervisor's WeChat (mass preview: no quota used). Returns msg_id."""
        async with self.sessions() as session:
            campaign = await self._campaign(session, campaign_id)
            body = message_body(campaign, script)
        try:
            msg_id = await self.api.mass_preview(openid, body)
        except WeChatApiError as exc:
            raise GreetingRefused(f"预览发送失败：{explain_error(exc)}") from exc
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(GreetingCampaign)
                .where(GreetingCampaign.id == campaign_id)
                .values(previewed_by=by, previewed_at=self.clock.now())
            )
        return msg_id

    async def quota(self, campaign_id: int) -> QuotaReport:
        async with self.sessions() as session:
            campaign = await self._campaign(session, campaign_id)
            sends = await self._sends(session, campaign_id)
            return await self._quota(session, campaign, sends)

    async def _quota(
        self, session: AsyncSession, campaign: GreetingCampaign, sends: Sequence[GreetingSend]
    ) -> QuotaReport:
        if campaign.mode == "per_follower":
            return QuotaReport(["客服消息逐人发送：不占群发额度，只发给48小时内与公众号互动过的关注者"], [])
        planned = [
            PlannedSend(f"{campaign.festival}·{s.tag_name}", s.tag_id, s.send_at)
            for s in sends
            if s.state not in _UNSENT_ELSEWHERE
        ]
        if not planned:
            return QuotaReport([], ["没有待发送的受众"])
        start = min(p.at for p in planned) - timedelta(days=32)
        end = max(p.at for p in planned) + timedelta(days=32)
        rows = (
            await session.execute(
                select(GreetingSend, GreetingCampaign.festival)
                .join(GreetingCampaign, GreetingCampaign.id == GreetingSend.campaign_id)
                .where(
                    GreetingSend.campaign_id != campaign.id,
                    GreetingCampaign.mode == "mass",
                    GreetingSend.send_at.between(start, end),
                    GreetingSend.state.not_in(_UNSENT_ELSEWHERE),
                    (GreetingCampaign.state == "approved")
                    | GreetingSend.state.in_(("sending", "retrying", "submitted", "awaiting_admin", "done")),
                )
            )
        ).all()
        others = [PlannedSend(f"{festival}·{send.tag_name}", send.tag_id, send.send_at) for send, festival in rows]
        return check_quota(self.config.account_type, planned, others)

    async def approve(self, campaign_id: int, *, by: str) -> QuotaReport:
        """Approve the current version; refused (with the reason) when it cannot go out as planned."""
        if not by.strip():
            raise GreetingRefused("审批需要注明审批人")
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            campaign = await self._campaign_for_update(session, campaign_id)
            if campaign.state == "cancelled":
                raise GreetingRefused("已取消的问候不能审批")
            sends = await self._sends(session, campaign_id)
            pending = [send for send in sends if send.state == "pending"]
            if not pending:
                raise GreetingRefused("没有待发送的受众（可能已发送、已错过或已失败）")
            late = [s for s in pending if due_decision(s.send_at, now, self.config.grace) == "missed"]
            if late:
                names = "、".join(s.tag_name for s in late)
                raise GreetingRefused(
                    f"{names} 的发送时间已过（超过宽限期 {self.config.grace_hours:g} 小时），不能再发送"
                )
            report = await self._quota(session, campaign, sends)
            if not report.ok:
                raise GreetingRefused("；".join(report.problems))
            campaign.state = "approved"
            campaign.approved_version = campaign.version
            campaign.approved_by = by
            campaign.approved_at = now
            campaign.updated_at = now
        log.info("greeting campaign %s approved by %s", campaign_id, by)
        return report

    async def cancel(self, campaign_id: int, *, by: str) -> None:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            campaign = await self._campaign_for_update(session, campaign_id)
            campaign.state = "cancelled"
            campaign.updated_at = now
            await session.execute(
                update(GreetingSend)
                .where(GreetingSend.campaign_id == campaign_id, GreetingSend.state.in_(("pending", "retrying")))
                .values(state="cancelled", last_error=f"由 {by} 取消", updated_at=now)
            )

    async def retry(self, send_id: int, *, by: str) -> None:
        """A supervisor sends a failed or missed segment again (e.g. after freeing the quota), once more."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            send = await session.get(GreetingSend, send_id)
            if send is None:
                raise GreetingRefused("没有这条发送记录")
            if send.state not in ("failed", "missed"):
                raise GreetingRefused("只有失败或错过的发送可以重试")
            # A retry is a new decision to send now: its grace window starts now.
            won = await transition(
                session,
                send_id,
                {"state": send.state},
                {
                    "state": "retrying",
                    "next_attempt_at": now,
                    "send_at": now,
                    "first_attempt_at": None,
                    "last_error": f"{by} 要求重试（上次：{send.last_error}）",
                    "updated_at": now,
                },
            )
            if not won:
                raise GreetingRefused("状态已变化，请刷新后再试")
