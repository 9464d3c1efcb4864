"""What a handler receives and returns.

Handlers see the message, the follower, a clock reading and the services they may call; they return a
``Reply`` and never touch HTTP, XML or encryption — the webhook renders the reply in the request's mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wechatpy.messages import BaseMessage

if TYPE_CHECKING:
    from bot.services import Services
    from storage.models import Follower


@dataclass
class Reply:
    """A text answer. ``extra`` are further customer-service messages to send after the passive reply."""

    text: str
    extra: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class HandlerContext:
    message: BaseMessage
    follower: Follower
    now: datetime
    services: Services
    dedupe_key: str
    session: Any  # AsyncSession of the request's unit of work

    @property
    def openid(self) -> str:
        return str(self.message.source)

    @property
    def traditional(self) -> bool:
        return self.follower.script == "hant"
