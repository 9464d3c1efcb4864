"""A request the hotline does not serve (config/out_of_scope_intents.yaml) is told so, with where to look, the
related KB entries as choices and the way to a person; it is never answered with a KB entry nor made a ticket.
A message that also asks a real KB question gets that answer."""

from __future__ import annotations

from tests.conversation.conftest import tickets_of

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
