"""Reading the published KB with its extras, and the revision log, from the database.

The published entries are ``faq_entries`` (through ``faq.store``, the path every process's matcher
reloads from); ``kb_entry_details`` adds the Traditional answer and policy source; ``kb_revisions`` is the
history. Changes made outside the console (``faq import``, a ticket answer promoted to the FAQ) are not
lost from history: ``sync_outside_changes`` records them as revisions the next time anyone looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from faq.store import load_entries_async
from knowledge.content import EntryContent, PolicySource
from knowledge.models import KbEntryDetails, KbRevision

OUTSIDE_AUTHOR = "（控制台之外）"


def _source_of(row: KbEntryDetails | None) -> PolicySource:
    if row is None:
        return PolicySource()
    return PolicySource(
        authority=row.source_authority,
        title=row.source_title,
        number=row.source_number,
        url=row.source_url,
        effective_on=row.effective_on,
        expires_on=row.expires_on,
    )


async def details_by_id(session: AsyncSession) -> dict[str, KbEntryDetails]:
    return {row.entry_id: row for row in (await session.scalars(select(KbEntryDetails))).all()}


async def published(session: AsyncSession) -> tuple[int, list[EntryContent]]:
    """The KB version and every published entry with its extras, in the KB's order."""
    version, entries = await load_entries_async(session)
    details = await details_by_id(session)
    result = []
    for entry in entries:
        row = details.get(entry.id)
        base = EntryContent.from_faq_entry(entry)
        if row is not None:
            base = EntryContent(**{**base.__dict__, "answer_hant": row.answer_hant, "source": _source_of(row)})
        result.append(base)
    return version, result


async def write_details(session: AsyncSession, contents: Sequence[EntryContent], retired: Sequence[str]) -> None:
    ids = [c.id for c in contents] + list(retired)
    if ids:
        await session.execute(delete(KbEntryDetails).where(KbEntryDetails.entry_id.in_(ids)))
    for content in contents:
        source = content.source
        if not content.answer_hant and source.empty:
            continue
        session.add(
            KbEntryDetails(
                entry_id=content.id,
                answer_hant=content.answer_hant,
                source_authority=source.authority,
                source_title=source.title,
                source_number=source.number,
                source_url=source.url,
                effective_on=source.effective_on,
                expires_on=source.expires_on,
            )
        )


async def latest_revisions(session: AsyncSession) -> dict[str, KbRevision]:
    newest = (
        select(KbRevision.entry_id, func.max(KbRevision.number).label("number"))
        .group_by(KbRevision.entry_id)
        .subquery()
    )
    rows = await session.scalars(
        select(KbRevision).join(
            newest, (KbRevision.entry_id == newest.c.entry_id) & (KbRevision.number == newest.c.number)
        )
    )
    return {row.entry_id: row for row in rows.all()}


async def entry_history(session: AsyncSession, entry_id: str) -> list[KbRevision]:
    rows = await session.scalars(
        select(KbRevision).where(KbRevision.entry_id == entry_id).order_by(KbRevision.number.desc())
    )
    return list(rows.all())


async def revision(session: AsyncSession, entry_id: str, number: int) -> KbRevision | None:
    return await session.scalar(select(KbRevision).where(KbRevision.entry_id == entry_id, KbRevision.number == number))


def add_revision(
    session: AsyncSession,
    latest: dict[str, KbRevision],
    *,
    entry_id: str,
    action: str,
    content: EntryContent | None,
    author: str,
    published_by: str,
    now: datetime,
    note: str = "",
) -> KbRevision:
    previous = latest.get(entry_id)
    row = KbRevision(
        entry_id=entry_id,
        number=(previous.number if previous else 0) + 1,
        action=action,
        content=content.to_json() if content is not None else None,
        author=author,
        published_by=published_by,
        published_at=now,
        note=note,
    )
    session.add(row)
    latest[entry_id] = row
    return row


async def sync_outside_changes(session: AsyncSession, now: datetime) -> dict[str, KbRevision]:
    """Record as revisions whatever changed the published KB since the console last wrote it; returns the
    newest revision of every entry (after recording)."""
    _, current = await published(session)
    latest = await latest_revisions(session)
    seen = set()
    for content in current:
        seen.add(content.id)
        last = latest.get(content.id)
        if last is not None and last.content is not None and EntryContent.from_json(last.content) == content:
            continue
        action = "create" if last is None or last.content is None else "outside"
        add_revision(
            session,
            latest,
            entry_id=content.id,
            action=action,
            content=content,
            author=OUTSIDE_AUTHOR,
            published_by=OUTSIDE_AUTHOR,
            now=now,
            note="导入或控制台之外的修改" if last is not None else "首次记录（载入或导入）",
        )
    for entry_id, last in list(latest.items()):
        if entry_id not in seen and last.content is not None:
            add_revision(
                session,
                latest,
                entry_id=entry_id,
                action="outside",
                content=None,
                author=OUTSIDE_AUTHOR,
                published_by=OUTSIDE_AUTHOR,
                now=now,
                note="在控制台之外被删除",
            )
    await session.flush()
    return latest
