"""What a handler receives and returns.

Handlers see the message, the follower, a clock reading and the services they may call; they return a
``Reply`` and never touch HTTP, XML or encryption — the webhook renders the reply in the request's mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Protocol

from wechatpy.messages import BaseMessage

from faq.script import to_traditional
from storage.health import DatabaseUnavailable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from faq.kb import FaqEntry
    from faq.matcher import Decision, FaqMatcher
    from handlers.answer_feedback import PresentedAnswer
    from handlers.conversation_state import ConversationState
    from handlers.inbound_media import InboundMedia
    from storage.activity import FollowerState
    from storage.health import DependencyHealth

EventListener = Callable[["HandlerContext"], Awaitable[None]]

# unanswered: a plausible request the FAQ cannot answer; asked_for_human: a hand-over word; confirmed: "1" to
# the bot's question back; specific_case: one particular case, person, office or earlier request.
HandoverReason = Literal["unanswered", "asked_for_human", "confirmed", "specific_case"]


class Knowledge(Protocol):
    """The knowledge base being served: the matcher over it, and its entries."""

    @property
    def matcher(self) -> FaqMatcher: ...
    @property
    def entries(self) -> list[FaqEntry]: ...
    async def decide(self, text: str) -> Decision: ...
    def present(self, entry: FaqEntry) -> PresentedAnswer: ...
    @property
    def ask_feedback(self) -> bool: ...


class HandlerServices(Protocol):
    """What handlers use of the process's components, by name; the bootstrap's container (``bot.bootstrap``)
    has them, and a test can hand in anything that does."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...
    @property
    def health(self) -> DependencyHealth: ...
    @property
    def conversation(self) -> ConversationState: ...
    @property
    def desk(self) -> HelpDesk: ...
    @property
    def files(self) -> TicketFiles: ...
    @property
    def knowledge(self) -> Knowledge: ...
    @property
    def event_listeners(self) -> Mapping[str, list[EventListener]]: ...


@dataclass
class Reply:
    """A text answer. ``extra`` are further customer-service messages to send after the passive reply.
    ``hant``: a hand-written Traditional version of ``text``, sent as is to a Traditional-script user."""

    text: str
    extra: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    hant: str | None = None

    def in_script(self, traditional: bool) -> str:
        """The main text as the user reads it: a Traditional text staff wrote themselves wins over conversion
        (the one rule for the normal path and the outage path)."""
        if traditional and self.hant:
            return self.hant
        if traditional and self.text:
            return to_traditional(self.text)
        return self.text


@dataclass
class HandlerContext:
    message: BaseMessage
    follower: FollowerState
    now: datetime
    services: HandlerServices
    dedupe_key: str
    _session: AsyncSession | None = None
    # Redis keys to drop when the message is closed (in the same round trip as everything else).
    delete_after: list[str] = field(default_factory=list)
    # Redis keys to set when the message is closed, key -> (value, seconds to live), before ``delete_after``:
    # state for the user's next message (a choice list), which nothing reads before this message is closed
    # (the sender's lock), so it needs no round trip of its own.
    set_after: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Per-message memo for components that read several Redis keys once (e.g. the desk's flags).
    scratch: dict[str, Any] = field(default_factory=dict)
    # Redis values read with the dedupe claim (keys components registered in ``Services.prefetch``).
    prefetched: dict[str, bytes | None] = field(default_factory=dict)
    # Steps to run once the unit of work committed (enqueue a job for a row it wrote); each must be one that a
    # sweep would also do later, since a crash between commit and step loses it.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Deliveries the unit of work stored that the reply must not wait for (a staff notice of a new ticket): the
    # pipeline enqueues them once the message is closed, without holding the passive reply; the delivery sweeper
    # sends any whose enqueue was lost, and their keys make a second enqueue send nothing twice.
    notices: list[int] = field(default_factory=list)

    @property
    def session(self) -> AsyncSession:
        """The request's unit of work, opened on first use: most messages never touch the database."""
        if self._session is None:
            if self.services.health.database_down:  # fail fast: the caller answers without the database
                raise DatabaseUnavailable("the database is out")
            self._session = self.services.sessions()
        return self._session

    @cached_property
    def openid(self) -> str:
        # Asked a dozen times a message; each asking of wechatpy's field converts the value again.
        return str(self.message.source)

    @property
    def traditional(self) -> bool:
        return self.follower.script == "hant"


class TicketFiles(Protocol):
    """Files users send (``handlers.media``): the tickets package puts them on tickets."""

    async def attach(self, ctx: HandlerContext, media: InboundMedia, ticket_number: str) -> None:
        """Put the message's file on the ticket (once per message) and fetch it from WeChat after the commit."""
        ...

    async def remember(self, ctx: HandlerContext, media: InboundMedia) -> int:
        """A file that went on no ticket: keep it for a ticket the user opens soon; returns for how many minutes
        (0: not kept)."""
        ...


class HelpDesk(Protocol):
    """The seam between the conversation and the people behind it: the text handler calls it when the FAQ
    cannot answer or the user asks for a person. ``tickets.desk.TicketDesk`` is the real one;
    ``handlers.no_desk.NoDesk`` what an account without a staffed desk says. It lives here, beside the context
    its methods take, so that the two modules do not import each other."""

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
