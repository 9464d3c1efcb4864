"""Text (and recognised voice): fixed commands, numbered choices, then the FAQ, then the help desk."""

from __future__ import annotations

from faq.kb import FaqEntry
from faq.script import is_traditional
from handlers import texts
from handlers.commands import command_of
from handlers.context import HandlerContext, Reply
from handlers.dispatcher import Router
from handlers.menu import TOPIC_GROUPS, entries_in_group, group_of_token, group_token

router = Router("text")


@router.message("text")
async def on_text(ctx: HandlerContext) -> Reply:
    return await answer_text(ctx, str(ctx.message.content or ""))


@router.message("voice")
async def on_voice(ctx: HandlerContext) -> Reply:
    # Recognition is only present when 语音识别 is switched on for the account; without it we cannot listen.
    recognition = str(getattr(ctx.message, "recognition", "") or "").strip()
    if not recognition:
        return Reply(texts.VOICE_NOT_RECOGNISED)
    return await answer_text(ctx, recognition)


def _has_han(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


async def answer_text(ctx: HandlerContext, text: str) -> Reply:
    if _has_han(text):
        ctx.follower.script = "hant" if is_traditional(text) else "hans"
    # Staff answers that could not be pushed go first, so a follow-up is read against the answer.
    waiting = await ctx.services.desk.answers_waiting(ctx)
    reply = await _respond(ctx, text)
    if waiting:
        reply.extra = [*waiting, *reply.extra]
    return reply


async def _respond(ctx: HandlerContext, text: str) -> Reply:
    services = ctx.services
    state = services.conversation
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
    if command is not None and command.startswith("choice:"):
        chosen = await state.choice(ctx.openid, int(command.split(":", 1)[1]))
        if chosen is not None:
            return await _chosen(ctx, chosen)
        if await state.has_choices(ctx.openid):
            return Reply(texts.NO_CHOICE)

    intercepted = await services.desk.intercept(ctx, text)
    if intercepted is not None:
        return intercepted
    matcher = services.knowledge.matcher
    decision = matcher.decide(text)
    if decision.decision == "answer" and decision.faq_id is not None:
        ctx.delete_after.append(state.choices_key(ctx.openid))
        return answer_reply(matcher.entry(decision.faq_id), decision.score)
    if decision.smalltalk == "greeting":
        return Reply(texts.GREETING, meta={"decision": "greeting"})
    if decision.smalltalk == "thanks":
        return Reply(texts.THANKS, meta={"decision": "thanks"})
    if decision.smalltalk == "bye":
        return Reply(texts.BYE, meta={"decision": "bye"})
    follow_up = await services.desk.follow_up(ctx, text)
    if follow_up is not None:
        return follow_up
    if decision.decision == "suggest" and decision.suggestions:
        return await suggest_reply(ctx, [matcher.entry(faq_id) for faq_id in decision.suggestions[:3]])
    return await services.desk.hand_over(ctx, text, "unanswered", decision.suggestions)


def answer_reply(entry: FaqEntry, score: float | None = None) -> Reply:
    return Reply(
        f"【{entry.question}】\n{entry.answer.strip()}",
        meta={"decision": "answer", "faq_id": entry.id, "score": score},
    )


async def suggest_reply(ctx: HandlerContext, entries: list[FaqEntry]) -> Reply:
    await ctx.services.conversation.set_choices(ctx.openid, [entry.id for entry in entries])
    lines = [texts.SUGGEST_HEADER]
    lines += [f"{number}. {entry.question}" for number, entry in enumerate(entries, start=1)]
    lines.append(texts.SUGGEST_FOOTER)
    return Reply("\n".join(lines), meta={"decision": "suggest", "suggestions": [entry.id for entry in entries]})


async def menu_reply(ctx: HandlerContext) -> Reply:
    await ctx.services.conversation.set_choices(ctx.openid, [group_token(i) for i in range(len(TOPIC_GROUPS))])
    return Reply(f"可咨询的事项：\n{texts.TOPIC_MENU}\n回复序号查看常见问题，或直接输入您的问题。")


async def topic_list_reply(ctx: HandlerContext, group: int) -> Reply:
    entries = entries_in_group(ctx.services.knowledge.entries, group)
    if not entries:
        return Reply("这一类暂时没有常见问题，请直接输入您的问题。")
    await ctx.services.conversation.set_choices(ctx.openid, [entry.id for entry in entries])
    lines = [f"【{TOPIC_GROUPS[group][0]}】常见问题："]
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
    return answer_reply(entry)
