"""Text (and recognised voice): what the bot does with one message.

In order (README, "How the bot decides"):
1. an answer to the bot's question back ("需要转给工作人员吗？回复 1 确认");
2. command words (``config/command_words.yaml``) and numbered choices;
3. the question after "人工";
4. a specific case, person, office or earlier request: to staff, or the user's tickets for a status request,
   with the general FAQ entry offered as "您也可以先看看";
5. the FAQ's answer (noted on an open ticket as context), small talk;
6. junk and off-topic messages: a short help reply (a request the hotline does not serve: its own reply),
   never a ticket nor an addition to one;
7. an open (or just answered) ticket: the message is added to it, even one the hotline does not serve (staff
   see everything the user wrote to them);
8. a request the hotline does not serve (``config/out_of_scope_intents.yaml``): what we cannot do and where
   to look, unless nothing is offered and the message names the hotline's own business (a domain word,
   handlers.triage), when it gets the one question back instead of a refusal;
9. the FAQ's choices; a plausible request becomes a ticket; anything else gets one question back.
"""

from __future__ import annotations

from typing import Any

from faq.decision import Decision
from faq.kb import FaqEntry
from faq.out_of_scope import out_of_scope_intents
from faq.script import detect_script
from handlers import texts
from handlers.answer_feedback import THANKS_HELPFUL, THANKS_UNHELPFUL, feedback_of
from handlers.commands import choice_number, command_of, is_confirmation, is_decline
from handlers.context import HandlerContext, Knowledge, Reply
from handlers.dispatcher import Router
from handlers.inbound_media import media_of
from handlers.media import attach_after, to_ticket, unattached
from handlers.menu import entries_in_group, group_of_token, group_token, topic_groups
from handlers.specific_case import specific_case
from handlers.triage import classify, clearly_out_of_scope, is_junk

router = Router("text")


@router.message("text")
async def on_text(ctx: HandlerContext) -> Reply:
    return await answer_text(ctx, str(ctx.message.content or ""))


@router.message("voice")
async def on_voice(ctx: HandlerContext) -> Reply:
    # Recognition is only present when 语音识别 is switched on for the account; without it we cannot listen.
    # The recording itself goes onto the user's ticket when the message does (AMR; staff can listen to it).
    recognition = str(getattr(ctx.message, "recognition", "") or "").strip()
    media = media_of(ctx.message, ctx.now)
    if not recognition:
        attached = await to_ticket(ctx, media) if media is not None else None
        return attached or await unattached(ctx, media, "voice", Reply(texts.VOICE_NOT_RECOGNISED))
    return await attach_after(ctx, media, await answer_text(ctx, recognition))


async def answer_text(ctx: HandlerContext, text: str) -> Reply:
    # Per message; a message with no script evidence ("人工", "1", English) keeps the follower's script.
    script = detect_script(text)
    if script is not None:
        ctx.follower.script = script
    # Staff answers that could not be pushed go first, so a follow-up is read against the answer.
    waiting = await ctx.services.desk.answers_waiting(ctx)
    reply = await _respond(ctx, text)
    if waiting:
        reply.extra = [*waiting, *reply.extra]
    return reply


