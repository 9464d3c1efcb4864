"""Drafting: campaigns created ahead of each festival from the templates, and edits before they go out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from calendars.festivals import festivals_in_year
from greetings.config import Audience, Mode
from greetings.core import GreetingCore, GreetingRefused
from greetings.models import GreetingCampaign, GreetingSend
from greetings.schedule import AudienceError, Segment, clientmsgid, draft_due, plan_segments, render

log = logging.getLogger(__name__)


class Drafting(GreetingCore):
    async def create_draft(
        self,
        festival: str,
        festival_day: date,
        *,
        created_by: str = "system",
        audience: Audience | None = None,
        mode: Mode | None = None,
        text_hans: str | None = None,
        text_hant: str | None = None,
    ) -> tuple[int, bool]:
        """The campaign for ``festival`` on ``festival_day``, created from the template if it does not
        exist yet. Safe to race: the (festival, day) pair is unique. Returns (id, created)."""
        template = self.config.festivals.get(festival)
        if (text_hans is None or text_hant is None) and template is None:
            raise GreetingRefused(f"没有“{festival}”的问候模板（config/greetings.yaml），请先填写文案")
        hans = text_hans if text_hans is not None else render(template.hans, festival_day, "hans")  # type: ignore[union-attr]
        hant = text_hant if text_hant is not None else render(template.hant, festival_day, "hant")  # type: ignore[union-attr]
        try:
            segments = plan_segments(self.config, festival_day, audience or self.config.audience_for(festival))
        except AudienceError as exc:
            raise GreetingRefused(str(exc)) from None
        now = self.clock.now()
        existing = await self._find(festival, festival_day)
        if existing is not None:
            return existing, False
        try:
            async with self.sessions() as session, session.begin():
                campaign = GreetingCampaign(
                    festival=festival,
                    festival_date=festival_day,
                    mode=mode or self.config.mode_for(festival),
                    text_hans=hans,
                    text_hant=hant,
                    msgtype="text",
                    state="draft",
                    version=1,
                    reminders_sent=0,
                    created_by=created_by,
                    created_at=now,
                    updated_at=now,
                )
                session.add(campaign)
                await session.flush()
                self._add_segments(session, campaign, segments, now)
        except IntegrityError:  # another scheduler created it first
            found = await self._find(festival, festival_day)
            if found is None:
                raise
            return found, False
        log.info("greeting draft %s created for %s %s", campaign.id, festival, festival_day)
        return campaign.id, True

    async def _find(self, festival: str, festival_day: date) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(GreetingCampaign.id).where(
                    GreetingCampaign.festival == festival, GreetingCampaign.festival_date == festival_day
                )
            )

    @staticmethod
    def _add_segments(
        session: AsyncSession, campaign: GreetingCampaign, segments: Sequence[Segment], now: datetime
    ) -> None:
        for segment in segments:
            session.add(
                GreetingSend(
                    campaign_id=campaign.id,
                    segment=segment.key,
                    tag_id=segment.tag_id,
                    tag_name=segment.tag_name,
                    script=segment.script,
                    send_at=segment.send_at,
                    clientmsgid=clientmsgid(campaign.festival, campaign.festival_date, segment.key),
                    state="pending",
                    attempts=0,
                    last_error="",
                    updated_at=now,
                )
            )

    def upcoming(self, today: date | None = None) -> list[tuple[str, date]]:
        """Festivals with a template whose draft should exist by ``today`` (local date)."""
        today = today or self.clock.now().astimezone(self.config.zone).date()
        custom = self.config.custom_festivals()
        found = []
        for year in (today.year, today.year + 1):
            for festival in festivals_in_year(year, custom):
                if festival.name in self.config.festivals and draft_due(festival.date, today, self.config.days_ahead):
                    found.append((festival.name, festival.date))
        return found

    async def plan_drafts(self) -> list[int]:
        """Create the drafts that are due; returns the ids created by this call."""
        created = []
        for festival, day in self.upcoming():
            campaign_id, new = await self.create_draft(festival, day)
            if new:
                created.append(campaign_id)
        return created

    async def edit(
        self,
        campaign_id: int,
        *,
        by: str,
        text_hans: str | None = None,
        text_hant: str | None = None,
        audience: Audience | None = None,
        mode: Mode | None = None,
    ) -> None:
        """Change a campaign that has not started going out. An approved one goes back to draft: what was
        approved is not what would be sent any more."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            campaign = await self._campaign_for_update(session, campaign_id)
            sends = await self._sends(session, campaign_id)
            if any(send.state not in ("pending", "missed", "failed", "cancelled") for send in sends):
                raise GreetingRefused("已开始发送，不能再修改")
            for label, text in (("简体", text_hans), ("繁體", text_hant)):
                if text is not None and not text.strip():
                    raise GreetingRefused(f"{label}文案不能为空")
            if text_hans is not None:
                campaign.text_hans = text_hans.strip()
            if text_hant is not None:
                campaign.text_hant = text_hant.strip()
            if mode is not None:
                campaign.mode = mode
            if audience is not None:
                try:
                    segments = plan_segments(self.config, campaign.festival_date, audience)
                except AudienceError as exc:
                    raise GreetingRefused(str(exc)) from None
                for send in sends:
                    await session.delete(send)
                await session.flush()
                self._add_segments(session, campaign, segments, now)
            campaign.version += 1
            if campaign.state == "approved":
                campaign.state = "draft"
            campaign.updated_at = now
        log.info("greeting campaign %s edited by %s (version %s)", campaign_id, by, campaign.version)
