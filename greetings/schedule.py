"""When and to whom a festival greeting goes, and whether it may still go: the rules, without I/O.

Each campaign is split into *segments*: one mass send each (all followers, or one tag at that tag's local
time). A segment is the unit of due work, of idempotency (its ``clientmsgid``) and of quota.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from lunar_python import Solar

from greetings.config import Audience, GreetingConfig, Script

BEIJING = ZoneInfo("Asia/Shanghai")  # WeChat's quota days and months roll over in Beijing time
ALL = "all"

_ZODIAC_HANT = {"马": "馬", "龙": "龍", "鸡": "雞", "猪": "豬"}


@dataclass(frozen=True)
class Segment:
    """One mass send of a campaign: ``tag_id`` None means every follower."""

    key: str  # "all" or "tag:<id>", unique within a campaign
    tag_id: int | None
    tag_name: str
    script: Script
    send_at: datetime  # aware


class AudienceError(ValueError):
    """An audience that cannot be sent as asked (the message is shown to staff as is)."""


def segment_key(tag_id: int | None) -> str:
    return ALL if tag_id is None else f"tag:{tag_id}"


def send_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The aware moment ``at`` o'clock on ``day`` in ``zone`` (a gap at a DST change moves it forward)."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(zone)


def plan_segments(config: GreetingConfig, festival_day: date, audience: Audience) -> list[Segment]:
    """The segments for ``audience`` on ``festival_day``; refuses mixing all followers with tags."""
    if isinstance(audience, str):  # "all"
        return [Segment(ALL, None, "全部关注者", config.script, send_at(festival_day, config.send_time, config.zone))]
    if not audience:
        raise AudienceError("至少选择一个标签，或选择“全部关注者”")
    segments: list[Segment] = []
    seen: set[int] = set()
    for target in audience:
        if target.tag_id in seen:
            raise AudienceError(f"标签 {target.tag_name or target.tag_id} 重复")
        seen.add(target.tag_id)
        zone = ZoneInfo(target.timezone) if target.timezone else config.zone
        when = send_at(festival_day, target.send_time or config.send_time, zone)
        segments.append(
            Segment(
                segment_key(target.tag_id),
                target.tag_id,
                target.tag_name or f"标签{target.tag_id}",
                target.script,
                when,
            )
        )
    return segments


def clientmsgid(festival: str, festival_day: date, key: str) -> str:
    """WeChat's idempotency key for one segment: the same for every worker, retry and restart.

    Derived from what the campaign *is* (festival, day, audience segment), not from a database id, so
    even a campaign re-created after a restore cannot be sent twice within WeChat's 24-hour memory.
    ASCII and at most 64 bytes, as WeChat requires.
    """
    digest = hashlib.sha256(f"{festival}|{festival_day.isoformat()}|{key}".encode()).hexdigest()
    return f"qbg-{digest[:40]}"


def render(text: str, festival_day: date, script: Script) -> str:
    """Fill the placeholders staff may use: {生肖} (the lunar year's animal on that day) and {年份}."""
    zodiac = str(Solar.fromYmd(festival_day.year, festival_day.month, festival_day.day).getLunar().getYearShengXiao())
    if script == "hant":
        zodiac = _ZODIAC_HANT.get(zodiac, zodiac)
    return text.replace("{生肖}", zodiac).replace("{年份}", str(festival_day.year))


Due = Literal["wait", "send", "missed"]


def due_decision(send_at: datetime, now: datetime, grace: timedelta) -> Due:
    """A first attempt: before its time it waits; late by at most ``grace`` (the service was down or an
    approval came late) it still goes out once; later than that a greeting is stale, so it is missed."""
    if now < send_at:
        return "wait"
    return "send" if now - send_at <= grace else "missed"


def draft_due(festival_day: date, today: date, days_ahead: int) -> bool:
    """Whether the draft for a festival on ``festival_day`` should exist by ``today``."""
    return today <= festival_day <= today + timedelta(days=days_ahead)


# --- quota -------------------------------------------------------------------------------------------


SUBSCRIPTION_DAILY_MASS = 1
SERVICE_MONTHLY_PER_FOLLOWER = 4


@dataclass(frozen=True)
class PlannedSend:
    """A mass send counted against the quota: this campaign's or another one already planned or made."""

    label: str
    tag_id: int | None
    at: datetime


@dataclass(frozen=True)
class QuotaReport:
    lines: list[str]  # what the send will use, for the supervisor
    problems: list[str]  # why it cannot go out; empty when it can

    @property
    def ok(self) -> bool:
        return not self.problems


def _beijing_day(at: datetime) -> date:
    return at.astimezone(BEIJING).date()


def check_quota(account_type: str, planned: list[PlannedSend], others: list[PlannedSend]) -> QuotaReport:
    """What ``planned`` uses of the mass quota given ``others``, and what it exceeds.

    Subscription accounts (订阅号) have one successful mass send per Beijing day, whatever the audience.
    Service accounts (服务号) reach each follower at most 4 times per calendar month (Beijing time); more is
    filtered by WeChat for that follower. We count sends that can reach the same follower: a send to all
    reaches everyone; a tag send reaches that tag. Sends made by hand in the WeChat admin console are not
    known here, which the report says.
    """
    lines: list[str] = []
    problems: list[str] = []
    if account_type == "subscription":
        for send in planned:
            day = _beijing_day(send.at)
            same_day = [o for o in [*others, *planned] if o is not send and _beijing_day(o.at) == day]
            used = 1 + len(same_day)
            lines.append(f"{send.label}：{day:%Y-%m-%d}（北京时间）订阅号当日群发 {used}/{SUBSCRIPTION_DAILY_MASS} 次")
            if used > SUBSCRIPTION_DAILY_MASS:
                names = "、".join(o.label for o in same_day)
                problems.append(
                    f"{send.label}：订阅号每天只能群发 {SUBSCRIPTION_DAILY_MASS} 次，"
                    f"{day:%Y-%m-%d} 已有：{names}。"
                    "请改期、合并为一次发送，或改用客服消息逐人发送"
                )
    else:
        for send in planned:
            month = _beijing_day(send.at).strftime("%Y-%m")
            reaching = [
                o
                for o in [*others, *planned]
                if o is not send
                and _beijing_day(o.at).strftime("%Y-%m") == month
                and (o.tag_id is None or send.tag_id is None or o.tag_id == send.tag_id)
            ]
            used = 1 + len(reaching)
            lines.append(f"{send.label}：{month} 同一关注者最多收到本月群发 {used}/{SERVICE_MONTHLY_PER_FOLLOWER} 条")
            if used > SERVICE_MONTHLY_PER_FOLLOWER:
                problems.append(
                    f"{send.label}：服务号每位关注者每月最多收到 {SERVICE_MONTHLY_PER_FOLLOWER} 条群发，"
                    f"{month} 已安排 {used - 1} 条，超出部分微信会直接过滤"
                )
    lines.append("注：在公众平台后台手工群发的次数不在此统计中，请一并考虑。")
    return QuotaReport(lines, problems)
