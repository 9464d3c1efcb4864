"""The one outbound client for the WeChat Official Account API.

The access token is the delicate part: WeChat hands out one token per account, and a ``force_refresh`` (or
the legacy ``cgi-bin/token``) invalidates the one every other process is using. So all processes share a
single token through Redis, only one of them (holding a Redis lock) ever asks WeChat for a token, and a
process that sees 40001/42001 deletes the token it used only if it is still the current one
(compare-and-delete) before asking for the current token — so a burst of rejections causes one fetch,
not a stampede. ``stable_token`` in normal mode is used because it returns the same token to every caller
while it is valid (official "获取稳定版接口调用凭据"); the client forces a refresh only when WeChat keeps
returning a token it has just rejected, and then only from the lock holder.

The client retries token errors once and nothing else: durable retries belong to the job queue, which
reads :attr:`WeChatApiError.transient` (a later try may succeed) and :attr:`WeChatApiError.outcome_unknown`
(the call may already have taken effect). Customer-service and template sends carry no idempotency key on
WeChat's side, so a call whose outcome is unknown must never be repeated blindly: a timeout after the
request went out is not "transient", it is "maybe delivered". Only what provably did not reach the API is
safe to send again: no connection, no request bytes written (seen through httpcore's ``trace`` hook),
a front-end refusal (HTTP 429/5xx other than 504) or WeChat's own refusals such as -1 "系统繁忙，此时请开发者稍候再试"
(official 全局返回码说明, developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any

import httpx
from redis.asyncio import Redis

logger = logging.getLogger(__name__)

JsonDict = dict[str, Any]

#: errcodes that mean "the access token you sent is not (or no longer) valid".
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
#: errcodes worth retrying later: -1 system busy, 45009 daily API quota, 45011 minute quota,
#: 45066 same clientmsgid retried within a minute, and token errors that survived one refresh.
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45011, 45066}) | TOKEN_ERRCODES
CUSTOM_SEND_WINDOW_CLOSED = 45015
CUSTOM_SEND_CAP_REACHED = 45047
CLIENTMSGID_EXISTS = 45065
BATCHTAGGING_MAX = 50  # official "批量为用户打标签": at most 50 openids per call

# Deletes the key only if it still holds the token the caller used (atomic in Redis).
_COMPARE_AND_DELETE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


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


class _SendProgress:
    """An httpcore ``trace`` hook: did any byte of the request leave for the server?

    httpcore reports ``http11.send_request_headers.started`` (``http2.…`` likewise) just before it writes
    the request; events before that (pool, TCP connect, TLS) cannot have delivered anything. A transport
    that reports no events at all (an in-process ASGI transport) proves nothing, so it counts as sent.
    """

    __slots__ = ("events", "request_started")

    def __init__(self) -> None:
        self.events = 0
        self.request_started = False

    async def __call__(self, event_name: str, info: Mapping[str, Any]) -> None:
        self.events += 1
        if event_name.endswith("send_request_headers.started"):
            self.request_started = True

    @property
    def maybe_sent(self) -> bool:
        return self.request_started or self.events == 0


#: HTTP answers from WeChat's front end that mean the API never took the call. WeChat reports the API's own
#: failures as JSON (errcode -1 "system busy") on HTTP 200, so a 5xx page is the front end refusing it;
#: 504 is the exception: a gateway that forwarded the call and gave up waiting, so the API may have acted.
_REFUSED_BEFORE_THE_API = frozenset({429, 500, 502, 503})


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class WeChatApiClient:
    """Async client for ``https://api.weixin.qq.com/cgi-bin/…`` sharing one access token through Redis."""

    def __init__(
        self,
        base_url: str,
        appid: str,
        secret: str,
        redis: Redis,
        http: httpx.AsyncClient | None = None,
        *,
        key_prefix: str = "qiaobot:",
        token_margin: timedelta = timedelta(minutes=5),
        lock_ttl: timedelta = timedelta(seconds=15),
        wait_timeout: timedelta = timedelta(seconds=20),
        poll_interval: float = 0.05,
        request_timeout: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._appid = appid
        self._secret = secret
        self._redis = redis
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=request_timeout)
        self._timeout = request_timeout
        self._token_key = f"{key_prefix}wechat:access_token:{appid}"
        self._lock_key = f"{key_prefix}wechat:access_token:lock:{appid}"
        self._margin = int(token_margin.total_seconds())
        self._lock_ttl_ms = int(lock_ttl.total_seconds() * 1000)
        self._wait_timeout = wait_timeout.total_seconds()
        self._poll = poll_interval
        #: how many times this instance asked WeChat for a token (for metrics and tests)
        self.token_fetches = 0

    @property
    def token_key(self) -> str:
        """Redis key holding the shared access token (for operators and tests)."""
        return self._token_key

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> WeChatApiClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- access token -----------------------------------------------------------------------------

    async def access_token(self, *, rejected: str | None = None) -> str:
        """The shared token; fetched by one process under a Redis lock while the others wait for it.

        ``rejected`` is a token WeChat has just refused: if ``stable_token`` hands it back again, the lock
        holder forces a refresh (once) instead of looping on a dead token."""
        cached = _text(await self._redis.get(self._token_key))
        if cached and cached != rejected:
            return cached
        deadline = time.monotonic() + self._wait_timeout
        owner = secrets.token_hex(16)
        while True:
            if await self._redis.set(self._lock_key, owner, nx=True, px=self._lock_ttl_ms):
                try:
                    cached = _text(await self._redis.get(self._token_key))
                    if cached and cached != rejected:
                        return cached
                    return await self._refresh(rejected)
                finally:
                    await self._redis.eval(_COMPARE_AND_DELETE, 1, self._lock_key, owner)
            await asyncio.sleep(self._poll)
            cached = _text(await self._redis.get(self._token_key))
            if cached and cached != rejected:
                return cached
            if time.monotonic() > deadline:
                raise WeChatTransportError("timed out waiting for another process to refresh the token")

    async def _refresh(self, rejected: str | None) -> str:
        token, expires_in = await self._fetch_stable_token(force_refresh=False)
        if token == rejected:
            logger.warning("stable_token returned the token WeChat just rejected; forcing a refresh")
            token, expires_in = await self._fetch_stable_token(force_refresh=True)
        ttl = expires_in - self._margin if expires_in > 2 * self._margin else max(expires_in // 2, 1)
        await self._redis.set(self._token_key, token, ex=ttl)
        logger.info("refreshed WeChat access token for %s (cached %ss)", self._appid, ttl)
        return token

    async def _fetch_stable_token(self, *, force_refresh: bool) -> tuple[str, int]:
        self.token_fetches += 1
        body = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        data = await self._request("POST", "stable_token", json_body=body)
        self._raise_for_errcode("stable_token", data)
        try:
            return str(data["access_token"]), int(data["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise WeChatTransportError(f"malformed token answer: {data!r}", path="stable_token") from None

    async def invalidate_access_token(self, token: str) -> bool:
        """Forget ``token`` only if it is still the shared one; True if it was deleted."""
        deleted = await self._redis.eval(_COMPARE_AND_DELETE, 1, self._token_key, token)
        return bool(deleted)

    # --- transport --------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> JsonDict:
        url = f"{self._base_url}/cgi-bin/{path}"
        content = None
        headers = {}
        if json_body is not None:
            # WeChat needs UTF-8 Chinese as is: \u escapes reach users literally on some APIs.
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        progress = _SendProgress()
        try:
            # An overall deadline: httpx's own timeouts are per phase (connect, read, …), not per call.
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=self._timeout,
                    extensions={"trace": progress},
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Raised only while getting a connection: nothing of this request was written.
            raise WeChatTransportError(f"cannot connect: {exc!r}", path=path, reached=False) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise WeChatTransportError(f"timeout: {exc!r}", path=path, reached=progress.maybe_sent) from exc
        except httpx.HTTPError as exc:
            raise WeChatTransportError(
                f"transport error: {exc!r}", path=path, reached=progress.maybe_sent
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise WeChatTransportError(
                f"HTTP {response.status_code}",
                path=path,
                http_status=response.status_code,
                reached=response.status_code not in _REFUSED_BEFORE_THE_API,
            )
        try:
            data = response.json()
        except ValueError:
            raise WeChatTransportError(
                f"HTTP {response.status_code} with a non-JSON body",
                path=path,
                http_status=response.status_code,
            ) from None
        if not isinstance(data, dict):
            raise WeChatTransportError(f"unexpected JSON {data!r}", path=path)
        return data

    @staticmethod
    def _errcode(data: JsonDict) -> int:
        try:
            return int(data.get("errcode", 0))
        except (TypeError, ValueError):
            return -1

    def _raise_for_errcode(self, path: str, data: JsonDict, accept: Iterable[int] = ()) -> None:
        errcode = self._errcode(data)
        if errcode != 0 and errcode not in accept:
            raise WeChatApiError(errcode, str(data.get("errmsg", "")), path=path)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        accept: Iterable[int] = (),
    ) -> JsonDict:
        """Call ``cgi-bin/<path>`` with the shared token; a token error is answered by one refresh and one
        retry. ``accept`` lists errcodes returned to the caller instead of raised."""
        rejected: str | None = None
        for attempt in range(2):
            try:
                token = await self.access_token(rejected=rejected)
            except WeChatTransportError as exc:
                # The call itself has not been made yet, whatever happened to the token request.
                raise WeChatTransportError(f"no access token: {exc.errmsg}", path=path, reached=False) from exc
            data = await self._request(
                method, path, params={**(params or {}), "access_token": token}, json_body=json_body
            )
            if self._errcode(data) in TOKEN_ERRCODES and attempt == 0:
                logger.info("WeChat rejected the access token on %s (errcode %s)", path, data.get("errcode"))
                await self.invalidate_access_token(token)
                rejected = token
                continue
            self._raise_for_errcode(path, data, accept)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    # --- messages ---------------------------------------------------------------------------------

    async def send_custom(self, payload: Mapping[str, Any]) -> None:
        """A customer-service message (客服消息); only within 48 h of the user's last interaction and at
        most 5 per interaction (45015 / 45047, permanent)."""
        await self.call("POST", "message/custom/send", json_body=dict(payload))

    async def send_custom_text(self, openid: str, text: str) -> None:
        await self.send_custom({"touser": openid, "msgtype": "text", "text": {"content": text}})

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, str | Mapping[str, str]],
        url: str | None = None,
    ) -> int:
        """A template message; plain string values are wrapped as ``{"value": …}``. Returns WeChat's msgid
        (reported back in TEMPLATESENDJOBFINISH)."""
        fields = {key: {"value": value} if isinstance(value, str) else dict(value) for key, value in data.items()}
        body: JsonDict = {"touser": openid, "template_id": template_id, "data": fields}
        if url:
            body["url"] = url
        answer = await self.call("POST", "message/template/send", json_body=body)
        return int(answer["msgid"])

    async def mass_send_all(self, payload: Mapping[str, Any], clientmsgid: str) -> int:
        """Mass send by ``filter`` (all followers or a tag). Returns the job's msg_id; a repeat of
        ``clientmsgid`` within 24 h (45065) returns the existing job's msg_id, so retries are idempotent."""
        body = {**payload, "clientmsgid": clientmsgid}
        answer = await self.call("POST", "message/mass/sendall", json_body=body, accept=(CLIENTMSGID_EXISTS,))
        if self._errcode(answer) == CLIENTMSGID_EXISTS:
            logger.info("mass send %s already submitted as msg_id %s", clientmsgid, answer.get("msg_id"))
        return int(answer["msg_id"])

    async def mass_preview(self, openid: str, payload: Mapping[str, Any]) -> int:
        """Send a mass message to one follower to check how it looks; does not use the mass quota."""
        answer = await self.call("POST", "message/mass/preview", json_body={**payload, "touser": openid})
        return int(answer["msg_id"])

    async def mass_get(self, msg_id: int) -> str:
        """Status of a mass job: SEND_SUCCESS, SENDING, SEND_FAIL or DELETE."""
        answer = await self.call("POST", "message/mass/get", json_body={"msg_id": msg_id})
        return str(answer["msg_status"])

    # --- users and tags ---------------------------------------------------------------------------

    async def _iter_pages(self, method: str, path: str, extra: JsonDict) -> AsyncIterator[str]:
        next_openid = ""
        while True:
            if method == "GET":
                params = {"next_openid": next_openid} if next_openid else {}
                answer = await self.call("GET", path, params=params)
            else:
                answer = await self.call("POST", path, json_body={**extra, "next_openid": next_openid})
            data = answer.get("data")
            openids = data.get("openid", []) if isinstance(data, dict) else []
            for openid in openids:
                yield str(openid)
            next_openid = str(answer.get("next_openid") or "")
            # WeChat names the last openid even on the final page and then answers an empty page.
            if not openids or not next_openid:
                return

    def iter_followers(self) -> AsyncIterator[str]:
        return self._iter_pages("GET", "user/get", {})

    async def get_followers(self) -> list[str]:
        return [openid async for openid in self.iter_followers()]

    async def get_tags(self) -> list[JsonDict]:
        answer = await self.call("GET", "tags/get")
        return list(answer.get("tags", []))

    async def create_tag(self, name: str) -> int:
        answer = await self.call("POST", "tags/create", json_body={"tag": {"name": name}})
        return int(answer["tag"]["id"])

    async def tag_users(self, tag_id: int, openids: Iterable[str]) -> None:
        """Tag followers, 50 per call as WeChat requires."""
        pending = list(openids)
        for start in range(0, len(pending), BATCHTAGGING_MAX):
            chunk = pending[start : start + BATCHTAGGING_MAX]
            await self.call("POST", "tags/members/batchtagging", json_body={"openid_list": chunk, "tagid": tag_id})

    def iter_tag_users(self, tag_id: int) -> AsyncIterator[str]:
        return self._iter_pages("POST", "user/tag/get", {"tagid": tag_id})

    async def get_tag_users(self, tag_id: int) -> list[str]:
        return [openid async for openid in self.iter_tag_users(tag_id)]

    async def get_user_tag_ids(self, openid: str) -> list[int]:
        answer = await self.call("POST", "tags/getidlist", json_body={"openid": openid})
        return [int(tag_id) for tag_id in answer.get("tagid_list", [])]