async def _respond(ctx: HandlerContext, text: str) -> Reply:
    services = ctx.services
    state = services.conversation
    pending = await state.pending_handover(ctx.openid, ctx.prefetched)
    if pending is not None:
        ctx.delete_after.append(state.confirm_key(ctx.openid))  # asked once: any reply settles it
        if is_confirmation(text):
            return await services.desk.hand_over(ctx, pending.text, "confirmed", pending.related)
        if is_decline(text):
            return Reply(texts.CONFIRM_DROPPED, meta={"decision": "declined"})
    command = command_of(text)
    if command == "more":
        chunk = await state.pop_more(ctx.openid)
        return Reply(chunk if chunk is not None else texts.NO_MORE)
    if command == "menu":
        return await menu_reply(ctx)
    if command == "human":
        return await services.desk.hand_over(ctx, text, "asked_for_human", ())
    if command == "status":
        return await services.desk.status(ctx)
    if services.knowledge.ask_feedback and (helpful := feedback_of(text)) is not None:
        return Reply(THANKS_HELPFUL if helpful else THANKS_UNHELPFUL, meta={"decision": "feedback", "helpful": helpful})
    number = choice_number(text)
    if number is not None:
        chosen = await state.choice(ctx.openid, number)
        if chosen is not None:
            return await _chosen(ctx, chosen)
        if await state.has_choices(ctx.openid):
            return Reply(texts.NO_CHOICE)

    rated = await services.desk.rate(ctx, text)  # a bare "3" is junk to the FAQ, but a rating here
    if rated is not None:
        return rated
    if not is_junk(text):
        intercepted = await services.desk.intercept(ctx, text)
        if intercepted is not None:
            return intercepted
    matcher = services.knowledge.matcher
    decision = await services.knowledge.decide(text)
    general = decision.faq_id or (decision.suggestions[0] if decision.suggestions else None)
    specific = specific_case(text)
    if specific is not None:
        if specific == "earlier_request" and await services.desk.has_tickets(ctx):
            reply = await services.desk.status(ctx)
        else:
            related = decision.suggestions or ((general,) if general else ())
            reply = await services.desk.hand_over(ctx, text, "specific_case", related)
        return await _also_see(ctx, reply, general)
    if decision.decision == "answer" and decision.faq_id is not None:
        ctx.delete_after.append(state.choices_key(ctx.openid))
        entry = matcher.entry(decision.faq_id)
        reply = answer_reply(services.knowledge, entry, decision.score)
        await services.desk.note_context(ctx, text, reply.text)
        return reply
    if decision.smalltalk == "greeting":
        return Reply(texts.GREETING, meta={"decision": "greeting"})
    if decision.smalltalk == "thanks":
        return Reply(texts.THANKS, meta={"decision": "thanks"})
    if decision.smalltalk == "bye":
        return Reply(texts.BYE, meta={"decision": "bye"})
    kind = classify(text, decision.suggestions)
    if kind in ("junk", "off_topic") and decision.out_of_scope is not None:
        return await out_of_scope_reply(ctx, decision)  # a better help reply: what we cannot do, where to look
    if kind == "junk":
        return Reply(texts.HELP, meta={"decision": "help"})
    if kind == "off_topic":
        return Reply(texts.OFF_TOPIC, meta={"decision": "off_topic"})
    follow_up = await services.desk.follow_up(ctx, text)
    if follow_up is not None:
        return follow_up
    if decision.out_of_scope is not None:
        if not clearly_out_of_scope(text, decision):
            return await _confirm_handover(ctx, text, decision.suggestions)
        return await out_of_scope_reply(ctx, decision)
    if decision.decision == "suggest" and decision.suggestions:
        return await suggest_reply(ctx, [matcher.entry(faq_id) for faq_id in decision.suggestions[:3]])
    if kind == "request":
        return await services.desk.hand_over(ctx, text, "unanswered", decision.suggestions)
    return await _confirm_handover(ctx, text, decision.suggestions)


def _offer(ctx: HandlerContext, choices: list[str]) -> None:
    """The numbered choices the reply shows, kept for the user's answer: written with the message's closing."""
    key, value = ctx.services.conversation.choices_entry(ctx.openid, choices)
    ctx.set_after[key] = value


async def _confirm_handover(ctx: HandlerContext, text: str, related: tuple[str, ...]) -> Reply:
    """The one question back ("需要转给工作人员吗？回复 1 确认"); the answer to it opens the ticket."""
    state = ctx.services.conversation
    ctx.set_after.pop(state.choices_key(ctx.openid), None)  # the list shown before is no longer current
    # A new unclear message replaces the one asked about before (so the key must not be dropped at close).
    await state.ask_handover(ctx.openid, text, related)
    ctx.delete_after[:] = [key for key in ctx.delete_after if key != state.confirm_key(ctx.openid)]
    return Reply(texts.CONFIRM_HANDOVER, meta={"decision": "confirm_handover"})


