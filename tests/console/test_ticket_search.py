"""Free-text search over the queue: numbers, questions, users' messages and staff notes, in Chinese (one-,
two- and longer terms), English and a mix, with the queue's filters; the index follows every write."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, update

import tickets.search
from console.sessions import StaffIdentity
from tickets.actions import add_note
from tickets.models import Ticket, TicketMessage
from tickets.queue import QueueFilter, list_queue
from tickets.search import search_terms

SAM = StaffIdentity(3, "sam", "Sam", "supervisor")
BEIJING = ZoneInfo("Asia/Shanghai")


def test_search_terms() -> None:
    assert search_terms("  护照　过期 ") == ["护照", "过期"]  # full-width space too
    assert search_terms("护照 护照 PASSPORT passport") == ["护照", "PASSPORT"]
    assert search_terms("？？ ， ...") == []
    assert len(search_terms(" ".join(f"词{i}" for i in range(20)))) == 8
    assert search_terms("x" * 100) == ["x" * 64]


async def _numbers(services, text: str, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        page = await list_queue(session, QueueFilter(text=text, **{"state": None, **filters}), services.clock.now())
    return [item.number for item in page.items]


async def _add(services, ticket: Ticket, kind: str, body: str) -> int:  # type: ignore[no-untyped-def]
    async with services.sessions() as session:
        message = TicketMessage(ticket_id=ticket.id, kind=kind, author="x", body=body)
        session.add(message)
        await session.commit()
        return message.id


async def test_finds_chinese_terms_of_any_length_in_question_messages_and_notes(services, make_ticket) -> None:
    passport = await make_ticket("我在马德里，护照下个月过期了，怎么换？")
    house = await make_ticket("台山的老房子被亲戚占了怎么办", state="answered")
    school = await make_ticket("孩子回国读书要什么材料")
    await _add(services, school, "user", "补充一下：我们住在巴塞罗那，孩子今年9岁")
    await _add(services, house, "context", "你好，请问")
    await _add(services, house, "bot", "关于护照的常见问题……")  # the bot's reply is not searched
    async with services.sessions() as session:
        await add_note(session, house.number, SAM, "已电话联系陈建华，需补充房产证复印件", services.clock.now())
        await session.commit()

    assert await _numbers(services, "护照") == [passport.number]
    assert await _numbers(services, "护") == [passport.number]  # one character
    assert await _numbers(services, "护照下个月过期") == [passport.number]
    assert await _numbers(services, "巴塞罗那") == [school.number]  # a later addition
    assert await _numbers(services, "陈建华") == [house.number]  # a staff note
    assert await _numbers(services, "房产证") == [house.number]
    assert await _numbers(services, "请问") == [house.number]  # what the user wrote before the hand-over
    assert set(await _numbers(services, "怎么")) == {passport.number, house.number}
    # Every term somewhere in the ticket, not necessarily in the same text.
    assert await _numbers(services, "孩子 巴塞罗那") == [school.number]
    assert await _numbers(services, "护照 巴塞罗那") == []
    # Substrings, not loose characters: 照过 is not in "护照下个月过期".
    assert await _numbers(services, "照过") == []
    assert await _numbers(services, "签证") == []
    assert await _numbers(services, "护照过期") == []


async def test_numbers_english_and_wildcards(services, make_ticket) -> None:
    first = await make_ticket("How do I renew my Chinese PASSPORT abroad?")
    second = await make_ticket("绿卡 green card 100% 办理_加急")
    assert await _numbers(services, first.number) == [first.number]
    assert await _numbers(services, first.number[-7:]) == [first.number]  # "11-0001" style tails
    assert await _numbers(services, first.number[-5:]) == [first.number]  # "-0001"
    assert await _numbers(services, first.number, state="open") == [first.number]
    assert await _numbers(services, first.number, state="answered") == []
    assert await _numbers(services, f"{first.number[-5:]} passport", state="open") == [first.number]
    assert await _numbers(services, f"{first.number[-5:]} green") == []
    assert await _numbers(services, second.number[-5:]) == [second.number]
    assert await _numbers(services, "9" + first.number[-5:]) == []  # a dashed tail is the number's ending
    assert set(await _numbers(services, first.number[:9].lower())) == {first.number, second.number}  # q20261201
    assert await _numbers(services, first.number.lower()) == [first.number]
    assert await _numbers(services, "passport") == [first.number]
    assert await _numbers(services, "Renew my chinese") == [first.number]
    assert await _numbers(services, "GREEN") == [second.number]
    assert await _numbers(services, "100%") == [second.number]
    assert await _numbers(services, "0%") == [second.number]
    # No letter or digit: no term, so the plain queue.
    assert set(await _numbers(services, "%")) == {first.number, second.number}
    assert await _numbers(services, "办理_加急") == [second.number]
    assert await _numbers(services, "理x加") == []


async def test_search_combines_with_the_queue_filters(services, make_ticket) -> None:
    now = services.clock.now()
    old = await make_ticket("护照丢了", created=now - timedelta(days=40), state="closed", category="出入境")
    recent = await make_ticket("护照到期", created=now - timedelta(hours=2), assignee="alice")
    await make_ticket("签证延期", created=now - timedelta(hours=1))
    assert await _numbers(services, "护照") == [recent.number, old.number]  # newest first
    async with services.sessions() as session:
        page = await list_queue(session, QueueFilter(state="open", text="护照"), now)
    assert [i.number for i in page.items] == [recent.number] and page.total == 1
    assert await _numbers(services, "护照", category="出入境") == [old.number]
    assert await _numbers(services, "护照", assignee="alice") == [recent.number]
    assert await _numbers(services, "护照", received_before=now - timedelta(days=30)) == [old.number]
    assert await _numbers(services, "护照", received_from=now - timedelta(days=1)) == [recent.number]


async def test_the_index_follows_every_write(services, make_ticket) -> None:
    """Edits, moves between tickets (as a merge does) and deletions reach the search at once."""
    one = await make_ticket("第一个问题")
    two = await make_ticket("第二个问题")
    message_id = await _add(services, one, "user", "联系电话 +34 612345678")
    assert await _numbers(services, "612345678") == [one.number]
    async with services.sessions() as session:
        await session.execute(update(TicketMessage).where(TicketMessage.id == message_id).values(ticket_id=two.id))
        await session.commit()
    assert await _numbers(services, "612345678") == [two.number]
    async with services.sessions() as session:
        await session.execute(update(TicketMessage).where(TicketMessage.id == message_id).values(body="改成微信联系"))
        await session.execute(update(Ticket).where(Ticket.id == one.id).values(question="改过的问题：学籍"))
        await session.commit()
    assert await _numbers(services, "612345678") == []
    assert await _numbers(services, "微信联系") == [two.number]
    assert await _numbers(services, "学籍") == [one.number]
    # The state and department the search checks first follow the ticket.
    async with services.sessions() as session:
        await session.execute(update(Ticket).where(Ticket.id == two.id).values(state="answered", department="rights"))
        await session.commit()
    assert await _numbers(services, "微信联系", state="answered") == [two.number]
    assert await _numbers(services, "微信联系", state="open") == []
    assert await _numbers(services, "微信", departments=("rights",)) == [two.number]
    assert await _numbers(services, "微信", departments=("liaison", "-")) == []
    async with services.sessions() as session:
        await session.execute(delete(TicketMessage).where(TicketMessage.id == message_id))
        await session.commit()
    assert await _numbers(services, "微信联系") == []


async def test_queue_page_searches(login, make_ticket) -> None:
    wanted = await make_ticket("我在米兰，想咨询华侨子女回国就读的政策")
    await make_ticket("房产继承需要什么公证")
    sam = await login("sam")
    page = await sam.http.get("/console/tickets", params={"q": "华侨子女", "state": "all"})
    assert page.status_code == 200
    assert wanted.number in page.text and "房产继承" not in page.text
    assert 'value="华侨子女"' in page.text
    assert "共 1 件" in page.text
    # The export link carries the same filters.
    assert "/console/tickets/export.xlsx?q=%E5%8D%8E%E4%BE%A8%E5%AD%90%E5%A5%B3&amp;state=all" in page.text
    nothing = await sam.http.get("/console/tickets", params={"q": "华侨子女", "state": "answered"})
    assert "没有符合条件的工单" in nothing.text and "可把状态改为“全部”再搜" in nothing.text
    dated = await sam.http.get("/console/tickets", params={"q": "华侨", "state": "all", "from": "2030-01-01"})
    assert wanted.number not in dated.text
    bad_date = await sam.http.get("/console/tickets", params={"q": "华侨", "state": "all", "from": "31/11"})
    assert wanted.number in bad_date.text  # a malformed date is no filter, not an error page


async def test_a_common_word_is_paged_by_recency_with_a_capped_count(services, make_ticket, monkeypatch) -> None:
    """Past the cap the count says "at least", and the pages come from walking the tickets newest first; they
    hold what the index path would have given. One- and two-character terms and longer ones alike."""
    now = services.clock.now()
    made = [
        await make_ticket(f"第{i}个问题：护照", created=now - timedelta(hours=i), state="closed" if i % 2 else "open")
        for i in range(7)
    ]
    await _add(services, made[6], "note", "另一本护照在巴塞罗那")  # 巴塞罗那 only in a note
    await make_ticket("签证延期", created=now)  # no 护照
    newest_first = [t.number for t in made]

    async def pages(text: str, per_page: int, **filters) -> list[tuple[list[str], int, bool, int]]:  # type: ignore[no-untyped-def]
        out = []
        async with services.sessions() as session:
            for page in (1, 2, 3, 4):
                f = QueueFilter(text=text, page=page, per_page=per_page, **{"state": None, **filters})
                result = await list_queue(session, f, now)
                out.append(([i.number for i in result.items], result.total, result.capped, result.pages))
        return out

    uncapped = await pages("护照", 2)
    assert [p[0] for p in uncapped] == [newest_first[0:2], newest_first[2:4], newest_first[4:6], newest_first[6:]]
    assert {(p[1], p[2], p[3]) for p in uncapped} == {(7, False, 4)}
    monkeypatch.setattr(tickets.search, "COUNT_CAP", 3)
    capped = await pages("护照", 2)
    assert [p[0] for p in capped] == [p[0] for p in uncapped]
    assert [(p[1], p[2], p[3]) for p in capped] == [(3, True, 2), (3, True, 3), (3, True, 4), (3, True, 4)]
    for term in ("护", "个问题：护照"):
        assert [p[0] for p in await pages(term, 2)] == [p[0] for p in uncapped]
    # With the queue's filters, and with two terms (one only in a note).
    assert (await pages("护照", 3, state="closed"))[0][:3] == ([newest_first[i] for i in (1, 3, 5)], 3, False)
    assert (await pages("问题 护照", 3, state="open"))[0][:3] == ([newest_first[i] for i in (0, 2, 4)], 3, True)
    assert (await pages("护照 巴塞罗那", 3))[0][:3] == ([newest_first[6]], 1, False)


async def test_the_page_says_when_the_count_is_capped(login, make_ticket, monkeypatch) -> None:
    for i in range(4):
        await make_ticket(f"回国定居第{i}问")
    monkeypatch.setattr(tickets.search, "COUNT_CAP", 2)
    sam = await login("sam")
    page = await sam.http.get("/console/tickets", params={"q": "回国", "state": "all"})
    assert "共 2+ 件" in page.text
    api = (await sam.http.get("/api/tickets", params={"q": "回国", "state": "all", "per_page": 2})).json()
    assert (api["total"], api["total_capped"], len(api["items"])) == (2, True, 2)
    exact = (await sam.http.get("/api/tickets", params={"q": "回国定居第1问", "state": "all"})).json()
    assert (exact["total"], exact["total_capped"]) == (1, False)


async def test_additions_written_at_once_to_one_ticket_are_both_found(services, make_ticket) -> None:
    """Two transactions adding to one ticket: the second one's trigger waits for the first and reads the
    messages again, so the document holds both (PostgreSQL; SQLite has one writer at a time)."""
    ticket = await make_ticket("我想咨询一下")
    async with services.sessions() as first, services.sessions() as second:
        if first.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers")
        first.add(TicketMessage(ticket_id=ticket.id, kind="user", author="x", body="补充：我在马德里"))
        await first.flush()  # its trigger has rewritten (and locked) the ticket's document
        second.add(TicketMessage(ticket_id=ticket.id, kind="user", author="x", body="再补充：孩子在巴塞罗那"))
        waiting = asyncio.create_task(second.commit())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the second trigger waits for the first transaction
        await first.commit()
        await asyncio.wait_for(waiting, 10)
    assert await _numbers(services, "马德里 巴塞罗那") == [ticket.number]
