"""The knowledge base in the database: replace it whole (imports are all or nothing), read it back, and a
version number every process polls so a change reaches every matcher without a restart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from faq.kb import FaqEntry, load_kb
from storage.db import create_sync_engine
from storage.models import FaqRecord, KbVersion


def _engine(url: str | None) -> Engine:
    if url is None:
        from config.settings import get_settings

        url = get_settings().database_url
    return create_sync_engine(url)


def _to_entry(record: FaqRecord) -> FaqEntry:
    return FaqEntry(
        id=record.id,
        category=record.category,
        question=record.question,
        similar=tuple(record.similar or ()),
        answer=record.answer,
        keywords=tuple(record.keywords or ()),
        reviewed=record.reviewed,
    )


def _bump_version(session: Session) -> int:
    row = session.get(KbVersion, 1)
    now = datetime.now(UTC)
    if row is None:
        row = KbVersion(id=1, version=1, changed_at=now)
        session.add(row)
    else:
        row.version += 1
        row.changed_at = now
    session.flush()
    return row.version


def replace_entries_in(session: Session, entries: Sequence[FaqEntry]) -> int:
    """Swap the whole KB inside the caller's transaction; returns the new version."""
    session.execute(delete(FaqRecord))
    session.add_all(
        FaqRecord(
            id=entry.id,
            position=index,
            category=entry.category,
            question=entry.question,
            similar=list(entry.similar),
            answer=entry.answer,
            keywords=list(entry.keywords),
            reviewed=entry.reviewed,
        )
        for index, entry in enumerate(entries)
    )
    return _bump_version(session)


def replace_entries(entries: Sequence[FaqEntry], url: str | None = None) -> int:
    """Replace the KB in one transaction (all or nothing); returns how many entries are stored."""
    engine = _engine(url)
    try:
        with Session(engine) as session, session.begin():
            replace_entries_in(session, entries)
        return len(entries)
    finally:
        engine.dispose()


def load_entries(url: str | None = None) -> list[FaqEntry]:
    engine = _engine(url)
    try:
        with Session(engine) as session:
            records = session.scalars(select(FaqRecord).order_by(FaqRecord.position)).all()
            return [_to_entry(record) for record in records]
    finally:
        engine.dispose()


def seed_if_empty(kb_path: Path, url: str | None = None) -> int:
    """Load the shipped KB into an empty database; a KB staff already edited is left alone."""
    engine = _engine(url)
    try:
        with Session(engine) as session, session.begin():
            if session.scalar(select(func.count()).select_from(FaqRecord)):
                return 0
            entries = load_kb(kb_path)
            replace_entries_in(session, entries)
            return len(entries)
    finally:
        engine.dispose()


async def kb_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(KbVersion.version).where(KbVersion.id == 1)) or 0)


async def load_entries_async(session: AsyncSession) -> tuple[int, list[FaqEntry]]:
    version = await kb_version(session)
    records = (await session.scalars(select(FaqRecord).order_by(FaqRecord.position))).all()
    return version, [_to_entry(record) for record in records]
