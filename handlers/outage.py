"""What the bot says while Redis or the database is out: everything the in-process FAQ matcher can answer,
and an honest "recorded, a person will follow up" for the rest, which is kept as a deferred hand-over.

The normal handlers keep conversation state (numbered choices, “更多”, the question after “人工”) in Redis
and tickets in the database; this path reads neither. What it must remember between two messages of one
user (the question after “人工”, the last few texts) it keeps in this process for the outage's length.
Nothing here does I/O: the caller stores the reply and the hand-over (spool or Redis), and may pass its own
``decide`` (the process's matcher, off the event loop when it is a heavy one, bounded by the message's
deadline: a decision that does not come in time is a hand-over).
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wechatpy.messages import BaseMessage

from faq.matcher import Decision
from faq.out_of_scope import out_of_scope_intents
from faq.script import detect_script
from handlers import texts
from handlers.answer_feedback import THANKS_HELPFUL, THANKS_UNHELPFUL, feedback_of
from handlers.commands import command_of
from handlers.context import Knowledge, Reply
from handlers.menu import group_of_click
from handlers.specific_case import specific_case
from handlers.text import answer_reply
from handlers.triage import classify, clearly_out_of_scope
from storage.activity import FollowerState

HANDOVER_RECORDED = (
    "您的问题已记录。系统正在维护，恢复后会立即转交工作人员，并发消息告诉您留言编号；"
    "我们将在2个工作日内答复。如需补充，直接发送即可。"
)
ASK_FOR_QUESTION = "好的，请直接描述您要咨询的问题（可以分几条发送），我们会转给工作人员，并在2个工作日内答复。"
STATUS_UNAVAILABLE = "系统正在维护，暂时无法查询留言进度，请稍后再试。您的留言不会丢失。"
STATE_UNAVAILABLE = "系统正在维护，暂时无法使用序号和“更多”。请直接输入您的问题。"
SUGGEST_FOOTER = "请直接发送您想问的那一条；都不是的话，请换个说法或回复“人工”留言。"

AWAIT_S = 30 * 60
KEEP_TEXTS = 6


@dataclass
class HandoverNote:
    """A question for a person that could not be written as a ticket now."""

    text: str
    reason: str  # "asked_for_human" | "unanswered" | "specific_case"
    related: tuple[str, ...] = ()


@dataclass
class OutageMemory:
    """Per-user state for the outage's length, in this process only (bounded)."""

    limit: int = 50_000
    _awaiting: OrderedDict[str, float] = field(default_factory=OrderedDict)
    _recent: OrderedDict[str, deque[str]] = field(default_factory=OrderedDict)

    def await_question(self, openid: str) -> None:
        self._awaiting[openid] = time.monotonic() + AWAIT_S
        _bound(self._awaiting, self.limit)

    def take_awaiting(self, openid: str) -> bool:
        until = self._awaiting.pop(openid, None)
        return until is not None and until > time.monotonic()

    def remember(self, openid: str, text: str) -> None:
        self._recent.setdefault(openid, deque(maxlen=KEEP_TEXTS)).append(text)
        self._recent.move_to_end(openid)
        _bound(self._recent, self.limit)

    def last_question(self, openid: str) -> str | None:
        recent = self._recent.get(openid)
        return recent[-1] if recent else None


def _bound(items: OrderedDict[str, Any], limit: int) -> None:
    while len(items) > limit:
        items.popitem(last=False)


Decide = Callable[[str], Awaitable[Decision | None]]  # None: no decision in time


