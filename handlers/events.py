"""Follow, unfollow, menu clicks and platform notifications."""

from __future__ import annotations

from handlers import texts
from handlers.context import HandlerContext, Reply
from handlers.dispatcher import Router
from handlers.menu import group_of_click
from handlers.text import menu_reply, topic_list_reply

router = Router("events")


@router.event("subscribe", "subscribe_scan")
async def on_subscribe(ctx: HandlerContext) -> Reply:
    follower = ctx.follower
    follower.subscribed = True
    follower.subscribed_at = ctx.now
    if ctx.message.event == "subscribe_scan":
        # Followed by scanning a parametric QR code: EventKey "qrscene_<scene>"; keep the scene for statistics.
        follower.subscribe_scene = str(getattr(ctx.message, "scene_id", "") or "")[:64] or None
    return Reply(texts.WELCOME, meta={"decision": "welcome"})


@router.event("unsubscribe")
async def on_unsubscribe(ctx: HandlerContext) -> Reply:
    # WeChat shows nothing to a user who just unfollowed; record it and answer with an empty reply.
    ctx.follower.subscribed = False
    ctx.follower.unsubscribed_at = ctx.now
    return Reply("", meta={"decision": "unsubscribed"})


@router.event("scan")
async def on_scan(ctx: HandlerContext) -> Reply:
    return Reply(texts.GREETING, meta={"decision": "greeting"})


@router.event("click")
async def on_click(ctx: HandlerContext) -> Reply:
    key = str(getattr(ctx.message, "key", "") or "")
    group = group_of_click(key)
    if group is not None:
        return await topic_list_reply(ctx, group)
    upper = key.upper()
    if upper == "HUMAN":
        return await ctx.services.desk.hand_over(ctx, "（点击菜单：转人工）", "asked_for_human", ())
    if upper == "STATUS":
        return await ctx.services.desk.status(ctx)
    return await menu_reply(ctx)


@router.event("view", "location", "templatesendjobfinish", "masssendjobfinish")
async def on_notification(ctx: HandlerContext) -> Reply:
    for listener in ctx.services.event_listeners.get(str(ctx.message.event), []):
        await listener(ctx)
    return Reply("", meta={"decision": "ignored"})
