"""A reply's numbered choices are written with the message's closing (HandlerContext.set_after), not in a
round trip of their own, and the user's next message finds them."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.conversation_state import CHOICE_TTL_S

pytestmark = pytest.mark.asyncio


class _NoChoiceWrites:
    """The conversation state's Redis client, refusing a choice list written apart from the closing."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)

    async def set(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if ":choices:" in key:
            raise AssertionError("choices written apart from the closing")
        return await self._redis.set(key, *args, **kwargs)


async def test_the_menu_and_a_topic_list_are_answered_by_number(new_user, services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services.conversation, "redis", _NoChoiceWrites(services.conversation.redis))
    user = new_user()
    menu = await user.say("菜单")
    assert menu is not None and "1. 出入境" in menu
    ttl = await services.redis.ttl(services.conversation.choices_key(user.openid))
    assert 0 < ttl <= CHOICE_TTL_S
    topics = await user.say("1")
    assert topics is not None and "常见问题" in topics and "1. " in topics
    answer = await user.say("1")
    assert answer is not None and "常见问题" not in answer and answer != topics


async def test_the_question_back_drops_the_choices_shown_before(new_user, services) -> None:  # type: ignore[no-untyped-def]
    """“1” after the question back confirms the hand-over; it is not taken from the menu shown before."""
    user = new_user()
    await user.say("菜单")
    asked = await user.say("有个事想问一下")
    assert asked is not None and "需要转给工作人员吗？回复 1 确认" in asked
    assert await services.redis.get(services.conversation.choices_key(user.openid)) is None
    created = await user.say("1")
    assert created is not None and "留言编号" in created
