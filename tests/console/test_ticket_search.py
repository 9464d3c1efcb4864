"""Free-text search over the queue: numbers, questions, users' messages and staff notes, in Chinese (one-,
two- and longer terms), English and a mix, with the queue's filters; the index follows every write."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update

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
        page = await list_queue(session, QueueFilter(state=None, text=text, **filters), services.clock.now())
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
