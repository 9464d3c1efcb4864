"""Canned replies (常用回复): short texts a department's staff keep for answers they write again and again,
inserted into the answer box on the ticket page and edited there before sending.

Each reply belongs to one department; its members maintain it (supervisors any department's). Titles are
unique within a department, so the list on the ticket page reads unambiguously. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from staff.errors import NotAllowed, StaffActionError
from staff.roles import Actor
from storage.models import Base, BigId, utcnow
from tickets.department_store import departments_of
from tickets.departments import DepartmentBook

MAX_TITLE_CHARS = 40
# An answer box holds 1,800 characters (the customer-service message's limit, with the wrapper).
MAX_BODY_CHARS = 1500


class CannedReply(Base):
    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("department", "title", name="uq_canned_replies_department_title"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def clean(title: str, body: str) -> tuple[str, str]:
    """The title on one line and the body with Windows line ends normalised; refusals say why, in Chinese."""
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").strip()
    if not title:
        raise StaffActionError("请填写常用回复的标题")
    if len(title) > MAX_TITLE_CHARS:
        raise StaffActionError(f"标题最多 {MAX_TITLE_CHARS} 个字")
    if not body:
        raise StaffActionError("请填写常用回复的内容")
    if len(body) > MAX_BODY_CHARS:
        raise StaffActionError(f"内容最多 {MAX_BODY_CHARS} 个字，现在 {len(body)} 个")
    return title, body


async def editable_departments(session: AsyncSession, actor: Actor, book: DepartmentBook) -> list[str]:
    """The departments whose replies ``actor`` maintains: their own; every department for supervisors."""
    if actor.can("supervisor"):
        return [d.code for d in book.departments]
    mine = set(await departments_of(session, actor.username))
    return [d.code for d in book.departments if d.code in mine]


async def _check(session: AsyncSession, actor: Actor, book: DepartmentBook, department: str) -> None:
    if book.department(department) is None:
        raise StaffActionError(f"没有代码为 {department} 的部门")
    if department not in await editable_departments(session, actor, book):
        raise NotAllowed("只有本部门的工作人员或主管可以维护该部门的常用回复")


async def replies_of(session: AsyncSession, departments: list[str]) -> list[CannedReply]:
    if not departments:
        return []
    rows = await session.scalars(
        select(CannedReply)
        .where(CannedReply.department.in_(departments))
        .order_by(CannedReply.department, CannedReply.title)
    )
    return list(rows.all())


async def _flush_unique(session: AsyncSession, title: str) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise StaffActionError(f"本部门已有标题为“{title}”的常用回复") from None


async def add_reply(
    session: AsyncSession, book: DepartmentBook, actor: Actor, department: str, title: str, body: str, now: datetime
) -> CannedReply:
    await _check(session, actor, book, department)
    title, body = clean(title, body)
    reply = CannedReply(
        department=department,
        title=title,
        body=body,
        created_by=actor.username,
        created_at=now,
        updated_by=actor.username,
        updated_at=now,
    )
    session.add(reply)
    await _flush_unique(session, title)
    return reply


async def _reply(session: AsyncSession, reply_id: int) -> CannedReply:
    reply = await session.get(CannedReply, reply_id)
    if reply is None:
        raise StaffActionError("没有这条常用回复（可能已被删除）")
    return reply


async def change_reply(
    session: AsyncSession, book: DepartmentBook, actor: Actor, reply_id: int, title: str, body: str, now: datetime
) -> CannedReply:
    reply = await _reply(session, reply_id)
    await _check(session, actor, book, reply.department)
    reply.title, reply.body = clean(title, body)
    reply.updated_by, reply.updated_at = actor.username, now
    await _flush_unique(session, reply.title)
    return reply


async def delete_reply(session: AsyncSession, book: DepartmentBook, actor: Actor, reply_id: int) -> None:
    reply = await _reply(session, reply_id)
    await _check(session, actor, book, reply.department)
    await session.delete(reply)
    await session.flush()
