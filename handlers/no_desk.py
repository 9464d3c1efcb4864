"""The help desk of an account without a staffed desk.

The text handler calls a ``HelpDesk`` (``handlers.context``) when the FAQ cannot answer or the user asks for a
person; the tickets package provides the real one. ``NoDesk`` is what an account without a staffed desk says:
an honest fallback with the public channels, never a promise nobody will keep.
"""

from __future__ import annotations

from handlers import texts
from handlers.context import HandlerContext, HandoverReason, Reply
from handlers.inbound_media import InboundMedia


class NoDesk:
    async def intercept(self, ctx: HandlerContext, text: str) -> Reply | None:
        return None

    async def rate(self, ctx: HandlerContext, text: str) -> Reply | None:
        return None

    async def hand_over(
        self, ctx: HandlerContext, text: str, reason: HandoverReason, related: tuple[str, ...]
    ) -> Reply:
        return Reply(texts.FALLBACK_NO_DESK)

    async def follow_up(self, ctx: HandlerContext, text: str) -> Reply | None:
        return None

    async def status(self, ctx: HandlerContext) -> Reply:
        return Reply(texts.NO_DESK_STATUS)

    async def has_tickets(self, ctx: HandlerContext) -> bool:
        return False

    async def note_context(self, ctx: HandlerContext, text: str, reply: str) -> None:
        return None

    async def take_deferred(self, ctx: HandlerContext, text: str, reason: str, related: tuple[str, ...]) -> Reply:
        return Reply(texts.FALLBACK_NO_DESK)

    async def answers_waiting(self, ctx: HandlerContext) -> list[str]:
        return []


class NoTicketFiles:
    """Without a help desk there is no ticket to put a file on."""

    async def attach(self, ctx: HandlerContext, media: InboundMedia, ticket_number: str) -> None:
        return None

    async def remember(self, ctx: HandlerContext, media: InboundMedia) -> int:
        return 0
