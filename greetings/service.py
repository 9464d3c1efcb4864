"""Festival greeting campaigns: drafted ahead, edited, previewed and approved by supervisors, sent once.

Exactly once, by design rather than by luck: the due work is a ``GreetingSend`` row; a sweeper (every
worker process runs one) claims due rows atomically (``greetings.claims``) and enqueues a job per claim;
the job records ``sending`` before it calls WeChat, and the call carries a ``clientmsgid`` derived from
the campaign, so a second claimant after a crash makes WeChat answer 45065 with the first ``msg_id``
instead of sending again. Every way a send can end is a stored state with a reason, and supervisors get a
notice for each one that needs them (unapproved before the time, missed, failed, uncertain).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from calendars.clock import Clock
from calendars.festivals import festivals_in_year
from delivery.service import DeliveryService, text_payload
from greetings.claims import Claim, claim_due, transition
from greetings.config import Audience, GreetingConfig, Mode
from greetings.models import GreetingCampaign, GreetingSend
from greetings.reasons import explain_error, explain_job_status, job_succeeded
from greetings.schedule import (
    AudienceError,
    PlannedSend,
    QuotaReport,
    Segment,
    check_quota,
    clientmsgid,
    draft_due,
    due_decision,
    plan_segments,
    render,
)
from jobs.queue import JobQueue
from staff.models import Notification
from staff.notifications import (
    StaffNotifier,
    WeChatPush,
    campaign_notifications,
    mark_campaign_notification_read,
)
from storage.models import Delivery, Follower
from wechat.api_client import WeChatApiClient, WeChatApiError, WeChatTransportError

log = logging.getLogger(__name__)

JOB_KIND = "greetings.send"
DELIVERY_PURPOSE = "greeting"
CUSTOM_WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 6
_UNSENT_ELSEWHERE = ("failed", "missed", "uncertain", "cancelled")


class GreetingRefused(ValueError):
    """The action cannot be done; the message (Chinese) is shown to the supervisor as is."""


@dataclass(frozen=True)
class SweepReport:
    drafts: list[int] = field(default_factory=list)
    reminders: int = 0
    expired: int = 0
    claimed: list[Claim] = field(default_factory=list)


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


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 30 * 2 ** max(0, attempts - 1)))


class GreetingService:
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

    # --- drafts -------------------------------------------------------------------------------------

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

    # --- supervisors' actions -------------------------------------------------------------------------

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

    # --- the sweeper ----------------------------------------------------------------------------------

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

    # --- the send job -----------------------------------------------------------------------------------

    async def run_send_job(self, payload: dict[str, Any]) -> None:
        """Send one claimed segment. Always returns normally: retries are driven by the row, not the queue."""
        send_id, token = int(payload["send_id"]), str(payload["token"])
        now = self.clock.now()
        mine = {"state": "sending", "claim_token": token}
        async with self.sessions() as session, session.begin():
            send = await session.get(GreetingSend, send_id)
            if send is None or send.state != "sending" or send.claim_token != token:
                return  # a stale job: someone else holds (or finished) this send
            campaign = await self._campaign(session, send.campaign_id)
            if campaign.state != "approved" or campaign.approved_version != campaign.version:
                await transition(
                    session,
                    send_id,
                    mine,
                    {"state": "pending", "claim_token": None, "lease_until": None, "updated_at": now},
                )
                return
            if due_decision(send.send_at, now, self.config.grace) == "missed":
                if send.first_attempt_at is None:
                    reason = "服务中断，发送时间已过宽限期，未发送"
                    await self._finish(session, send, campaign, mine, "missed", reason, now)
                else:
                    # An earlier attempt may have reached WeChat; re-sending this late could greet twice
                    # once WeChat's 24-hour clientmsgid memory is gone, and would be late anyway.
                    reason = (
                        "发送过程中断且已过宽限期，未自动重发；微信端可能已收到，"
                        f"请在公众平台“已群发”中核对（最后错误：{send.last_error or '无'}）"
                    )
                    await self._finish(session, send, campaign, mine, "uncertain", reason, now)
                return
            if send.first_attempt_at is None:
                send.first_attempt_at = now
            send.lease_until = now + self.lease
            send.updated_at = now
            body = message_body(campaign, send.script, send.tag_id)
            mode, cmid = campaign.mode, send.clientmsgid
        if mode == "per_follower":
            await self._fan_out(send_id, token)
            return
        try:
            msg_id = await self.api.mass_send_all(body, cmid)
        except Exception as exc:
            await self._send_failed(send_id, token, exc)
            return
        async with self.sessions() as session, session.begin():
            # msg_id is WeChat's truth for this clientmsgid, so it is recorded even if our lease lapsed.
            await transition(
                session,
                send_id,
                {"state": ("sending", "retrying")},
                {
                    "state": "submitted",
                    "msg_id": msg_id,
                    "submitted_at": self.clock.now(),
                    "lease_until": None,
                    "claim_token": None,
                    "last_error": "",
                    "updated_at": self.clock.now(),
                },
            )
        log.info("greeting send %s submitted as mass msg_id %s", send_id, msg_id)

    async def _send_failed(self, send_id: int, token: str, exc: BaseException) -> None:
        """Retry within the grace window, including after a timeout whose outcome is unknown: unlike a
        customer-service or template send, ``mass/sendall`` carries our ``clientmsgid`` and WeChat refuses
        a repeat within 24 hours with 45065 and the existing msg_id (official "群发接口和原创校验", 使用
        clientmsgid 参数，避免重复推送), so a repeat cannot greet twice. Past the window it ends uncertain."""
        now = self.clock.now()
        reason = explain_error(exc)
        transient = (
            isinstance(exc, WeChatTransportError)
            or bool(getattr(exc, "transient", False))
            or not isinstance(exc, WeChatApiError)
        )
        async with self.sessions() as session, session.begin():
            send = await session.get(GreetingSend, send_id)
            assert send is not None
            campaign = await self._campaign(session, send.campaign_id)
            mine = {"state": "sending", "claim_token": token}
            retry_at = now + backoff(send.attempts)
            within = due_decision(send.send_at, retry_at, self.config.grace) != "missed"
            if transient and within and send.attempts < MAX_ATTEMPTS:
                await transition(
                    session,
                    send_id,
                    mine,
                    {
                        "state": "retrying",
                        "next_attempt_at": retry_at,
                        "lease_until": None,
                        "last_error": reason,
                        "updated_at": now,
                    },
                )
                log.warning(
                    "greeting send %s attempt %s failed, retry at %s: %s",
                    send_id,
                    send.attempts,
                    retry_at,
                    reason,
                )
                return
            if transient:
                reason = f"多次重试仍未成功：{reason}"
            state = "uncertain" if isinstance(exc, WeChatTransportError) else "failed"
            await self._finish(session, send, campaign, mine, state, reason, now)

    async def _fan_out(self, send_id: int, token: str) -> None:
        """Per-follower mode: one stored customer-service delivery per recently active follower."""
        now = self.clock.now()
        async with self.sessions() as session:
            send = await session.get(GreetingSend, send_id)
            assert send is not None
            tag_id = send.tag_id
        try:
            members = set(await self.api.get_tag_users(tag_id)) if tag_id is not None else None
        except Exception as exc:
            await self._send_failed(send_id, token, exc)
            return
        delivery_ids = []
        async with self.sessions() as session, session.begin():
            send = await session.get(GreetingSend, send_id)
            assert send is not None
            if send.state != "sending" or send.claim_token != token:
                return
            campaign = await self._campaign(session, send.campaign_id)
            followers = (
                await session.scalars(
                    select(Follower)
                    .where(Follower.subscribed.is_(True), Follower.last_interaction_at >= now - CUSTOM_WINDOW)
                    .order_by(Follower.openid)
                )
            ).all()
            for follower in followers:
                if members is not None and follower.openid not in members:
                    continue
                text = campaign.text_hant if follower.script == "hant" else campaign.text_hans
                delivery = await self.deliveries.add(
                    session,
                    key=f"greeting:{send_id}:{follower.openid}",
                    openid=follower.openid,
                    payload=text_payload(follower.openid, text),
                    purpose=DELIVERY_PURPOSE,
                    ref=f"greeting-send:{send_id}",
                )
                delivery_ids.append(delivery.id)
            send.state = "submitted"
            send.total_count = send.filter_count = len(delivery_ids)
            send.submitted_at = send.updated_at = now
            send.lease_until = None
            send.claim_token = None
        for delivery_id in delivery_ids:
            await self.deliveries.enqueue(delivery_id)
        log.info("greeting send %s: %s customer-service deliveries queued", send_id, len(delivery_ids))

    # --- results ------------------------------------------------------------------------------------------

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

    # --- reading --------------------------------------------------------------------------------------

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
