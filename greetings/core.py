"""What every part of a greeting campaign's life shares: the adapters, the refusal shown to supervisors,
loading campaigns and their sends, notifying supervisors and ending a send in a bad state; and the
mass-send body."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from delivery.service import DeliveryService
from greetings.claims import transition
from greetings.config import GreetingConfig
from greetings.models import GreetingCampaign, GreetingSend
from jobs.queue import JobQueue
from staff.notifications import StaffNotifier, WeChatPush
from wechat.api_client import WeChatApiClient

log = logging.getLogger(__name__)


class GreetingRefused(ValueError):
    """The action cannot be done; the message (Chinese) is shown to the supervisor as is."""


class GreetingCore:
    """The adapters and shared steps; ``drafting``, ``approval``, ``scheduling``, ``sending`` and ``results``
    each add one part of a campaign's life, and ``service.GreetingService`` is all of them."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        queue: JobQueue,
        api: WeChatApiClient,
        deliveries: DeliveryService,
        clock: Clock,
        config: GreetingConfig,
        notifier: StaffNotifier,
        *,
        lease: timedelta = timedelta(minutes=2),
        poll_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.api = api
        self.deliveries = deliveries
        self.clock = clock
        self.config = config
        self.lease = lease
        self.poll_after = poll_after
        self.notifier = notifier  # supervisors' notifications; reminders also reach their WeChat when configured

    async def _notice(
        self,
        session: AsyncSession,
        campaign_id: int,
        send_id: int | None,
        kind: str,
        key: str,
        text: str,
        level: str,
        now: datetime,
        push: WeChatPush | None = None,
    ) -> list[int]:
        """A notification for supervisors (written once per ``key``); with ``push``, also on their WeChat."""
        return await self.notifier.tell(
            session,
            recipient="role:supervisor",
            kind=kind,
            text=text,
            now=now,
            key=key,
            level=level,
            campaign_id=campaign_id,
            send_id=send_id,
            push=push,
        )

    async def _finish(
        self,
        session: AsyncSession,
        send: GreetingSend,
        campaign: GreetingCampaign,
        expect: dict[str, Any],
        state: str,
        reason: str,
        now: datetime,
    ) -> bool:
        """Move a send to a final bad state with a reason and tell supervisors, if still as expected."""
        won = await transition(
            session,
            send.id,
            expect,
            {"state": state, "last_error": reason, "lease_until": None, "updated_at": now},
        )
        if won:
            label = {"missed": "错过", "failed": "失败", "uncertain": "结果不确定"}.get(state, state)
            text = f"「{campaign.festival}」问候（{send.tag_name}）{label}：{reason}"
            await self._notice(
                session, campaign.id, send.id, state, f"{state}:{send.id}:{send.attempts}", text, "error", now
            )
            log.error("greeting send %s %s: %s", send.id, state, reason)
        return won

    @staticmethod
    async def _campaign(session: AsyncSession, campaign_id: int) -> GreetingCampaign:
        campaign = await session.get(GreetingCampaign, campaign_id)
        if campaign is None:
            raise GreetingRefused(f"没有编号为 {campaign_id} 的问候")
        return campaign

    @staticmethod
    async def _campaign_for_update(session: AsyncSession, campaign_id: int) -> GreetingCampaign:
        campaign = await session.get(GreetingCampaign, campaign_id, with_for_update=True)
        if campaign is None:
            raise GreetingRefused(f"没有编号为 {campaign_id} 的问候")
        return campaign

    @staticmethod
    async def _sends(session: AsyncSession, campaign_id: int) -> Sequence[GreetingSend]:
        return (
            await session.scalars(
                select(GreetingSend)
                .where(GreetingSend.campaign_id == campaign_id)
                .order_by(GreetingSend.send_at, GreetingSend.id)
            )
        ).all()


def message_body(campaign: GreetingCampaign, script: str, tag_id: int | None = None) -> dict[str, Any]:
    """The mass-send body (without ``clientmsgid``); also used for previews, which ignore ``filter``."""
    text = campaign.text_hant if script == "hant" else campaign.text_hans
    audience: dict[str, Any] = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
    body: dict[str, Any] = {"filter": audience}
    if campaign.msgtype == "mpnews" and campaign.media_id:
        body.update(msgtype="mpnews", mpnews={"media_id": campaign.media_id}, send_ignore_reprint=0)
    elif campaign.msgtype == "image" and campaign.media_id:
        body.update(msgtype="image", images={"media_ids": [campaign.media_id]})
    else:
        body.update(msgtype="text", text={"content": text})
    return body
