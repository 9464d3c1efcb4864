"""Issue 9, fault 1: junk, chit-chat, emoji and off-topic messages never become tickets; an unclear message
gets one question back, and only a confirmed request becomes a ticket."""

from __future__ import annotations

import pytest

from tests.conversation.conftest import tickets_of

JUNK = ["？？？", "明天天气怎么样", "asdfgh 哈哈 🍉🍉", "🍉🍉🍉", "哈哈哈", "。。。", "qwerty", "讲个笑话"]


@pytest.mark.parametrize("text", JUNK)
async def test_junk_gets_the_menu_and_the_way_to_a_person_never_a_ticket(new_user, services, text) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say(text)
    assert reply is not None
    assert "留言编号" not in reply and "前答复" not in reply  # no number, no two-day promise
    assert "“人工”" in reply  # how to reach a person
    assert await tickets_of(services, user.openid) == []


async def test_status_after_junk_lists_no_ticket_for_the_weather(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    for text in ("？？？", "明天天气怎么样", "asdfgh 哈哈 🍉🍉"):
        await user.say(text)
    status = await user.say("查询")
    assert status is not None and "没有留言记录" in status and "天气" not in status


async def test_junk_reply_shows_the_topic_menu(new_user) -> None:  # type: ignore[no-untyped-def]
    reply = await new_user().say("asdfgh 哈哈 🍉🍉")
    assert reply is not None and "1. 出入境" in reply and "6. 热线服务" in reply


async def test_an_unclear_message_is_asked_about_once_and_confirmed_becomes_a_ticket(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    asked = await user.say("有个事想问一下")
    assert asked is not None and "需要转给工作人员吗？回复 1 确认" in asked
    assert await tickets_of(services, user.openid) == []
    created = await user.say("1")
    assert created is not None and "留言编号" in created
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == "有个事想问一下"


async def test_a_declined_or_ignored_question_back_makes_no_ticket(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say("有个事想问一下")
    declined = await user.say("不用了")
    assert declined is not None and "没有转给工作人员" in declined
    assert "留言编号" not in (await user.say("1") or "")  # the question was settled; "1" confirms nothing now
    await user.say("我有个问题")
    await user.say("中国承认双重国籍吗")  # answered instead of confirming
    assert "留言编号" not in (await user.say("1") or "")
    assert await tickets_of(services, user.openid) == []


async def test_a_plausible_request_the_faq_cannot_answer_still_becomes_a_ticket(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say("我想把祖父留下的侨批捐出去，找谁联系")
    assert reply is not None and "留言编号" in reply
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == "我想把祖父留下的侨批捐出去，找谁联系"


async def test_junk_after_asking_for_a_person_is_not_the_question(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say("人工")
    await user.say("🍉🍉")
    assert await tickets_of(services, user.openid) == []
    reply = await user.say("我想问问老家祖屋翻修要办什么手续")
    assert reply is not None and "留言编号" in reply
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == "我想问问老家祖屋翻修要办什么手续"