async def reply_without_storage(
    knowledge: Knowledge,
    message: BaseMessage,
    follower: FollowerState,
    memory: OutageMemory,
    now: datetime,
    decide: Decide | None = None,
) -> tuple[Reply, HandoverNote | None]:
    """The reply to ``message`` from the in-process matcher alone, and the hand-over to keep, if any. An
    answer reads as on the normal path (``answer_reply``: 依据 line, hand-written Traditional text).
    ``decide`` defaults to ``knowledge.matcher.decide`` inline."""
    matcher = knowledge.matcher
    openid = str(message.source)
    if message.type == "event":
        return _event(message, follower, memory, now)
    if message.type == "voice":
        text = str(getattr(message, "recognition", "") or "").strip()
        if not text:
            return Reply(texts.VOICE_NOT_RECOGNISED), None
    elif message.type == "text":
        text = str(message.content or "")
    else:
        raw_type = str(message._data.get("MsgType", "")).lower()
        return Reply(texts.MEDIA_NOT_SUPPORTED.get(raw_type, texts.UNKNOWN_MESSAGE), meta={"decision": "media"}), None
    script = detect_script(text)  # None ("人工", "1", English) keeps the follower's script
    if script is not None:
        follower.script = script
    command = command_of(text)
    if command == "human":
        return _human(openid, memory)
    if command == "status":
        return Reply(STATUS_UNAVAILABLE), None
    if command == "menu":
        return Reply(f"可咨询的事项：\n{texts.TOPIC_MENU}\n请直接输入您的问题。"), None
    if command is not None:  # "更多" and numbered choices live in Redis
        return Reply(STATE_UNAVAILABLE), None
    if knowledge.ask_feedback and (helpful := feedback_of(text)) is not None:  # answers carry the line here too
        thanks = THANKS_HELPFUL if helpful else THANKS_UNHELPFUL
        return Reply(thanks, meta={"decision": "feedback", "helpful": helpful}), None
    # As in handlers/text.py: noise and off-topic messages are never a hand-over, nor the question after “人工”.
    kind = classify(text, ())
    if kind == "junk":
        return Reply(texts.HELP, meta={"decision": "help"}), None
    if kind == "off_topic":
        return Reply(texts.OFF_TOPIC, meta={"decision": "off_topic"}), None
    memory.remember(openid, text)
    if memory.take_awaiting(openid):
        return _recorded(), HandoverNote(text, "asked_for_human")
    decision = await decide(text) if decide is not None else matcher.decide(text)
    if decision is None:  # the matcher did not decide in time: a person answers instead
        return _recorded(), HandoverNote(text, "unanswered")
    if specific_case(text) is not None:
        return _recorded(), HandoverNote(text, "specific_case", tuple(decision.suggestions))
    if decision.decision == "answer" and decision.faq_id is not None:
        return answer_reply(knowledge, matcher.entry(decision.faq_id), decision.score), None
    if decision.smalltalk in ("greeting", "thanks", "bye"):
        said = {"greeting": texts.GREETING, "thanks": texts.THANKS, "bye": texts.BYE}[decision.smalltalk]
        return Reply(said, meta={"decision": decision.smalltalk}), None
    if decision.out_of_scope is not None and clearly_out_of_scope(text, decision):  # as in handlers/text.py
        said = f"{out_of_scope_intents().reply(decision.out_of_scope)}\n{texts.OUT_OF_SCOPE_FOOTER}"
        return Reply(said, meta={"decision": "out_of_scope", "intent": decision.out_of_scope}), None
    if decision.decision == "suggest" and decision.suggestions:
        lines = [texts.SUGGEST_HEADER]
        lines += [f"· {matcher.entry(faq_id).question}" for faq_id in decision.suggestions[:3]]
        lines.append(SUGGEST_FOOTER)
        return Reply("\n".join(lines), meta={"decision": "suggest", "suggestions": decision.suggestions[:3]}), None
    return _recorded(), HandoverNote(text, "unanswered", tuple(decision.suggestions))


def _human(openid: str, memory: OutageMemory) -> tuple[Reply, HandoverNote | None]:
    question = memory.last_question(openid)
    if question is None:
        memory.await_question(openid)
        return Reply(ASK_FOR_QUESTION, meta={"decision": "ask_question"}), None
    return _recorded(), HandoverNote(question, "asked_for_human")


def _recorded() -> Reply:
    return Reply(HANDOVER_RECORDED, meta={"decision": "handover_deferred"})


def _event(
    message: BaseMessage, follower: FollowerState, memory: OutageMemory, now: datetime
) -> tuple[Reply, HandoverNote | None]:
    event = str(getattr(message, "event", "") or "").lower()
    if event in ("subscribe", "subscribe_scan"):
        follower.subscribed, follower.subscribed_at = True, now
        return Reply(texts.WELCOME, meta={"decision": "welcome"}), None
    if event == "unsubscribe":
        follower.subscribed, follower.unsubscribed_at = False, now
        return Reply("", meta={"decision": "unsubscribed"}), None
    if event == "click":
        key = str(getattr(message, "key", "") or "").upper()
        if key == "HUMAN":
            return _human(str(message.source), memory)
        if key == "STATUS":
            return Reply(STATUS_UNAVAILABLE), None
        if key.startswith("TOPIC_") or group_of_click(key) is not None:
            return Reply(f"可咨询的事项：\n{texts.TOPIC_MENU}\n请直接输入您的问题。"), None
        return Reply(texts.GREETING), None
    if event == "scan":
        return Reply(texts.GREETING, meta={"decision": "greeting"}), None
    return Reply("", meta={"decision": "ignored"}), None
