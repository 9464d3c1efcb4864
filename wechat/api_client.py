"""The one outbound client for the WeChat Official Account API: customer-service, template and mass
messages, followers and tags, each call made with the account's shared access token.

The pieces it is made of sit beside it: ``wechat.access_token`` (one token for every process, through Redis),
``wechat.transport`` (one HTTP exchange, and whether a failure may have reached WeChat) and
``wechat.api_errors`` (what a failure means for trying again). The client retries a token error once, with a
fresh token, and nothing else: durable retries belong to the job queue.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any

import httpx
from redis.asyncio import Redis

from wechat.access_token import SharedToken
from wechat.api_errors import CLIENTMSGID_EXISTS, TOKEN_ERRCODES, WeChatTransportError
from wechat.transport import JsonDict, errcode_of, exchange, raise_for_errcode

logger = logging.getLogger(__name__)

BATCHTAGGING_MAX = 50  # official "批量为用户打标签": at most 50 openids per call


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
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=request_timeout)
        self._timeout = request_timeout
        self._token = SharedToken(
            redis,
            appid,
            self._fetch_stable_token,
            key_prefix=key_prefix,
            token_margin=token_margin,
            lock_ttl=lock_ttl,
            wait_timeout=wait_timeout,
            poll_interval=poll_interval,
        )
        #: how many times this instance asked WeChat for a token (for metrics and tests)
        self.token_fetches = 0

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    @property
    def token_key(self) -> str:
        """Redis key holding the shared access token (for operators and tests)."""
        return self._token.key

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
        """The shared token (``wechat.access_token``); ``rejected`` is one WeChat has just refused."""
        return await self._token.get(rejected=rejected)

    async def invalidate_access_token(self, token: str) -> bool:
        """Forget ``token`` only if it is still the shared one; True if it was deleted."""
        return await self._token.invalidate(token)

    async def _fetch_stable_token(self, force_refresh: bool) -> tuple[str, int]:
        self.token_fetches += 1
        body = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force_refresh,
        }
        data = await self._request("POST", "stable_token", json_body=body)
        raise_for_errcode("stable_token", data)
        try:
            return str(data["access_token"]), int(data["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise WeChatTransportError(f"malformed token answer: {data!r}", path="stable_token") from None

    # --- calls ------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> JsonDict:
        url = f"{self._base_url}/cgi-bin/{path}"
        return await exchange(self._http, method, url, path, timeout=self._timeout, params=params, json_body=json_body)

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
            if errcode_of(data) in TOKEN_ERRCODES and attempt == 0:
                logger.info("WeChat rejected the access token on %s (errcode %s)", path, data.get("errcode"))
                await self.invalidate_access_token(token)
                rejected = token
                continue
            raise_for_errcode(path, data, accept)
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
        if errcode_of(answer) == CLIENTMSGID_EXISTS:
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
