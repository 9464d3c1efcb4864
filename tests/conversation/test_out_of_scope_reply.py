"""A request the hotline does not serve (config/out_of_scope_intents.yaml) is told so, with where to look, the
related KB entries as choices and the way to a person; it is never answered with a KB entry nor made a ticket.
A message that also asks a real KB question gets that answer."""

from __future__ import annotations

from tests.conversation.conftest import messages_of, tickets_of

FOREX_QUESTION = "个人结汇、购汇和往境外汇款有额度限制吗？外汇问题找谁？"


async def test_a_live_rate_is_told_where_to_look_with_the_kb_entry_as_a_choice(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say("今天美元兑人民币汇率多少")
    assert reply is not None
    assert "实时汇率" in reply and "银行" in reply  # what we cannot do, and where to look
    assert f"1. {FOREX_QUESTION}" in reply  # the related entry, as a choice
    assert "“人工”" in reply  # the way to a person
    assert "5万美元" not in reply  # not answered with the entry
    assert await tickets_of(services, user.openid) == []
    chosen = await user.say("1")
    assert chosen is not None and "5万美元" in chosen  # the choice opens the entry's answer


async def test_a_nearby_shop_gets_the_reply_and_no_ticket(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say("附近有没有便利店")
    assert reply is not None and "手机地图" in reply and "“人工”" in reply
    assert "需要转给工作人员吗" not in reply  # not the question back of an unclear message
    assert await tickets_of(services, user.openid) == []


async def test_a_traditional_reader_gets_the_reply_in_traditional(new_user) -> None:  # type: ignore[no-untyped-def]
    reply = await new_user().say("今日英鎊兌人民幣匯率是多少？")
    assert reply is not None and "匯率" in reply and "汇率" not in reply


async def test_a_kb_question_asked_beside_it_is_answered(new_user) -> None:  # type: ignore[no-untyped-def]
    reply = await new_user().say("我想从国外汇钱回国，今天汇率多少？个人每年结汇额度是多少？")
    assert reply is not None and "5万美元" in reply and "实时汇率" not in reply


# The reply that says the hotline does not serve a request (any intent's, and the default one).
REFUSED = "不在本热线的服务范围内"
# A request no KB entry is near: it becomes a ticket (tests/conversation/test_open_ticket.py).
REQUEST = "我想把祖父留下的侨批捐出去，找谁联系"


async def test_a_tracking_number_sent_with_a_ticket_open_joins_the_ticket(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(REQUEST)
    added = await user.say("材料已寄出，单号SF1234567890")
    assert added is not None and "已补充到您的留言" in added and REFUSED not in added
    [ticket] = await tickets_of(services, user.openid)
    bodies = [m.body for m in await messages_of(services, ticket) if m.kind == "user"]
    assert bodies == ["材料已寄出，单号SF1234567890"]  # staff see it


async def test_with_a_ticket_open_even_a_request_the_hotline_does_not_serve_joins_it(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(REQUEST)
    added = await user.say("我寄的快递到哪了")  # live_status: told, not refused, and on the ticket for staff
    assert added is not None and "已补充到您的留言" in added and REFUSED not in added
    [ticket] = await tickets_of(services, user.openid)
    assert [m.body for m in await messages_of(services, ticket) if m.kind == "user"] == ["我寄的快递到哪了"]


async def test_an_off_topic_one_with_a_ticket_open_gets_the_reply_and_is_not_added(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say(REQUEST)
    reply = await user.say("伦敦这周末会不会下雪")  # off-topic (天气 words): never an addition
    assert reply is not None and "天气" in reply and REFUSED in reply and "已补充" not in reply
    [ticket] = await tickets_of(services, user.openid)
    assert [m for m in await messages_of(services, ticket) if m.kind == "user"] == []


async def test_asking_whether_the_passport_has_arrived_is_not_refused(new_user) -> None:  # type: ignore[no-untyped-def]
    reply = await new_user().say("我的护照到了吗？")
    assert reply is not None and REFUSED not in reply


async def test_naming_the_hotlines_business_with_nothing_offered_gets_the_question_back(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say("签证中心附近有什么酒店")  # nearby_place, but 签证 is the hotline's word
    assert reply is not None and "需要转给工作人员吗" in reply and REFUSED not in reply
    assert await tickets_of(services, user.openid) == []  # a ticket only when the user confirms
    confirmed = await user.say("1")
    assert confirmed is not None and "留言编号" in confirmed
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == "签证中心附近有什么酒店"
