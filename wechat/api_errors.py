"""What a failed WeChat API call means for trying again.

The client retries token errors once and nothing else: durable retries belong to the job queue, which
reads :attr:`WeChatApiError.transient` (a later try may succeed) and :attr:`WeChatApiError.outcome_unknown`
(the call may already have taken effect). Customer-service and template sends carry no idempotency key on
WeChat's side, so a call whose outcome is unknown must never be repeated blindly: a timeout after the
request went out is not "transient", it is "maybe delivered". Only what provably did not reach the API is
safe to send again (``wechat.transport`` tells), or WeChat's own refusals such as -1 "系统繁忙，此时请开发者稍候再试"
(official 全局返回码说明, developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html).
"""

from __future__ import annotations

#: errcodes that mean "the access token you sent is not (or no longer) valid".
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
#: errcodes worth retrying later: -1 system busy, 45009 daily API quota, 45011 minute quota,
#: 45066 same clientmsgid retried within a minute, and token errors that survived one refresh.
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45011, 45066}) | TOKEN_ERRCODES
CUSTOM_SEND_WINDOW_CLOSED = 45015
CUSTOM_SEND_CAP_REACHED = 45047
CLIENTMSGID_EXISTS = 45065


class WeChatApiError(Exception):
    """WeChat answered with a non-zero ``errcode``: it refused the call, so nothing was done."""

    def __init__(self, errcode: int, errmsg: str, *, path: str = "") -> None:
        super().__init__(f"WeChat {path or 'API'} error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.path = path

    @property
    def transient(self) -> bool:
        """True when the same call may succeed later (the job queue retries it); False when retrying is
        pointless (45015 window closed, 45047 cap reached, 40003 bad openid, 43004 not following, 45028 no
        mass quota, 40037 bad template, …)."""
        return self.errcode in TRANSIENT_ERRCODES

    @property
    def outcome_unknown(self) -> bool:
        """True when the call may have taken effect although no success was seen; WeChat's own error answer
        means it did not."""
        return False


class WeChatTransportError(WeChatApiError):
    """No usable answer: timeout, connection error, HTTP 5xx or a body that is not WeChat JSON.

    ``reached`` is False only when the request provably never got to WeChat's API (no connection, no byte
    of the request written, a front end's 429/5xx refusal); then repeating it cannot say anything twice."""

    def __init__(
        self, errmsg: str, *, path: str = "", http_status: int | None = None, reached: bool = True
    ) -> None:
        super().__init__(-1, errmsg, path=path)
        self.http_status = http_status
        self.reached = reached

    @property
    def transient(self) -> bool:
        return True

    @property
    def outcome_unknown(self) -> bool:
        return self.reached
