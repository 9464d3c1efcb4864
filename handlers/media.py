"""Messages the bot cannot read (pictures, video, places, links, files): say so and say what it can do."""

from __future__ import annotations

from handlers import texts
from handlers.context import HandlerContext, Reply
from handlers.dispatcher import Router

router = Router("media")


@router.message("image", "video", "shortvideo", "location", "link", "file")
async def on_media(ctx: HandlerContext) -> Reply:
    return Reply(texts.MEDIA_NOT_SUPPORTED[str(ctx.message.type)], meta={"decision": "media"})


@router.message("unknown")
async def on_unknown(ctx: HandlerContext) -> Reply:
    # wechatpy maps types it does not know (e.g. "file", "miniprogrampage") to UnknownMessage.
    raw_type = str(ctx.message._data.get("MsgType", "")).lower()
    if raw_type in texts.MEDIA_NOT_SUPPORTED:
        return Reply(texts.MEDIA_NOT_SUPPORTED[raw_type], meta={"decision": "media"})
    if raw_type == "event":
        return Reply("", meta={"decision": "ignored"})
    return Reply(texts.UNKNOWN_MESSAGE)
