"""A reply's numbered choices are written with the message's closing (HandlerContext.set_after), not in a
round trip of their own, and the user's next message finds them."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.conversation_state import CHOICE_TTL_S, CONFIRM_TTL_S
from tickets.desk_flags import AWAITING_TTL_S, awaiting_key

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


class _NoStateWrites:
    """A Redis client refusing a write of the conversation's keys (``fragment`` in the key) apart from the
    message's closing: no SET or DEL of them, no pipeline."""

    def __init__(self, redis: Any, fragment: str) -> None:
        self._redis = redis
        self._fragment = fragment

    def __getattr__(self, name: str) -> Any:
        if name == "pipeline":
            raise AssertionError("state written apart from the closing (pipeline)")
        return getattr(self._redis, name)

    async def set(self, key: str, *args: Any, **kwargs: Any) -> Any:
        if self._fragment in key:
            raise AssertionError(f"{key} written apart from the closing")
        return await self._redis.set(key, *args, **kwargs)

    async def delete(self, *keys: str) -> Any:
        if any(self._fragment in key for key in keys):
            raise AssertionError(f"{keys} dropped apart from the closing")
        return await self._redis.delete(*keys)


async def test_the_question_back_is_written_with_the_closing(new_user, services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The message asked about (and the choices it replaces) go with the closing, not in a round trip of their
    own; the user's “1” finds it."""
    monkeypatch.setattr(services.conversation, "redis", _NoStateWrites(services.conversation.redis, ":conv:"))
    user = new_user()
    await user.say("菜单")
    asked = await user.say("有个事想问一下")
    assert asked is not None and "需要转给工作人员吗？回复 1 确认" in asked
    assert await services.redis.get(services.conversation.choices_key(user.openid)) is None
    ttl = await services.redis.ttl(services.conversation.confirm_key(user.openid))
    assert 0 < ttl <= CONFIRM_TTL_S
    created = await user.say("1")
    assert created is not None and "留言编号" in created
    assert await services.redis.exists(services.conversation.confirm_key(user.openid)) == 0


async def test_asking_for_a_person_without_a_question_is_remembered_with_the_closing(  # type: ignore[no-untyped-def]
    new_user, services, monkeypatch
) -> None:
    monkeypatch.setattr(services.desk.flags, "redis", _NoStateWrites(services.desk.flags.redis, ":awaiting:"))
    user = new_user()
    asked = await user.say("人工")
    assert asked is not None and "留言编号" not in asked
    ttl = await services.redis.ttl(awaiting_key(user.openid))
    assert 0 < ttl <= AWAITING_TTL_S
    created = await user.say("想给家乡小学捐一批图书，找谁联系")
    assert created is not None and "留言编号" in created
    assert await services.redis.exists(awaiting_key(user.openid)) == 0
