"""While storage is out the bot answers from the matcher alone (handlers/outage.py); the same rule holds
there: junk and off-topic messages are never kept as hand-overs, specific cases are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from wechatpy import parse_message

from config.settings import CONFIG_DIR
from faq.kb import FaqEntry, load_kb
from faq.matcher import Decision, FaqMatcher
from handlers.answer_feedback import PresentedAnswer
from handlers.outage import OutageMemory, reply_without_storage
from handlers.triage import clearly_out_of_scope
from knowledge.presentation import present
from storage.activity import FollowerState
from wechat import inbound

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher.build(load_kb(CONFIG_DIR / "faq.yaml"), embedder=None)


class _Served:
    """The KB as the outage path reads it: the matcher and how an answer is presented."""

    def __init__(self, matcher: FaqMatcher) -> None:
        self.matcher, self.entries, self.ask_feedback = matcher, matcher.entries(), False

    async def decide(self, text: str) -> Decision:
        return self.matcher.decide(text)

    def present(self, entry: FaqEntry) -> PresentedAnswer:
        return present(entry, None, show_basis=True, ask_feedback=False)


def _say(matcher: FaqMatcher, text: str, memory: OutageMemory, follower: FollowerState):  # type: ignore[no-untyped-def]
    message = parse_message(inbound.text_message(follower.openid, text))
    return asyncio.run(reply_without_storage(_Served(matcher), message, follower, memory, NOW))


@pytest.mark.parametrize("text", ["？？？", "asdfgh 哈哈 🍉🍉", "明天天气怎么样"])
def test_junk_during_an_outage_is_not_kept_for_staff(matcher: FaqMatcher, text: str) -> None:
    memory, follower = OutageMemory(), FollowerState(openid="o_outage")
    reply, note = _say(matcher, text, memory, follower)
    assert note is None and "“人工”" in reply.text
    _, after_human = _say(matcher, "人工", memory, follower)
    assert after_human is None  # the junk is not taken as the question either


def test_a_specific_case_during_an_outage_is_kept_and_script_survives_a_bare_command(matcher: FaqMatcher) -> None:
    memory, follower = OutageMemory(), FollowerState(openid="o_outage_hant")
    _, note = _say(matcher, "台山市僑聯的辦公電話和地址", memory, follower)
    assert note is not None and note.reason == "specific_case"
    assert follower.script == "hant"
    _say(matcher, "人工", memory, follower)
    assert follower.script == "hant"


def test_a_request_the_hotline_does_not_serve_gets_its_reply_during_an_outage(matcher: FaqMatcher) -> None:
    memory, follower = OutageMemory(), FollowerState(openid="o_outage_rate")
    reply, note = _say(matcher, "现在英镑兑人民币汇率多少", memory, follower)
    assert note is None  # not kept for staff: they could not answer it either
    assert "实时汇率" in reply.text and "“人工”" in reply.text
    assert reply.meta == {"decision": "out_of_scope", "intent": "live_rate"}


def test_one_naming_the_hotlines_business_with_nothing_offered_is_kept_during_an_outage(matcher: FaqMatcher) -> None:
    memory, follower = OutageMemory(), FollowerState(openid="o_outage_near")
    reply, note = _say(matcher, "签证中心附近有什么酒店", memory, follower)  # nearby_place, but 签证
    assert note is not None and note.reason == "unanswered"  # the outage path's hand-over, not a refusal
    assert reply.meta == {"decision": "handover_deferred"}


@pytest.mark.parametrize(
    ("decision", "text", "clearly"),
    [
        # nothing offered, no domain word: the intent's reply
        (Decision("handover", None, ("forex",), 0.2, out_of_scope="live_rate"), "今天美元兑人民币汇率多少", True),
        # nothing offered, a domain word (签证): not refused
        (Decision("handover", None, (), 0.1, out_of_scope="nearby_place"), "签证中心附近有什么酒店", False),
        # choices offered: the reply with them is no dead end, domain word or not
        (Decision("suggest", None, ("visa",), 0.3, out_of_scope="nearby_place"), "签证中心附近有什么酒店", True),
    ],
)
def test_clearly_out_of_scope_reads_the_domain_words_only_when_nothing_is_offered(
    decision: Decision, text: str, clearly: bool
) -> None:
    assert clearly_out_of_scope(text, decision) is clearly
