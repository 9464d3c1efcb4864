"""The FAQ matcher a process answers with, rebuilt when staff change the knowledge base.

Each process polls the KB version row every few seconds in the background (never on the webhook's path)
and swaps in a freshly built matcher; a request always sees one whole matcher, old or new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faq.calibration import LEXICAL
from faq.kb import FaqEntry
from faq.matcher import Decision, FaqMatcher
from faq.script import is_traditional, to_traditional
from faq.store import kb_version, load_entries_async
from handlers.answer_feedback import PresentedAnswer
from knowledge.presentation import AnswerExtras, present
from knowledge.store import details_by_id

log = logging.getLogger(__name__)


class KnowledgeBase:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        poll_seconds: float = 5.0,
        *,
        show_basis: bool = True,
        ask_feedback: bool = False,
        build_matcher: Callable[[Sequence[FaqEntry]], FaqMatcher] = FaqMatcher.build,
        complete_matcher: Callable[[Sequence[FaqEntry]], FaqMatcher] | None = None,
    ) -> None:
        """`build_matcher` indexes a KB version (the bootstrap binds the encoder and cache directory to it). When
        it returns a matcher whose encoder vectors are still to compute (`vectors_pending`), `complete_matcher`
        builds the whole one in a background thread and it is swapped in if the KB has not moved meanwhile:
        a reload of a new KB is never held up by the encoder, and answers are lexical until then."""
        self._sessions = sessions
        self._build = build_matcher
        self._complete = complete_matcher
        self._completing: asyncio.Task[None] | None = None
        self._poll_seconds = poll_seconds
        self.show_basis = show_basis
        self.ask_feedback = ask_feedback
        self._extras: dict[str, AnswerExtras] = {}
        self._version = -1
        self._matcher: FaqMatcher = build_matcher([])
        self._entries: list[FaqEntry] = []
        self._task: asyncio.Task[None] | None = None
        # A matcher with the sentence encoder spends 10-15 ms of CPU a message: run there, the event loop goes on
        # answering other callbacks meanwhile (numpy releases the GIL for the heavy part).
        self._heavy = ThreadPoolExecutor(max_workers=2, thread_name_prefix="faq-decide")

    @property
    def matcher(self) -> FaqMatcher:
        return self._matcher

    @property
    def entries(self) -> list[FaqEntry]:
        return self._entries

    @property
    def version(self) -> int:
        return self._version

    async def decide(self, text: str) -> Decision:
        """The matcher's decision; the lexical matcher (about 1-2 ms) decides inline, cheaper than a hand-off."""
        matcher = self._matcher
        if matcher.mode == LEXICAL:
            return matcher.decide(text)
        return await asyncio.get_running_loop().run_in_executor(self._heavy, matcher.decide, text)

    def use_entries(
        self, entries: list[FaqEntry], version: int = 0, extras: dict[str, AnswerExtras] | None = None
    ) -> None:
        self._matcher, self._entries, self._version = self._build(entries), entries, version
        self._extras = extras or {}

    def present(self, entry: FaqEntry) -> PresentedAnswer:
        """The answer as the user reads it (with its 依据 line, hand-written Traditional version, feedback line)."""
        extras = self._extras.get(entry.id)
        return present(entry, extras, show_basis=self.show_basis, ask_feedback=self.ask_feedback)

    async def refresh(self) -> bool:
        """Reload if the stored version moved; returns whether it did."""
        async with self._sessions() as session:
            if await kb_version(session) == self._version:
                return False
            version, entries = await load_entries_async(session)
            extras = {entry_id: AnswerExtras.of(row) for entry_id, row in (await details_by_id(session)).items()}
        matcher = await asyncio.to_thread(self._build, entries)
        self._matcher, self._entries, self._version, self._extras = matcher, entries, version, extras
        log.info("faq knowledge base loaded: version %s, %s entries", version, len(entries))
        if matcher.vectors_pending and self._complete is not None:
            self._completing = asyncio.create_task(self._complete_in_background(entries, version))
        return True

    async def _complete_in_background(self, entries: list[FaqEntry], version: int) -> None:
        """The matcher with the encoder, its vectors computed off the event loop (and kept in the cache)."""
        assert self._complete is not None
        try:
            matcher = await asyncio.to_thread(self._complete, entries)
        except Exception:
            log.exception("faq: the encoder's vectors for version %s failed; staying lexical", version)
            return
        if self._version == version:
            self._matcher = matcher
            log.info("faq knowledge base version %s: encoder vectors ready (%s)", version, matcher.mode)

    async def start(self) -> None:
        await self.refresh()
        # Load OpenCC's dictionaries now rather than on the first Traditional-script message.
        await asyncio.to_thread(lambda: (is_traditional("護照"), to_traditional("护照")))
        self._task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        self._heavy.shutdown(wait=False)
        if self._completing is not None:
            self._completing.cancel()  # the thread finishes its batch on its own; nothing is swapped in
            with contextlib.suppress(asyncio.CancelledError):
                await self._completing
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self.refresh()
            except Exception:
                log.exception("faq reload failed; keeping version %s", self._version)
