"""An in-memory fake of ``https://api.weixin.qq.com/cgi-bin/…`` that speaks the real HTTP shapes and error
codes, so the outbound client, the job queue and the simulator can be tested without the internet.

Only the base URL differs from the real API. Like WeChat, every answer is HTTP 200 with a JSON body whose
``errcode`` says what happened (tests can inject HTTP 500s and delays separately). Error codes and
messages follow the official "全局返回码" page and the per-API pages:

- token: 40002 invalid grant_type, 40013 invalid appid, 40125 invalid appsecret. ``cgi-bin/token`` issues a
  new token on every call and the previous one keeps working for 5 minutes ("新老 access_token 都可用");
  ``stable_token`` returns the same token while more than 5 minutes remain, a new one inside the last
  5 minutes, and ``force_refresh`` invalidates the previous one at once (at most 20 a day, 30 s apart,
  otherwise the current token comes back) — official "获取稳定版接口调用凭据". The two are isolated.
- access_token: 41001 missing, 40001 invalid / superseded, 42001 expired.
- custom/send (客服消息): 45015 outside the 48 h after the user's last interaction or unfollowed,
  45047 more than 5 messages since that interaction, 40003 unknown openid.
- template/send: 40037 unknown template, 43004 not following, 47003 "argument invalid! data.<field>.value
  invalid" for a field the template does not have (``first``/``remark`` included: not shown since the 2023
  rules) or a value its type refuses (``wechat.template_fields``, where the rules are cited). A ``color`` is
  accepted and ignored, as WeChat shows every field in the default colour since then.
- mass/sendall: ``clientmsgid`` (≤ 64 bytes, else 45067) de-duplicates for 24 h; a repeat answers
  ``{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":<existing>}`` (shape as reported on the WeChat
  developer community); 45066 "retry too fast" is modelled but off by default; 45028 when the quota is
  used up (subscription account: 1 a day; service account: a daily call quota, and each follower receives
  at most 4 a month — the rest are filtered, as ``FilterCount`` shows).
- temporary media (``media/get``, ``media/upload``, 40007 past three days): ``wechat.fake_media``; a
  customer-service image/voice/video must name a live media_id (40007 otherwise).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from wechat import inbound
from wechat.fake_mass import MassSends
from wechat.fake_media import TemporaryMedia
from wechat.fake_media_routes import MEDIA_PATHS, add_media_routes, media_call, upload_summary
from wechat.fake_records import DeliveredMessage, RecordedCall, TemplateMessage, _Fault, _Follower
from wechat.fake_rules import CUSTOM_CAP, CUSTOM_MSGTYPES, CUSTOM_WINDOW, JsonDict, WeChatError
from wechat.fake_tags import UsersAndTags
from wechat.fake_tokens import AccessTokens
from wechat.template_fields import data_problems


def _normalize_path(path: str) -> str:
    path = path.strip("/")
    return path.removeprefix("cgi-bin/")


class FakeWeChatState(AccessTokens, MassSends, UsersAndTags, TemporaryMedia):
    """The fake WeChat API: test controls, customer-service and template messages; tokens, mass sends, tags
    and temporary media come from its parts."""

    def fail_next(
        self,
        path: str,
        errcode: int | None = -1,
        count: int = 1,
        *,
        http_status: int | None = None,
        delay: float = 0.0,
        errmsg: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``path`` fail: with ``errcode`` (default -1 system busy), with
        an HTTP ``http_status`` (e.g. 500), or just slowly (``errcode=None`` and a ``delay`` in seconds)."""
        fault = _Fault(errcode, http_status, delay, errmsg)
        with self._lock:
            self._faults.setdefault(_normalize_path(path), []).extend([fault] * count)

    def delay_next(self, path: str, seconds: float, count: int = 1) -> None:
        self.fail_next(path, errcode=None, count=count, delay=seconds)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.pop(0) if queue else None

    def calls_to(self, path: str) -> list[RecordedCall]:
        wanted = _normalize_path(path)
        with self._lock:
            return [call for call in self.calls if call.path == wanted]

    def add_follower(self, openid: str, *, at: datetime | None = None) -> None:
        with self._lock:
            follower = self._followers.get(openid)
            if follower is None:
                self._followers[openid] = _Follower(openid, True, at or self.now())
            elif not follower.subscribed:
                follower.subscribed, follower.since = True, at or self.now()

    def add_followers(self, openids: Iterable[str]) -> None:
        for openid in openids:
            self.add_follower(openid)

    def unfollow(self, openid: str) -> None:
        with self._lock:
            follower = self._followers.get(openid)
            if follower is not None:
                follower.subscribed = False
                follower.tags.clear()

    def interact(self, openid: str, at: datetime | None = None) -> datetime:
        """The user wrote to (or clicked in) the account: opens/renews the 48 h customer-service window
        and resets the 5-message count. A user who can write is following, so this also follows."""
        at = at or self.now()
        with self._lock:
            self.add_follower(openid, at=at)
            follower = self._followers[openid]
            follower.last_interaction = at
            follower.replies_since_interaction = 0
        return at

    def custom_messages(
        self, openid: str | None = None, *, after_seq: int = 0, after: datetime | None = None
    ) -> list[DeliveredMessage]:
        with self._lock:
            return [
                m
                for m in self._delivered
                if (openid is None or m.openid == openid) and m.seq > after_seq and (after is None or m.at > after)
            ]

    def set_mass_status(self, msg_id: int, status: str) -> None:
        with self._lock:
            self.mass_jobs[msg_id].status = status

    def mass_job_finish_xml(
        self, msg_id: int, *, error_count: int = 0, to_user: str = inbound.DEFAULT_ACCOUNT_ID
    ) -> str:
        """The MASSSENDJOBFINISH event WeChat would POST to the webhook once job ``msg_id`` is done."""
        with self._lock:
            job = self.mass_jobs[msg_id]
            filtered = job.filter_count
            return inbound.mass_send_job_finish_event(
                job.msg_id,
                total_count=job.total_count,
                filter_count=filtered,
                sent_count=filtered - error_count,
                error_count=error_count,
                to_user=to_user,
                at=self.now(),
            )

    def template_job_finish_xml(
        self, msgid: int, *, status: str = "success", to_user: str = inbound.DEFAULT_ACCOUNT_ID
    ) -> str:
        with self._lock:
            sent = next(t for t in self.templates_sent if t.msgid == msgid)
        return inbound.template_send_job_finish_event(sent.openid, msgid, status=status, to_user=to_user, at=self.now())

    def send_custom(self, body: JsonDict) -> JsonDict:
        msgtype = body.get("msgtype")
        if msgtype not in CUSTOM_MSGTYPES:
            raise WeChatError(40008)
        content = body.get(msgtype)
        if not isinstance(content, dict):
            raise WeChatError(44004 if msgtype == "text" else 47001)
        if msgtype == "text" and not str(content.get("content", "")):
            raise WeChatError(44004)
        self.check_message_media(msgtype, content)
        now = self.now()
        with self._lock:
            follower = self._follower(body.get("touser"))
            last = follower.last_interaction
            if not follower.subscribed or last is None or now - last > CUSTOM_WINDOW:
                raise WeChatError(45015)
            if follower.replies_since_interaction >= CUSTOM_CAP:
                raise WeChatError(45047)
            follower.replies_since_interaction += 1
            self._delivered.append(DeliveredMessage(next(self._seq), follower.openid, msgtype, body, now))
        return {"errcode": 0, "errmsg": "ok"}

    def send_template(self, body: JsonDict) -> JsonDict:
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or template_id not in self.templates:
            raise WeChatError(40037)
        data = body.get("data")
        if not isinstance(data, dict):
            raise WeChatError(47001)
        fields = self.templates[template_id]
        unknown = [f"data.{key}.value invalid" for key in data if fields is not None and key not in fields]
        problems = unknown + data_problems(data)
        if problems:
            raise WeChatError(47003, f"argument invalid! {problems[0]}")
        now = self.now()
        with self._lock:
            follower = self._follower(body.get("touser"))
            if not follower.subscribed:
                raise WeChatError(43004)
            msgid = next(self._msg_ids)
            url = body.get("url")
            self.templates_sent.append(
                TemplateMessage(msgid, follower.openid, str(template_id), data, url if url else None, now)
            )
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}


