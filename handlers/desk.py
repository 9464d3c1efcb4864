"""The seam between the conversation and the people behind it.

The text handler calls a ``HelpDesk`` when the FAQ cannot answer or the user asks for a person; the tickets
package provides the real one. ``NoDesk`` is what an account without a staffed desk says: an honest
fallback with the public channels, never a promise nobody will keep.
"""

from __future__ import annotations

from typing import Literal, Protocol

from handlers import texts
from handlers.context import HandlerContext, Reply

# unanswered: a plausible request the FAQ cannot answer; asked_for_human: a hand-over word; confirmed: "1" to
# the bot's question back; specific_case: one particular case, person, office or earlier request.
HandoverReason = Literal["unanswered", "asked_for_human", "confirmed", "specific_case"]


class HelpDesk(Protocol):
    async def intercept(self, ctx: HandlerContext, text: str) -> Reply | None:
        """Take a message before the FAQ sees it (e.g. the question after the user asked for a person)."""
        ...

    async def rate(self, ctx: HandlerContext, text: str) -> Reply | None:
        """A 1/2/3 (满意/基本满意/不满意) while an answer of the user's waits for its rating (回访)."""
        ...

    async def hand_over(
        self, ctx: HandlerContext, text: str, reason: HandoverReason, related: tuple[str, ...]
    ) -> Reply: ...

    async def follow_up(self, ctx: HandlerContext, text: str) -> Reply | None:
        """Add a message to the user's open ticket, if there is one."""
        ...

    async def status(self, ctx: HandlerContext) -> Reply: ...

    async def take_deferred(self, ctx: HandlerContext, text: str, reason: str, related: tuple[str, ...]) -> Reply:
        """A hand-over kept while storage was out: join the user's ticket or open one; once per message."""
        ...

    async def has_tickets(self, ctx: HandlerContext) -> bool:
        """Whether the user has ever had a ticket (a status request can be answered from them)."""
        ...

    async def note_context(self, ctx: HandlerContext, text: str, reply: str) -> None:
        """A message the FAQ answered while a ticket is open: staff see it, and the answer, as context."""
        ...

    async def answers_waiting(self, ctx: HandlerContext) -> list[str]:
        """Staff answers that could not be pushed (48-hour window closed), delivered now the user wrote."""
        ...


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
