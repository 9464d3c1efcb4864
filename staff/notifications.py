"""Telling staff: one path for every package (tickets, greetings) and what the console reads back.

``StaffNotifier.tell`` writes the console notification and, when a staff template message is configured
and the caller asks for it, records a template message to each addressed staff member who has a WeChat
openid. The messages are stored deliveries (``delivery/``) with a key per person, so a retried sweep never
sends one twice; the caller enqueues the returned ids after its commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from staff.errors import StaffActionError
from staff.models import Notification, StaffUser
from staff.roles import Actor
from wechat.template_fields import template_data, time_value


class StoredDelivery(Protocol):
    @property
    def id(self) -> int: ...


class DeliveryRecorder(Protocol):
    """What the notifier needs of ``delivery.service.DeliveryService``: store a send before it leaves."""

    async def add(
        self,
        session: AsyncSession,
        *,
        key: str,
        openid: str,
        payload: dict[str, Any],
        purpose: str,
        channel: str = ...,
        ref: str | None = ...,
    ) -> StoredDelivery: ...


@dataclass(frozen=True)
class WeChatPush:
    """The template message that goes with a notification: ``key`` is the idempotency key's stem (the
    username is appended), ``path`` the console page the message links to, ``matter`` what it is about in at
    most 20 characters (the template's ``thing`` field; the notification's text, shortened, when empty)."""

    key: str
    purpose: str
    path: str
    ref: str | None = None
    matter: str = ""


# Until the caller says otherwise: the fields of the staff template (see QIAOBOT_WECHAT_STAFF_TEMPLATE_FIELDS).
DEFAULT_FIELDS = {"matter": "thing1", "time": "time2"}


class StaffNotifier:
    """Template messages follow WeChat's 2023 rules (``wechat.template_fields``): no ``first``/``remark``,
    no colours, each value fitted to its typed field; the full text is the console notification the link
    opens."""

    def __init__(
        self,
        deliveries: DeliveryRecorder,
        *,
        template_id: str = "",
        fields: Mapping[str, str] | None = None,
        console_url: str = "",
        tz: tzinfo = UTC,
    ) -> None:
        self.deliveries = deliveries
        self.template_id = template_id  # empty: console notifications only
        self.fields = dict(fields or DEFAULT_FIELDS)
        self.console_url = console_url.rstrip("/")
        self.tz = tz

    @property
    def sends_templates(self) -> bool:
        """Whether ``push_to`` sends anything: callers skip looking up recipients it would not write to."""
        return bool(self.template_id)

    async def tell(
        self,
        session: AsyncSession,
        *,
        recipient: str,
        kind: str,
        text: str,
        now: datetime,
        key: str | None = None,
        level: str = "info",
        ticket_id: int | None = None,
        campaign_id: int | None = None,
        send_id: int | None = None,
        push: WeChatPush | None = None,
    ) -> list[int]:
        """Write the notification (in the caller's transaction); returns delivery ids to enqueue after commit."""
        session.add(
            Notification(
                key=key,
                recipient=recipient,
                kind=kind,
                level=level,
                ticket_id=ticket_id,
                campaign_id=campaign_id,
                send_id=send_id,
                text=text,
                created_at=now,
            )
        )
        if push is None:
            return []
        users = [(user.username, user.wechat_openid) for user in await addressed_staff(session, recipient)]
        return await self.push_to(session, [(name, openid) for name, openid in users if openid], push, text, now)

    async def push_to(
        self, session: AsyncSession, users: Sequence[tuple[str, str]], push: WeChatPush, text: str, now: datetime
    ) -> list[int]:
        """Only the template messages, to (username, openid) pairs: for notices the console shows otherwise
        (the queue's badge); nothing when no staff template is configured."""
        if not self.template_id:
            return []
        ids = []
        for username, openid in users:
            delivery = await self.deliveries.add(
                session,
                key=f"{push.key}:{username}",
                openid=openid,
                channel="template",
                purpose=push.purpose,
                ref=push.ref,
                payload={
                    "touser": openid,
                    "template_id": self.template_id,
                    "url": f"{self.console_url}{push.path}" if self.console_url else "",
                    "data": template_data(
                        self.fields, {"matter": push.matter or text, "time": time_value(now, self.tz)}
                    ),
                },
            )
            ids.append(delivery.id)
        return ids


async def addressed_staff(session: AsyncSession, recipient: str) -> Sequence[StaffUser]:
    """``role:<role>``: every active account with at least that role; otherwise the account of that name."""
    if recipient.startswith("role:"):
        role = recipient.split(":", 1)[1]
        active = (await session.scalars(select(StaffUser).where(StaffUser.active.is_(True)))).all()
        return [user for user in active if user.can(role)]
    return (await session.scalars(select(StaffUser).where(StaffUser.username == recipient))).all()


# --- what the console reads ---------------------------------------------------------------------------


def recipients_of(user: Actor) -> list[str]:
    names = [user.username, "role:staff"]
    if user.can("supervisor"):
        names.append("role:supervisor")
    if user.can("admin"):
        names.append("role:admin")
    return names


async def list_notifications(
    session: AsyncSession, user: Actor, *, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    query = select(Notification).where(Notification.recipient.in_(recipients_of(user)))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def unread_count(session: AsyncSession, user: Actor) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.recipient.in_(recipients_of(user)), Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_notification_read(session: AsyncSession, user: Actor, notification_id: int, now: datetime) -> None:
    note = await session.get(Notification, notification_id)
    if note is None or note.recipient not in recipients_of(user):
        raise StaffActionError("没有这条通知")
    if note.read_at is None:
        note.read_at = now
    await session.flush()


async def campaign_notifications(
    session: AsyncSession, *, unread_only: bool = True, limit: int = 100
) -> list[Notification]:
    """The greetings page's list: notifications about any campaign, newest first."""
    query = (
        select(Notification)
        .where(Notification.campaign_id.is_not(None))
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list((await session.scalars(query)).all())


async def mark_campaign_notification_read(session: AsyncSession, notification_id: int, now: datetime) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.campaign_id.is_not(None))
        .values(read_at=now)
    )
