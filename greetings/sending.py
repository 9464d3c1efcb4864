"""Sending: the job that sends one claimed segment (a mass send, or one customer-service message per
recently active follower), with retries inside the grace window."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from delivery.service import text_payload
from greetings.claims import transition
from greetings.core import GreetingCore, message_body
from greetings.models import GreetingSend
from greetings.reasons import explain_error
from greetings.schedule import due_decision
from storage.models import Follower
from wechat.api_errors import WeChatApiError, WeChatTransportError

log = logging.getLogger(__name__)


JOB_KIND = "greetings.send"
DELIVERY_PURPOSE = "greeting"
CUSTOM_WINDOW = timedelta(hours=48)
MAX_ATTEMPTS = 6


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 30 * 2 ** max(0, attempts - 1)))


class Sending(GreetingCore):
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
