"""The department document and members in the database: read (seeded from ``config/departments.yaml`` the
first time), saved by admins after validation, and who works in which department.

A save is refused when it would strand tickets: a department that still holds open or answered tickets
cannot be removed until they are transferred, because nobody would see them otherwise.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from staff.models import StaffUser
from storage.core_statements import run
from tickets.departments import DepartmentBook, DepartmentConfigError, parse_departments
from tickets.models import Ticket
from tickets.routing_models import DepartmentDocument, DepartmentMember

DOCUMENT_ID = 1


class StaleDocument(DepartmentConfigError):
    """Someone saved the document after this admin opened it."""


async def _row(session: AsyncSession, seed: Path) -> DepartmentDocument:
    row = await session.get(DepartmentDocument, DOCUMENT_ID)
    if row is None:
        source = seed.read_text(encoding="utf-8")
        parse_departments(source)  # a broken shipped file must fail loudly, not route nothing
        try:
            async with session.begin_nested():  # two processes seeding at once: the second reads the first's
                session.add(DepartmentDocument(id=DOCUMENT_ID, source=source, version=1, updated_by="system"))
        except IntegrityError:
            pass
        row = await session.get(DepartmentDocument, DOCUMENT_ID, populate_existing=True)
        if row is None:
            raise DepartmentConfigError("部门设置无法保存到数据库")
    return row


async def load_document(session: AsyncSession, seed: Path) -> tuple[str, int]:
    """(YAML text, version) as stored; the first call stores the shipped file."""
    row = await _row(session, seed)
    return row.source, row.version


# Read on every new ticket (派单): its text alone, one column by primary key, rather than the ORM row.
_SOURCE = select(DepartmentDocument.source).where(DepartmentDocument.id == DOCUMENT_ID)


async def load_book(session: AsyncSession, seed: Path) -> DepartmentBook:
    source = (await run(session, _SOURCE)).scalar()
    if source is None:  # not stored yet: the first call stores the shipped file
        source = (await _row(session, seed)).source
    return _parsed(source)


@functools.lru_cache(maxsize=4)
def _parsed(source: str) -> DepartmentBook:
    """Every new ticket is routed: parsing and validating the YAML each time cost more than the rest of the
    webhook's work for that message. The book is frozen, so one parse per stored text serves them all."""
    return parse_departments(source)


async def save_document(
    session: AsyncSession, seed: Path, source: str, version: int, actor: str, now: datetime
) -> DepartmentBook:
    """Validate and store an admin's edit; raises ``DepartmentConfigError`` and stores nothing if it is bad."""
    source = source.replace("\r\n", "\n")
    book = parse_departments(source)
    row = await _row(session, seed)
    if row.version != version:
        raise StaleDocument("部门设置已被他人修改，请刷新页面，在最新内容上重新编辑")
    kept = {d.code for d in book.departments}
    stranded = (
        await session.execute(
            select(Ticket.department, func.count())
            .where(Ticket.department.is_not(None), Ticket.state != "closed")
            .group_by(Ticket.department)
        )
    ).all()
    for code, count in stranded:
        if code not in kept:
            raise DepartmentConfigError(f"部门 {code} 还有 {count} 件未办结的工单，请先转办到其他部门再删除该部门")
    row.source = source
    row.version += 1
    row.updated_by = actor
    row.updated_at = now
    await session.execute(delete(DepartmentMember).where(DepartmentMember.department.not_in(kept)))
    await session.flush()
    return book


async def members_by_department(session: AsyncSession) -> dict[str, list[str]]:
    rows = await session.execute(
        select(DepartmentMember.department, DepartmentMember.username).order_by(DepartmentMember.username)
    )
    found: dict[str, list[str]] = {}
    for department, username in rows.all():
        found.setdefault(str(department), []).append(str(username))
    return found


async def departments_of(session: AsyncSession, username: str) -> list[str]:
    rows = await session.scalars(
        select(DepartmentMember.department)
        .where(DepartmentMember.username == username)
        .order_by(DepartmentMember.department)
    )
    return [str(code) for code in rows.all()]


async def set_membership(
    session: AsyncSession, book: DepartmentBook, department: str, username: str, member: bool, now: datetime
) -> None:
    if book.department(department) is None:
        raise DepartmentConfigError(f"没有代码为 {department} 的部门")
    user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise DepartmentConfigError(f"没有工作人员账号 {username}")
    existing = await session.get(DepartmentMember, (department, username))
    if member and existing is None:
        session.add(DepartmentMember(department=department, username=username, added_at=now))
    elif not member and existing is not None:
        await session.delete(existing)
    await session.flush()
