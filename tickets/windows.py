"""WeChat's customer-service window: a user can be sent customer-service messages only within 48 hours of
their last message or event to the account (客服消息: “用户发送消息……后的48小时内”), at most 5 per window
(the fake and the real API answer 45015 / 45047 outside those limits)."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models import Follower

WINDOW = timedelta(hours=48)
# Do not start a customer-service send this close to the window's end: the job may wait in the queue.
SEND_MARGIN = timedelta(minutes=10)
# The console warns when the window of a ticket's user closes within this.
WARN_BEFORE = timedelta(hours=6)


def window_closes_at(follower: Follower | None) -> datetime | None:
    if follower is None or follower.last_interaction_at is None:
        return None
    return follower.last_interaction_at + WINDOW


def window_open(follower: Follower | None, now: datetime, margin: timedelta = SEND_MARGIN) -> bool:
    closes = window_closes_at(follower)
    return closes is not None and now + margin < closes
