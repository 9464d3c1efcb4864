"""Issue 9, fault 4: a request about one particular case, office or earlier request goes to staff (or is
answered from the user's own tickets) even though a general FAQ entry shares its words; that entry is
offered as "您也可以先看看"."""

from __future__ import annotations

import pytest

from tests.conversation.conftest import tickets_of


@pytest.mark.parametrize(
    ("text", "general"),
    [
        ("我家在台山的老房子被亲戚占了，请律师要多少钱", "华侨在国内的房屋、宅基地或侨房权益受到侵害"),
        ("台山市侨联的办公电话和地址", "怎样加入侨联、联系当地侨联组织"),
        ("催一下我的归侨证明", "归侨、侨眷身份怎么认定"),
        ("我上个月提交的申请怎么还没消息", None),
        ("請問我家在台山的祖屋被鄰居佔了，請律師要多少錢", "華僑在國內的房屋"),
    ],
)
async def test_a_specific_case_goes_to_staff_with_the_general_entry_offered(new_user, services, text, general) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say(text)
    assert reply is not None and ("留言编号" in reply or "留言編號" in reply), reply
    [ticket] = await tickets_of(services, user.openid)
    assert ticket.question == text
    if general is not None:
        assert "您也可以先看看" in reply
        assert general in reply
        shown = await user.say("1")  # the offered entry is choice 1
        assert shown is not None and shown.startswith("【") and general in shown


async def test_an_earlier_request_is_answered_from_the_users_tickets(new_user, services) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    await user.say("我想把祖父留下的侨批捐出去，找谁联系")
    [ticket] = await tickets_of(services, user.openid)
    reply = await user.say("我之前提交的申请办得怎么样了")
    assert reply is not None and ticket.number in reply and "处理中" in reply
    assert "已补充" not in reply
    assert len(await tickets_of(services, user.openid)) == 1


@pytest.mark.parametrize("text", ["我的护照丢了怎么办", "怎样联系当地侨联", "我家的宅基地被亲戚占了我是华侨怎么办"])
async def test_general_questions_with_personal_words_are_still_answered(new_user, services, text) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say(text)
    assert reply is not None and "留言编号" not in reply
    assert await tickets_of(services, user.openid) == []