_GetHandler = Callable[[FakeWeChatState, dict[str, str]], JsonDict]
_PostHandler = Callable[[FakeWeChatState, JsonDict], JsonDict]

_GET_ROUTES: dict[str, _GetHandler] = {
    "user/get": FakeWeChatState.get_users,
    "tags/get": lambda state, _query: state.get_tags(),
}
_POST_ROUTES: dict[str, _PostHandler] = {
    "message/custom/send": FakeWeChatState.send_custom,
    "message/template/send": FakeWeChatState.send_template,
    "message/mass/sendall": FakeWeChatState.mass_send_all,
    "message/mass/preview": FakeWeChatState.mass_preview,
    "message/mass/get": FakeWeChatState.mass_get,
    "tags/create": FakeWeChatState.create_tag,
    "tags/members/batchtagging": FakeWeChatState.batch_tag,
    "user/tag/get": FakeWeChatState.tag_users,
    "tags/getidlist": FakeWeChatState.user_tag_ids,
}


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _loopback_only(request: Request) -> None:
    """The test controls (/_fake/*) let a caller pose as any follower and read every message: they answer
    only this machine (the simulator, `qiaobot chat`, tests), never the network."""
    if request.client is None or request.client.host not in LOOPBACK:
        raise HTTPException(403, "the fake WeChat's test controls answer loopback only")


