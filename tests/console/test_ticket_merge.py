"""合并: a supervisor merges a duplicate into another ticket of the same user; the conversation moves, the
duplicate closes with a pointer, both audit trails say so, and the figures count the question once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.sessions import StaffIdentity
from staff.errors import NotAllowed, StaffActionError
from tickets.actions import add_note
from tickets.detail import get_ticket
from tickets.merge import merge_tickets
from tickets.models import TicketEvent, TicketMessage
from tickets.queue import QueueFilter, list_queue
from tickets.stats import ticket_stats

from .conftest import csrf_of

ALICE = StaffIdentity(1, "alice", "Alice", "staff")
SAM = StaffIdentity(3, "sam", "Sam", "supervisor")


async def _pair(services, make_ticket):  # type: ignore[no-untyped-def]
    now = services.clock.now()
    first = await make_ticket(
        "护照丢了怎么补办", openid="o_same", state="answered", answer="请到使馆", created=now - timedelta(days=3)
    )
    duplicate = await make_ticket("护照丢了，补办要带什么", openid="o_same", created=now - timedelta(hours=2))
    async with services.sessions() as session:
        await add_note(session, duplicate.number, SAM, "与前一工单重复", now)
        await session.commit()
    return first, duplicate


async def test_merge_moves_the_conversation_and_counts_once(services, make_ticket) -> None:
    first, duplicate = await _pair(services, make_ticket)
    now = services.clock.now()
    async with services.sessions() as session:
        before = await ticket_stats(session, now, services.settings.tz)
    assert before.total.tickets == 2
    async with services.sessions() as session:
        with pytest.raises(NotAllowed):
            await merge_tickets(session, duplicate.number, first.number, ALICE, now)
        other = await make_ticket("别的用户", openid="o_other")
        with pytest.raises(StaffActionError, match="同一用户"):
            await merge_tickets(session, duplicate.number, other.number, SAM, now)
        with pytest.raises(StaffActionError, match="它自己"):
            await merge_tickets(session, duplicate.number, duplicate.number, SAM, now)
        target = await merge_tickets(session, duplicate.number, first.number, SAM, now)
        await session.commit()
    assert target.number == first.number
    async with services.sessions() as session:
        merged = await get_ticket(session, duplicate.number)
        kept = await get_ticket(session, first.number)
        assert merged.state == "closed" and merged.merged_into == first.number
        # The duplicate was waiting for an answer, so the answered ticket is open again, due when it was due.
        assert kept.state == "open" and kept.due_at == duplicate.due_at and kept.reopen_count == 1
        bodies = list(await session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == first.id)))
        assert "护照丢了，补办要带什么" in bodies and "与前一工单重复" in bodies  # the question and the note
        assert not list(await session.scalars(select(TicketMessage.id).where(TicketMessage.ticket_id == duplicate.id)))
        events = {
            (e.ticket_id, e.action): e.detail
            for e in await session.scalars(select(TicketEvent).where(TicketEvent.action.like("merged%")))
        }
        assert events[(duplicate.id, "merged_into")]["ticket"] == first.number
        assert events[(first.id, "merged_from")]["ticket"] == duplicate.number
        with pytest.raises(StaffActionError, match="已经合并"):
            await merge_tickets(session, duplicate.number, first.number, SAM, now)
        after = await ticket_stats(session, now, services.settings.tz)
        # Searching the duplicate's words finds the ticket it went into (and the duplicate by its own question).
        page = await list_queue(session, QueueFilter(state="open", text="补办要带什么"), now)
        assert [i.number for i in page.items] == [first.number]
    assert after.total.tickets == 2 and after.open_now == 2  # the first ticket and o_other's; not the duplicate


async def test_merge_on_the_ticket_pages(login, services, make_ticket) -> None:
    first, duplicate = await _pair(services, make_ticket)
    alice = await login("alice")
    assert 'id="merge-form"' not in (await alice.http.get(f"/console/tickets/{duplicate.number}")).text
    sam = await login("sam")
    page = await sam.http.get(f"/console/tickets/{duplicate.number}")
    assert 'id="merge-form"' in page.text and f'<option value="{first.number}">' in page.text
    refused = await sam.http.post(
        f"/console/tickets/{duplicate.number}/merge", data={"into": "Q20990101-0001", "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404 and "Q20990101-0001" in refused.text
    done = await sam.http.post(
        f"/console/tickets/{duplicate.number}/merge", data={"into": first.number, "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/console/tickets/{first.number}?done=merged"
    target = await sam.http.get(done.headers["location"])
    assert "合并了其他工单" in target.text and f"← {duplicate.number}" in target.text
    assert "护照丢了，补办要带什么" in target.text
    shown = await sam.http.get(f"/console/tickets/{duplicate.number}")
    assert 'id="merged-into"' in shown.text and f'href="/console/tickets/{first.number}"' in shown.text
    assert "合并到其他工单" in shown.text and 'id="merge-form"' not in shown.text


async def test_merge_moves_the_attachments_and_a_pending_download_lands_on_the_ticket_merged_into(  # type: ignore[no-untyped-def]
    login, services, make_ticket, fake_wechat
) -> None:
    from handlers.inbound_media import InboundMedia
    from tickets.attachment_models import Attachment
    from tickets.attachments import record_inbound

    first, duplicate = await _pair(services, make_ticket)
    now = services.clock.now()
    photo = fake_wechat.add_user_media("image", PNG, content_type="image/png")
    voice = fake_wechat.add_user_media("voice", AMR, content_type="audio/amr")
    async with services.sessions() as session:
        row = await get_ticket(session, duplicate.number)
        # The photo was the duplicate's question itself (no thread line); the voice came as an addition.
        asked = await record_inbound(session, row, InboundMedia("image", photo, now), row.openid, row.source_key, now)
        spoken = InboundMedia("voice", voice, now, "护照首页")
        added = await record_inbound(session, row, spoken, row.openid, "m:2", now)
        await session.commit()
    await services.downloads.enqueue(asked.id)
    await services.worker().run_once()  # the photo is stored on the duplicate; the voice's download is pending
    sam = await login("sam")
    page = await sam.http.get(f"/console/tickets/{duplicate.number}")
    done = await sam.http.post(
        f"/console/tickets/{duplicate.number}/merge", data={"into": first.number, "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    await services.downloads.enqueue(added.id)  # the download queued before the merge runs after it
    await services.worker().run_once()
    async with services.sessions() as session:
        rows = {a.id: a for a in await session.scalars(select(Attachment))}
        question_line = await session.scalar(
            select(TicketMessage.id).where(
                TicketMessage.ticket_id == first.id, TicketMessage.body == "护照丢了，补办要带什么"
            ).order_by(TicketMessage.id.desc()).limit(1)  # the line the merge made (make_ticket wrote one too)
        )
    assert {a.ticket_id for a in rows.values()} == {first.id}
    assert rows[asked.id].message_id == question_line  # shown under the duplicate's question, now a line
    assert rows[added.id].state == "stored" and rows[added.id].message_id is not None
    target = await sam.http.get(f"/console/tickets/{first.number}")
    assert f'<img src="/console/attachments/{asked.id}"' in target.text
    assert f'id="attachment-{added.id}" data-state="stored"' in target.text
    assert f"← {duplicate.number}；移入 4 条留言、2 个附件" in target.text  # 2 of the question, the note, the voice
    assert (await sam.http.get(f"/console/attachments/{asked.id}")).content == PNG
    shown = await sam.http.get(f"/console/tickets/{duplicate.number}")
    assert "attachment-" not in shown.text and "2 个附件随对话移走" in shown.text


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 400
AMR = b"#!AMR\n" + b"\x3c" * 64
