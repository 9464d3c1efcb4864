"""One HTTP exchange with WeChat's API, and whether a failed one may have reached it.

Only what provably did not reach the API is safe to send again: no connection, no request bytes written
(seen through httpcore's ``trace`` hook), or a front-end refusal (HTTP 429/5xx other than 504). Everything
else that fails is a ``WeChatTransportError`` with ``reached=True``: maybe delivered.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from wechat.api_errors import WeChatApiError, WeChatTransportError

JsonDict = dict[str, Any]

#: HTTP answers from WeChat's front end that mean the API never took the call. WeChat reports the API's own
#: failures as JSON (errcode -1 "system busy") on HTTP 200, so a 5xx page is the front end refusing it;
#: 504 is the exception: a gateway that forwarded the call and gave up waiting, so the API may have acted.
_REFUSED_BEFORE_THE_API = frozenset({429, 500, 502, 503})


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


async def exchange(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    path: str,
    *,
    timeout: float,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> JsonDict:
    """WeChat's JSON answer (``errcode`` not looked at); ``path`` names the call in errors."""
    content = None
    headers = {}
    if json_body is not None:
        # WeChat needs UTF-8 Chinese as is: \u escapes reach users literally on some APIs.
        content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json; charset=utf-8"
    progress = _SendProgress()
    try:
        # An overall deadline: httpx's own timeouts are per phase (connect, read, …), not per call.
        async with asyncio.timeout(timeout):
            response = await http.request(
                method,
                url,
                params=params,
                content=content,
                headers=headers,
                timeout=timeout,
                extensions={"trace": progress},
            )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        # Raised only while getting a connection: nothing of this request was written.
        raise WeChatTransportError(f"cannot connect: {exc!r}", path=path, reached=False) from exc
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise WeChatTransportError(f"timeout: {exc!r}", path=path, reached=progress.maybe_sent) from exc
    except httpx.HTTPError as exc:
        raise WeChatTransportError(f"transport error: {exc!r}", path=path, reached=progress.maybe_sent) from exc
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


def errcode_of(data: JsonDict) -> int:
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return -1


def raise_for_errcode(path: str, data: JsonDict, accept: Iterable[int] = ()) -> None:
    errcode = errcode_of(data)
    if errcode != 0 and errcode not in accept:
        raise WeChatApiError(errcode, str(data.get("errmsg", "")), path=path)
