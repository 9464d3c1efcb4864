"""Passive replies stay within WeChat's 2048 bytes; the rest is one “更多” away."""

from __future__ import annotations

import pytest

from faq.kb import FaqEntry
from handlers.long_text import REPLY_LIMIT_BYTES, split_for_wechat


def test_split_respects_the_byte_limit_and_keeps_everything() -> None:
    text = "\n".join(f"第{i}条：请向驻当地使领馆咨询具体办理要求，并以最新规定为准。" for i in range(80))
    chunks = split_for_wechat(text)
    assert len(chunks) > 1
    assert all(len(chunk.encode("utf-8")) <= REPLY_LIMIT_BYTES for chunk in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")


def test_split_without_break_characters_still_fits() -> None:
    chunks = split_for_wechat("护" * 3000)
    assert all(len(c.encode("utf-8")) <= REPLY_LIMIT_BYTES for c in chunks)
    assert sum(len(c) for c in chunks) == 3000


def test_short_text_is_one_chunk() -> None:
    assert split_for_wechat("你好") == ["你好"]


@pytest.mark.asyncio
async def test_long_answer_is_cut_and_more_returns_the_rest(services, wechat_user) -> None:  # type: ignore[no-untyped-def]
    long_answer = "\n".join(f"第{i}点：办理华侨回国定居需要准备相应材料，具体以侨务部门要求为准。" for i in range(60))
    services.knowledge.use_entries(
        [
            FaqEntry(
                id="long-one",
                category="国籍与身份",
                question="华侨回国定居怎么办理",
                similar=("回国定居手续",),
                answer=long_answer,
            )
        ]
    )
    user = wechat_user()
    first = await user.say("华侨回国定居怎么办理")
    assert first is not None and "更多" in first
    assert len(first.encode("utf-8")) <= REPLY_LIMIT_BYTES
    parts = [first]
    for _ in range(5):
        more = await user.say("更多")
        assert more is not None
        parts.append(more)
        if "回复“更多”" not in more:
            break
    joined = "".join(parts)
    assert all(f"第{i}点" in joined for i in range(60))
    assert "回复“更多”" not in parts[-1]
    assert "没有更多" in (await user.say("更多") or "")