async def _also_see(ctx: HandlerContext, reply: Reply, faq_id: str | None) -> Reply:
    """Offer the general entry the message shares words with, as choice 1."""
    if faq_id is None:
        return reply
    try:
        entry = ctx.services.knowledge.matcher.entry(faq_id)
    except KeyError:
        return reply
    _offer(ctx, [entry.id])
    reply.text = f"{reply.text}\n\n{texts.ALSO_SEE}\n1. {entry.question}\n（回复 1 查看）"
    reply.meta = {**reply.meta, "also_see": entry.id}
    return reply


def answer_reply(knowledge: Knowledge, entry: FaqEntry, score: float | None = None) -> Reply:
    """An FAQ answer as the user reads it, on every path (normal, choice picked, Redis or database out): the
    answer with its 依据 line, the hand-written Traditional text and the feedback line (``Knowledge.present``)."""
    presented = knowledge.present(entry)
    meta = {"decision": "answer", "faq_id": entry.id, "score": score}
    return Reply(presented.text, meta=meta, hant=presented.hant)


async def suggest_reply(ctx: HandlerContext, entries: list[FaqEntry]) -> Reply:
    _offer(ctx, [entry.id for entry in entries])
    lines = [texts.SUGGEST_HEADER]
    lines += [f"{number}. {entry.question}" for number, entry in enumerate(entries, start=1)]
    lines.append(texts.SUGGEST_FOOTER)
    return Reply("\n".join(lines), meta={"decision": "suggest", "suggestions": [entry.id for entry in entries]})


async def out_of_scope_reply(ctx: HandlerContext, decision: Decision) -> Reply:
    """A request the hotline does not serve (a live rate, a doctor's advice, a nearby shop): what we cannot do and
    where to look (the intent's reply), the entries the matcher offered as numbered choices, and the way to a
    person. No ticket: staff could not answer it either, and the user may still write “人工”."""
    lines = [out_of_scope_intents().reply(decision.out_of_scope or "")]
    entries = [ctx.services.knowledge.matcher.entry(i) for i in decision.suggestions[:3]]
    offered = decision.decision == "suggest" and bool(entries)
    if offered:
        _offer(ctx, [entry.id for entry in entries])
        lines += ["", texts.ALSO_SEE, *(f"{n}. {entry.question}" for n, entry in enumerate(entries, start=1))]
        lines.append(texts.OUT_OF_SCOPE_CHOICES_FOOTER)
    lines.append(texts.OUT_OF_SCOPE_FOOTER)
    meta: dict[str, Any] = {"decision": "out_of_scope", "intent": decision.out_of_scope}
    if offered:
        meta["suggestions"] = [entry.id for entry in entries]
    return Reply("\n".join(lines), meta=meta)


async def menu_reply(ctx: HandlerContext) -> Reply:
    _offer(ctx, [group_token(i) for i in range(len(topic_groups()))])
    return Reply(f"{texts.MENU_HEADER}\n{texts.TOPIC_MENU}\n{texts.MENU_FOOTER}")


async def topic_list_reply(ctx: HandlerContext, group: int) -> Reply:
    entries = entries_in_group(ctx.services.knowledge.entries, group)
    if not entries:
        return Reply(texts.EMPTY_GROUP)
    _offer(ctx, [entry.id for entry in entries])
    lines = [f"【{topic_groups()[group].title}】常见问题："]
    lines += [f"{number}. {entry.question}" for number, entry in enumerate(entries, start=1)]
    lines.append(texts.TOPIC_LIST_FOOTER)
    return Reply("\n".join(lines))


async def _chosen(ctx: HandlerContext, token: str) -> Reply:
    group = group_of_token(token)
    if group is not None:
        return await topic_list_reply(ctx, group)
    matcher = ctx.services.knowledge.matcher
    try:
        entry = matcher.entry(token)
    except KeyError:  # the KB changed since the list was shown
        return Reply(texts.NO_CHOICE)
    await ctx.services.conversation.clear_choices(ctx.openid)
    return answer_reply(ctx.services.knowledge, entry)
