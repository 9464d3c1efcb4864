"""Issue 9, faults 2 and 3: while a ticket is open the FAQ still answers (noted on the ticket as context),
additions are appended and junk is neither; the ticket's question is the request itself, and what came
before it is context with its real times and the bot's replies, shown apart from later additions."""

from __future__ import annotations

from datetime import timedelta

from tests.conversation.conftest import messages_of, tickets_of

# A request no KB entry is near (the FAQ hands it over rather than offering choices).
REQUEST = "我想把祖父留下的侨批捐出去，找谁联系"
FAQ_QUESTION = "中国承认双重国籍吗"


async def test_open_ticket_answers_faq_appends_additions_and_ignores_junk(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(REQUEST)
    for junk in ("asdfgh 哈哈 🍉🍉", "1", "？？？"):
        reply = await user.say(junk)
        assert reply is not None and "已补充" not in reply, junk
    answer = await user.say(FAQ_QUESTION)
    assert answer is not None and "国籍法" in answer and "已补充" not in answer
    added = await user.say("补充一下，一共两百多封，是民国时寄回来的")
    assert added is not None and "已补充到您的留言" in added
    [ticket] = await tickets_of(services, user.openid)
    kinds = [(m.kind, m.body[:12]) for m in await messages_of(services, ticket)]
    assert ("context", FAQ_QUESTION[:12]) in kinds  # the answered question is noted for staff
    assert [body for kind, body in kinds if kind == "user"] == ["补充一下，一共两百多封，"]
    assert not any("asdfgh" in body or body == "1" for _, body in kinds)
    bot = [m for m in await messages_of(services, ticket) if m.kind == "bot"]
    assert bot and "国籍法" in bot[-1].body  # and what the bot answered


async def test_ticket_question_is_the_request_and_earlier_messages_are_context_at_their_times(
    new_user, services, fake_clock
) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    first_at = services.clock.now()
    await user.say(FAQ_QUESTION)
    fake_clock.advance(minutes=5)
    await user.say("？？？")
    fake_clock.advance(minutes=5)
    created_at = services.clock.now()
    await user.say(REQUEST)
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == REQUEST
    messages = await messages_of(services, ticket)
    assert [m.kind for m in messages] == ["context", "bot"]  # "？？？" is noise, not context
    context, bot = messages
    assert context.body == FAQ_QUESTION and bot.body.startswith("【中国承认双重国籍吗")
    assert abs(context.created_at.replace(tzinfo=None) - first_at.replace(tzinfo=None)) < timedelta(seconds=1)
    assert context.created_at.replace(tzinfo=None) < created_at.replace(tzinfo=None) - timedelta(minutes=9)


async def test_asking_for_a_person_makes_the_last_real_question_the_headline(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(FAQ_QUESTION)
    await user.say("？？？")
    reply = await user.say("人工")
    assert reply is not None and "留言编号" in reply
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == FAQ_QUESTION  # not "？？？"
    [bot] = [m for m in await messages_of(services, ticket)]
    assert bot.kind == "bot" and "国籍法" in bot.body  # staff see what the bot already told the user


async def test_console_shows_context_apart_from_the_users_additions(new_user, services, console) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(FAQ_QUESTION)
    await user.say(REQUEST)
    await user.say("补充一下，一共两百多封，是民国时寄回来的")
    [ticket] = await tickets_of(services, user.openid)
    page = (await console.get(f"/console/tickets/{ticket.number}")).text
    question = page.index('id="question"')
    context = page.index('id="context"')
    assert REQUEST in page[question : question + 200]
    section = page[context:]
    assert FAQ_QUESTION in section and "机器人回复" in section and "国籍法" in section
    additions = page[question:context]
    assert "用户追加" in additions and "是民国时寄回来的" in additions
    assert FAQ_QUESTION not in additions  # earlier messages are not shown as the user's additions


async def test_api_ticket_detail_carries_context_kinds_and_the_script(new_user, services, app) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from staff.accounts import create_staff
    from tests.console.conftest import PASSWORD

    user = new_user()
    await user.say("中國承認雙重國籍嗎")
    await user.say("我想把祖父留下的僑批捐出去，找誰聯繫")
    await user.say("人工")
    [ticket] = await tickets_of(services, user.openid)
    async with services.sessions() as session:
        create_staff(session, "bob", PASSWORD, "staff", display_name="Bob")
        await session.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
        assert (await api.post("/api/session", json={"username": "bob", "password": PASSWORD})).status_code == 200
        detail = await api.get(f"/api/tickets/{ticket.number}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["ticket"]["script"] == "hant"
    assert {m["kind"] for m in body["messages"]} >= {"context", "bot"}
