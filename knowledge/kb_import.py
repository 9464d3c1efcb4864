"""``faq import``: the whole KB replaced from a file in one transaction (all or nothing), the published entries
and their extras (hand-written Traditional answer, policy source) together. The console's history records
the change as an outside revision the next time anyone looks (``store.sync_outside_changes``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from faq.kb_changes import KbChanges
from faq.store import replace_entries_in
from knowledge.content import EntryContent
from knowledge.kb_files import KbFile
from knowledge.store import published, write_details


@dataclass(frozen=True)
class ImportPlan:
    contents: list[EntryContent]  # what the KB will be
    changes: KbChanges
    kept_extras: bool  # the file had no extra columns: the stored ones are kept for the entries it keeps


async def plan_import(session: AsyncSession, kb_file: KbFile) -> ImportPlan:
    """What importing ``kb_file`` does. A file without the extra columns (an older export, a sheet made by
    hand) says nothing about them, so each entry keeps the Traditional answer and source it has."""
    _, before = await published(session)
    contents = kb_file.contents
    if not kb_file.has_extras:
        stored = {c.id: c for c in before}
        contents = [
            replace(c, answer_hant=stored[c.id].answer_hant, source=stored[c.id].source) if c.id in stored else c
            for c in contents
        ]
    return ImportPlan(contents, KbChanges.between(before, contents), kept_extras=not kb_file.has_extras)


async def import_kb(session: AsyncSession, plan: ImportPlan) -> int:
    """Write the plan in the caller's transaction (commit is the caller's); returns the new KB version."""
    entries = [c.to_faq_entry() for c in plan.contents]

    def swap(sync: Any) -> int:
        return replace_entries_in(sync, entries)

    version = await session.run_sync(swap)
    await write_details(session, plan.contents, list(plan.changes.removed))
    await session.flush()
    return version