def _json(payload: JsonDict) -> Response:
    # WeChat answers UTF-8 JSON with Chinese unescaped.
    return Response(json.dumps(payload, ensure_ascii=False), media_type="application/json; charset=utf-8")


def create_fake_wechat_app(state: FakeWeChatState | None = None) -> FastAPI:
    """The fake API as an ASGI app; ``app.state.wechat`` is the :class:`FakeWeChatState` behind it."""
    fake = state or FakeWeChatState()
    app = FastAPI(title="fake api.weixin.qq.com", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wechat = fake

    @app.api_route("/cgi-bin/{path:path}", methods=["GET", "POST"])
    async def cgi_bin(path: str, request: Request) -> Response:
        path = _normalize_path(path)
        query = dict(request.query_params)
        raw = await request.body()
        body: Any = None
        if path == "media/upload":
            form = await request.form()
            body = upload_summary(form.get("media"))
        elif raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                body = raw.decode("utf-8", "replace")
        with fake._lock:
            fake.calls.append(RecordedCall(request.method, path, query, body, fake.now()))
        fault = fake._take_fault(path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.http_status is not None:
                return PlainTextResponse("Internal Server Error", status_code=fault.http_status)
            if fault.errcode is not None:
                return _json(WeChatError(fault.errcode, fault.errmsg).body())
        if path in MEDIA_PATHS:
            try:
                fake.check_access_token(query.get("access_token"))
            except WeChatError as error:
                return _json(error.body())
            return await media_call(fake, request.method, path, request, query)
        return _json(_dispatch(fake, request.method, path, query, body))

    add_media_routes(app, fake, Depends(_loopback_only))

    @app.post("/_fake/interactions", dependencies=[Depends(_loopback_only)])
    async def record_interaction(request: Request) -> JSONResponse:
        body = await request.json()
        at = fake.interact(str(body["openid"]))
        return JSONResponse({"ok": True, "at": at.isoformat()})

    @app.post("/_fake/followers", dependencies=[Depends(_loopback_only)])
    async def add_follower(request: Request) -> JSONResponse:
        body = await request.json()
        fake.add_follower(str(body["openid"]))
        return JSONResponse({"ok": True})

    @app.get("/_fake/messages", dependencies=[Depends(_loopback_only)])
    async def read_messages(openid: str | None = None, after: str | None = None) -> JSONResponse:
        """Customer-service messages delivered to ``openid``; ``after`` is a ``seq`` cursor (an integer)
        or an ISO-8601 timestamp."""
        after_seq, after_time = 0, None
        if after:
            if after.isdigit():
                after_seq = int(after)
            else:
                after_time = datetime.fromisoformat(after)
                if after_time.tzinfo is None:
                    after_time = after_time.replace(tzinfo=UTC)
        messages = fake.custom_messages(openid, after_seq=after_seq, after=after_time)
        return JSONResponse({"messages": [m.as_json() for m in messages]})

    return app


def _dispatch(state: FakeWeChatState, method: str, path: str, query: dict[str, str], body: Any) -> JsonDict:
    try:
        if path == "token" and method == "GET":
            return state.get_token(query)
        if path == "stable_token" and method == "POST":
            if not isinstance(body, dict):
                raise WeChatError(44002 if body is None else 47001)
            return state.get_stable_token(body)
        state.check_access_token(query.get("access_token"))
        if method == "GET" and path in _GET_ROUTES:
            return _GET_ROUTES[path](state, query)
        if method == "POST" and path in _POST_ROUTES:
            if body is None:
                raise WeChatError(44002)
            if not isinstance(body, dict):
                raise WeChatError(47001)
            return _POST_ROUTES[path](state, body)
        raise WeChatError(48001, "api unauthorized")
    except WeChatError as error:
        return error.body()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake on a local port for an out-of-process simulator: ``python -m wechat.fake_api``."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="fake api.weixin.qq.com")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--appid", default="wxfake0000000001")
    parser.add_argument("--secret", default="fake-app-secret-0000000000000001")
    parser.add_argument("--account-type", choices=["subscription", "service"], default="subscription")
    args = parser.parse_args(argv)
    state = FakeWeChatState(args.appid, args.secret, account_type=args.account_type)
    uvicorn.run(create_fake_wechat_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
