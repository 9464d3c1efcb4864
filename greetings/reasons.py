"""Why a greeting did not go out, in words a supervisor can act on (WeChat's codes alone are not enough)."""

from __future__ import annotations

import re

from wechat.api_errors import TOKEN_ERRCODES, WeChatApiError, WeChatTransportError

_API_ERRORS: dict[int, str] = {
    45028: ("群发配额已用完（45028）：订阅号每天只能群发一次，今天可能已在公众平台手工群发过；服务号请检查本月额度"),
    45009: "接口当日调用次数已达上限（45009），稍后重试",
    45011: "接口调用过快（45011），稍后重试",
    45066: "相同 clientmsgid 重试过快（45066），稍后重试",
    45159: "标签不存在（45159）：请检查受众标签是否已被删除",
    40003: "关注者或标签无效（40003）",
    40007: "素材 media_id 无效（40007）：请重新上传图文或图片",
    40008: "消息类型无效（40008）",
    44004: "消息内容为空（44004）",
    47001: "消息格式错误（47001）",
    48001: "公众号没有群发接口权限（48001）：需要已认证的公众号",
    -1: "微信系统繁忙（-1），稍后重试",
}

# MASSSENDJOBFINISH ``Status`` values other than "send success" (official "事件推送群发结果").
_JOB_ERRORS: dict[str, str] = {
    "send fail": "群发失败：若开启了“API群发保护”，可能是管理员拒绝或30分钟内未确认",
    "err(10001)": "审核未通过：涉嫌广告",
    "err(20001)": "审核未通过：涉嫌政治",
    "err(20002)": "审核未通过：涉嫌色情",
    "err(20004)": "审核未通过：涉嫌社会",
    "err(20006)": "审核未通过：涉嫌违法犯罪",
    "err(20008)": "审核未通过：涉嫌欺诈",
    "err(20013)": "审核未通过：涉嫌版权",
    "err(21000)": "审核未通过：涉嫌其他",
    "err(22000)": "审核未通过：涉嫌互推（互相宣传）",
    "err(30001)": "原创校验出现系统错误且用户选择了被判为转载就不群发",
    "err(30002)": "原创校验被判定为不能群发",
    "err(30003)": "原创校验被判定为转载文且用户选择了被判为转载就不群发",
}

_TAIL = re.compile(r"\s*rid:.*$")


def explain_error(exc: BaseException) -> str:
    """A supervisor-facing reason for a failed WeChat call."""
    if isinstance(exc, WeChatTransportError):
        return (
            f"连接微信超时或出错（{_TAIL.sub('', exc.errmsg)}）；微信端可能已收到，"
            "重试时用同一 clientmsgid，不会重复群发"
        )
    if isinstance(exc, WeChatApiError):
        if exc.errcode in TOKEN_ERRCODES:
            return f"access_token 无效或过期（{exc.errcode}），已刷新后仍失败；请检查 AppSecret 和 IP 白名单"
        known = _API_ERRORS.get(exc.errcode)
        return known or f"微信返回错误 {exc.errcode}：{_TAIL.sub('', exc.errmsg)}"
    return f"{type(exc).__name__}: {exc}"


def job_succeeded(status: str) -> bool:
    return status.strip().lower() == "send success"


def explain_job_status(status: str) -> str:
    """A supervisor-facing reason for a MASSSENDJOBFINISH status that is not success."""
    normalized = status.strip().lower()
    return _JOB_ERRORS.get(normalized, f"群发结果：{status}")
