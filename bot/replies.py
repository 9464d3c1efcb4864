"""Passive reply XML (回复文本消息). Written here rather than with wechatpy's ``TextReply`` because its
``CreateTime`` default is fixed at import time and its CDATA does not escape ``]]>`` in user-derived text."""

from __future__ import annotations

import time


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(to_user: str, from_user: str, content: str, now: float | None = None) -> str:
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(now if now is not None else time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )
