"""Pictures, video, files, places and links: the bot cannot read them, but a person can.

A picture, video or file sent while the user has a ticket (or right after “人工”, as the request itself) joins
that ticket: the desk adds it as a line of the conversation (resuming a 待补充 wait, or reopening a just-answered
ticket, as any addition does) and the file is fetched from WeChat's temporary media for staff. Otherwise the
user is told what the bot can do, and how to hand a picture to a person; the file is kept a few minutes and
joins the ticket they open (``tickets.earlier_media``).
"""

from __future__ import annotations

from handlers import texts
from handlers.context import HandlerContext, Reply
from handlers.dispatcher import Router
from handlers.inbound_media import InboundMedia, media_of

router = Router("media")

# Desk decisions that put the message on a ticket (the reply's meta names the ticket).
ON_A_TICKET = frozenset({"handover", "appended", "reopened"})


async def to_ticket(ctx: HandlerContext, media: InboundMedia) -> Reply | None:
    """Hand the file to the desk as the user's next message; None when the user has no ticket to add it to."""
    desk = ctx.services.desk
    line = media.thread_line()
    reply = await desk.intercept(ctx, line) or await desk.follow_up(ctx, line)
    if reply is None:
        return None
    number = reply.meta.get("ticket")
    if isinstance(number, str) and reply.meta.get("decision") in ON_A_TICKET:
        await ctx.services.files.attach(ctx, media, number)
    return reply


async def attach_after(ctx: HandlerContext, media: InboundMedia | None, reply: Reply) -> Reply:
    """A message already handled as text (a recognised voice) that went onto a ticket brings its file along;
    one that did not is kept for a ticket the user may open next."""
    if media is None:
        return reply
    number = reply.meta.get("ticket")
    if isinstance(number, str) and reply.meta.get("decision") in ON_A_TICKET:
        await ctx.services.files.attach(ctx, media, number)
    else:
        await ctx.services.files.remember(ctx, media)
    return reply


async def unattached(ctx: HandlerContext, media: InboundMedia | None, raw_type: str, otherwise: Reply) -> Reply:
    """A file the user sent with no ticket to join: kept a few minutes for a hand-over (users send the photo of
    a document, then ask for a person), and the user is told how to hand it over."""
    minutes = await ctx.services.files.remember(ctx, media) if media is not None else 0
    if minutes and raw_type in texts.MEDIA_KEPT:
        return Reply(texts.MEDIA_KEPT[raw_type].format(minutes=minutes), meta=otherwise.meta)
    return otherwise


async def _media_reply(ctx: HandlerContext, raw_type: str) -> Reply:
    media = media_of(ctx.message, ctx.now)
    if media is not None:
        attached = await to_ticket(ctx, media)
        if attached is not None:
            return attached
    help_reply = Reply(texts.MEDIA_NOT_SUPPORTED[raw_type], meta={"decision": "media"})
    return await unattached(ctx, media, raw_type, help_reply)


@router.message("image", "video", "shortvideo", "file")
async def on_media(ctx: HandlerContext) -> Reply:
    return await _media_reply(ctx, str(ctx.message.type))


@router.message("location", "link")
async def on_place_or_link(ctx: HandlerContext) -> Reply:
    return Reply(texts.MEDIA_NOT_SUPPORTED[str(ctx.message.type)], meta={"decision": "media"})


@router.message("unknown")
async def on_unknown(ctx: HandlerContext) -> Reply:
    # wechatpy maps types it does not know (e.g. "file", "miniprogrampage") to UnknownMessage.
    raw_type = str(ctx.message._data.get("MsgType", "")).lower()
    if raw_type == "file":
        return await _media_reply(ctx, raw_type)
    if raw_type in texts.MEDIA_NOT_SUPPORTED:
        return Reply(texts.MEDIA_NOT_SUPPORTED[raw_type], meta={"decision": "media"})
    if raw_type == "event":
        return Reply("", meta={"decision": "ignored"})
    return Reply(texts.UNKNOWN_MESSAGE)
