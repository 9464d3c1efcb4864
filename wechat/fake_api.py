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
- template/send: 40037 unknown template, 43004 not following.
- mass/sendall: ``clientmsgid`` (≤ 64 bytes, else 45067) de-duplicates for 24 h; a repeat answers
  ``{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":<existing>}`` (shape as reported on the WeChat
  developer community); 45066 "retry too fast" is modelled but off by default; 45028 when the quota is
  used up (subscription account: 1 a day; service account: a daily call quota, and each follower receives
  at most 4 a month — the rest are filtered, as ``FilterCount`` shows).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from wechat import inbound

Clock = Callable[[], datetime]
AccountType = Literal["subscription", "service"]
JsonDict = dict[str, Any]

BEIJING = ZoneInfo("Asia/Shanghai")  # WeChat's quota days and months roll over in Beijing time

TOKEN_TTL = timedelta(seconds=7200)
TOKEN_GRACE = timedelta(minutes=5)
CUSTOM_WINDOW = timedelta(hours=48)
CUSTOM_CAP = 5
CLIENTMSGID_MAX_BYTES = 64
CLIENTMSGID_MEMORY = timedelta(hours=24)
SERVICE_MONTHLY_RECEIVE_CAP = 4
SERVICE_DAILY_MASS_CALLS = 100  # the call quota is per account and configurable here; 100 is a stand-in
TAG_NAME_MAX_BYTES = 30
TAG_LIMIT = 100
TAGS_PER_USER = 20
BATCHTAGGING_MAX = 50
FIRST_USER_TAG_ID = 100  # 0, 1 and 2 are reserved by WeChat (2 is 星标组)
STAR_TAG_ID = 2

ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40008: "invalid message type",
    40013: "invalid appid",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44002: "empty post data",
    44004: "empty content",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota",
    45047: "out of response count limit",
    45056: "too many tags",
    45059: "fans tag count exceeds limit",
    45065: "clientmsgid exist",
    45066: "same clientmsgid retry too fast",
    45067: "clientmsgid size out of limit",
    45157: "invalid tag name",
    45158: "tag name too long",
    45159: "invalid tag id",
    47001: "data format error",
    47003: "argument invalid!",
}

CUSTOM_MSGTYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)
MASS_MSGTYPES = frozenset({"text", "mpnews", "image", "voice", "mpvideo", "wxcard"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock tests move by hand, so 48-hour windows and token expiry need no sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 1, 6, 9, 0, tzinfo=BEIJING)
        if start.tzinfo is None:
            raise ValueError("clock start must be timezone-aware")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._now += delta if delta is not None else timedelta(**kwargs)
            return self._now


class WeChatError(Exception):
    """Raised inside a fake handler to answer with an errcode."""

    def __init__(self, errcode: int, errmsg: str | None = None, **extra: Any) -> None:
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        self.extra = extra

    def body(self) -> JsonDict:
        # Real errmsgs end with a request id ("rid: …"); clients must not match on the whole text.
        rid = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
        return {"errcode": self.errcode, "errmsg": f"{self.errmsg} rid: {rid}", **self.extra}


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str  # without the "/cgi-bin/" prefix, e.g. "message/custom/send"
    query: dict[str, str]
    json: Any
    at: datetime


@dataclass(frozen=True)
class DeliveredMessage:
    """A customer-service message WeChat accepted for delivery."""

    seq: int
    openid: str
    msgtype: str
    payload: JsonDict
    at: datetime

    @property
    def text(self) -> str | None:
        body = self.payload.get("text")
        return str(body.get("content")) if isinstance(body, dict) and "content" in body else None

    def as_json(self) -> JsonDict:
        return {
            "seq": self.seq,
            "openid": self.openid,
            "msgtype": self.msgtype,
            "payload": self.payload,
            "text": self.text,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class TemplateMessage:
    msgid: int
    openid: str
    template_id: str
    data: JsonDict
    url: str | None
    at: datetime


@dataclass
class MassJob:
    msg_id: int
    msg_data_id: int | None
    clientmsgid: str
    payload: JsonDict
    at: datetime
    total_count: int
    recipients: list[str]
    status: str = "SEND_SUCCESS"

    @property
    def filter_count(self) -> int:
        return len(self.recipients)


@dataclass(frozen=True)
class _Fault:
    errcode: int | None
    http_status: int | None
    delay: float
    errmsg: str | None


@dataclass
class _Token:
    value: str
    kind: Literal["basic", "stable"]
    expires_at: datetime
    invalid_after: datetime | None = None  # superseded or revoked tokens stop working here (40001)


@dataclass
class _Follower:
    openid: str
    subscribed: bool
    since: datetime
    tags: list[int] = field(default_factory=list)
    last_interaction: datetime | None = None
    replies_since_interaction: int = 0
    mass_received: list[datetime] = field(default_factory=list)


def _normalize_path(path: str) -> str:
    path = path.strip("/")
    return path.removeprefix("cgi-bin/")


class FakeWeChatState:
    """Everything the fake remembers; thread-safe so an app served by uvicorn in a thread and the test
    thread can both use it."""

    def __init__(
        self,
        appid: str = "wxfake0000000001",
        secret: str = "fake-app-secret-0000000000000001",
        *,
        clock: Clock | None = None,
        account_type: AccountType = "subscription",
        mass_daily_quota: int | None = None,
        template_ids: Iterable[str] = ("TPL_FAKE_NOTICE",),
        page_size: int = 10000,
        mass_retry_guard: timedelta | None = None,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.clock: Clock = clock or _utcnow
        self.account_type: AccountType = account_type
        default_quota = 1 if account_type == "subscription" else SERVICE_DAILY_MASS_CALLS
        self.mass_daily_quota = mass_daily_quota if mass_daily_quota is not None else default_quota
        self.template_ids: set[str] = set(template_ids)
        self.page_size = page_size
        self.mass_retry_guard = mass_retry_guard
        self.calls: list[RecordedCall] = []
        self.templates_sent: list[TemplateMessage] = []
        self.previews: list[DeliveredMessage] = []
        self.mass_jobs: dict[int, MassJob] = {}
        self._lock = threading.RLock()
        self._tokens: dict[str, _Token] = {}
        self._current: dict[str, str] = {}  # kind -> newest token value
        self._force_refreshes: list[datetime] = []
        self._followers: dict[str, _Follower] = {}
        self._tags: dict[int, str] = {STAR_TAG_ID: "星标组"}
        self._next_tag_id = FIRST_USER_TAG_ID
        self._delivered: list[DeliveredMessage] = []
        self._seq = itertools.count(1)
        self._msg_ids = itertools.count(1000000001)
        self._mass_ids = itertools.count(3147483001)
        self._clientmsgids: dict[str, int] = {}
        self._mass_calls: list[datetime] = []
        self._faults: dict[str, list[_Fault]] = {}

    # --- test controls ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

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

    @property
    def followers(self) -> list[str]:
        """Openids currently following, in the order they followed."""
        with self._lock:
            return [f.openid for f in self._followers.values() if f.subscribed]

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

    def revoke_tokens(self) -> None:
        """Invalidate every issued token now, as a secret reset or a foreign force_refresh would."""
        now = self.now()
        with self._lock:
            for token in self._tokens.values():
                token.invalid_after = now
            self._current.clear()

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

    # --- tokens -----------------------------------------------------------------------------------

    def _check_credentials(self, grant_type: Any, appid: Any, secret: Any) -> None:
        if grant_type != "client_credential":
            raise WeChatError(40002)
        if appid != self.appid:
            raise WeChatError(40013)
        if secret != self.secret:
            raise WeChatError(40125)

    def _issue(self, kind: Literal["basic", "stable"], now: datetime) -> _Token:
        value = secrets.token_urlsafe(96)[:128]
        token = _Token(value, kind, now + TOKEN_TTL)
        self._tokens[value] = token
        self._current[kind] = value
        return token

    @staticmethod
    def _token_answer(token: _Token, now: datetime) -> JsonDict:
        return {"access_token": token.value, "expires_in": int((token.expires_at - now).total_seconds())}

    def get_token(self, query: Mapping[str, str]) -> JsonDict:
        self._check_credentials(query.get("grant_type"), query.get("appid"), query.get("secret"))
        now = self.now()
        with self._lock:
            previous = self._tokens.get(self._current.get("basic", ""))
            if previous is not None and previous.invalid_after is None:
                previous.invalid_after = min(previous.expires_at, now + TOKEN_GRACE)
            return self._token_answer(self._issue("basic", now), now)

    def get_stable_token(self, body: JsonDict) -> JsonDict:
        self._check_credentials(body.get("grant_type"), body.get("appid"), body.get("secret"))
        force = bool(body.get("force_refresh", False))
        now = self.now()
        with self._lock:
            current = self._tokens.get(self._current.get("stable", ""))
            usable = (
                current if current is not None and current.invalid_after is None and current.expires_at > now else None
            )
            if force:
                today = self._beijing_day(now)
                self._force_refreshes = [t for t in self._force_refreshes if self._beijing_day(t) == today]
                if len(self._force_refreshes) >= 20:
                    raise WeChatError(45009)
                recent = self._force_refreshes and now - self._force_refreshes[-1] < timedelta(seconds=30)
                if usable is not None and recent:
                    return self._token_answer(usable, now)
                self._force_refreshes.append(now)
                if current is not None:
                    current.invalid_after = now
                return self._token_answer(self._issue("stable", now), now)
            if usable is not None and usable.expires_at - now > TOKEN_GRACE:
                return self._token_answer(usable, now)
            # Inside the last 5 minutes the platform hands out the next token; the old one lives out its TTL.
            return self._token_answer(self._issue("stable", now), now)

    def check_access_token(self, value: str | None) -> None:
        if not value:
            raise WeChatError(41001)
        now = self.now()
        with self._lock:
            token = self._tokens.get(value)
            if token is None:
                raise WeChatError(40001)
            if now >= token.expires_at:
                raise WeChatError(42001)
            if token.invalid_after is not None and now >= token.invalid_after:
                raise WeChatError(40001)

    # --- messages ---------------------------------------------------------------------------------

    def _follower(self, openid: Any) -> _Follower:
        follower = self._followers.get(openid) if isinstance(openid, str) else None
        if follower is None:
            raise WeChatError(40003)
        return follower

    def send_custom(self, body: JsonDict) -> JsonDict:
        msgtype = body.get("msgtype")
        if msgtype not in CUSTOM_MSGTYPES:
            raise WeChatError(40008)
        content = body.get(msgtype)
        if not isinstance(content, dict):
            raise WeChatError(44004 if msgtype == "text" else 47001)
        if msgtype == "text" and not str(content.get("content", "")):
            raise WeChatError(44004)
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
        if template_id not in self.template_ids:
            raise WeChatError(40037)
        data = body.get("data")
        if not isinstance(data, dict):
            raise WeChatError(47001)
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

    # --- mass send --------------------------------------------------------------------------------

    @staticmethod
    def _mass_content(body: JsonDict) -> JsonDict:
        msgtype = body.get("msgtype")
        if msgtype not in MASS_MSGTYPES:
            raise WeChatError(40008)
        key = "images" if msgtype == "image" and "images" in body else msgtype
        content = body.get(key)
        if not isinstance(content, dict) or not content:
            raise WeChatError(44004 if msgtype == "text" else 47001)
        if msgtype == "text" and not str(content.get("content", "")):
            raise WeChatError(44004)
        return {"msgtype": msgtype, key: content}

    def _audience(self, filter_: Any) -> list[_Follower]:
        if not isinstance(filter_, dict) or "is_to_all" not in filter_:
            raise WeChatError(47001)
        subscribed = [f for f in self._followers.values() if f.subscribed]
        if filter_.get("is_to_all"):
            return subscribed
        tag_id = filter_.get("tag_id")
        if not isinstance(tag_id, int) or tag_id not in self._tags:
            # WeChat's exact answer for an unknown tag here is undocumented; the tag APIs' code is reused.
            raise WeChatError(45159)
        return [f for f in subscribed if tag_id in f.tags]

    def _beijing_day(self, at: datetime) -> tuple[int, int, int]:
        local = at.astimezone(BEIJING)
        return local.year, local.month, local.day

    def mass_send_all(self, body: JsonDict) -> JsonDict:
        content = self._mass_content(body)
        now = self.now()
        with self._lock:
            audience = self._audience(body.get("filter"))
            clientmsgid = body.get("clientmsgid")
            if clientmsgid is None:
                # Without one, WeChat uses a digest of the scope and the content (official "群发接口").
                digest = json.dumps([body.get("filter"), content], sort_keys=True, ensure_ascii=False)
                clientmsgid = hashlib.sha1(digest.encode()).hexdigest()
            clientmsgid = str(clientmsgid)
            if len(clientmsgid.encode("utf-8")) > CLIENTMSGID_MAX_BYTES:
                raise WeChatError(45067)
            existing = self._clientmsgids.get(clientmsgid)
            if existing is not None and now - self.mass_jobs[existing].at < CLIENTMSGID_MEMORY:
                job = self.mass_jobs[existing]
                if self.mass_retry_guard is not None and now - job.at < self.mass_retry_guard:
                    raise WeChatError(45066)
                raise WeChatError(45065, msg_id=existing)
            today = self._beijing_day(now)
            self._mass_calls = [t for t in self._mass_calls if self._beijing_day(t) == today]
            if len(self._mass_calls) >= self.mass_daily_quota:
                raise WeChatError(45028)
            self._mass_calls.append(now)
            recipients = self._mass_recipients(audience, now)
            msg_id = next(self._mass_ids)
            msg_data_id = msg_id % 10**9 + 2 * 10**9 if content["msgtype"] == "mpnews" else None
            self.mass_jobs[msg_id] = MassJob(msg_id, msg_data_id, clientmsgid, content, now, len(audience), recipients)
            self._clientmsgids[clientmsgid] = msg_id
        answer: JsonDict = {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id}
        if msg_data_id is not None:
            answer["msg_data_id"] = msg_data_id
        return answer

    def _mass_recipients(self, audience: list[_Follower], now: datetime) -> list[str]:
        if self.account_type == "subscription":
            return [f.openid for f in audience]
        month = self._beijing_day(now)[:2]
        recipients = []
        for follower in audience:
            this_month = [t for t in follower.mass_received if self._beijing_day(t)[:2] == month]
            if len(this_month) < SERVICE_MONTHLY_RECEIVE_CAP:
                follower.mass_received = [*this_month, now]
                recipients.append(follower.openid)
        return recipients

    def mass_preview(self, body: JsonDict) -> JsonDict:
        content = self._mass_content(body)
        now = self.now()
        with self._lock:
            follower = self._follower(body.get("touser"))
            if not follower.subscribed:
                raise WeChatError(43004)
            msg_id = next(self._mass_ids)
            self.previews.append(
                DeliveredMessage(next(self._seq), follower.openid, str(content["msgtype"]), content, now)
            )
        return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}

    def mass_get(self, body: JsonDict) -> JsonDict:
        msg_id = body.get("msg_id")
        try:
            key = int(str(msg_id))  # WeChat accepts the id as a number or a numeric string
        except ValueError:
            raise WeChatError(47001) from None
        with self._lock:
            job = self.mass_jobs.get(key)
            if job is None:
                raise WeChatError(47003, "argument invalid! data.msg_id invalid")
            return {"msg_id": job.msg_id, "msg_status": job.status}

    # --- users and tags ---------------------------------------------------------------------------

    @staticmethod
    def _page(openids: list[str], next_openid: str | None, page_size: int) -> tuple[list[str], str]:
        start = 0
        if next_openid:
            try:
                start = openids.index(next_openid) + 1
            except ValueError:
                raise WeChatError(40003) from None
        page = openids[start : start + page_size]
        # WeChat always names the last openid of a page, so the final page is followed by an empty one.
        return page, page[-1] if page else ""

    def get_users(self, query: Mapping[str, str]) -> JsonDict:
        with self._lock:
            openids = self.followers
            page, next_openid = self._page(openids, query.get("next_openid"), self.page_size)
        answer: JsonDict = {"total": len(openids), "count": len(page), "next_openid": next_openid}
        if page:
            answer["data"] = {"openid": page}
        return answer

    def get_tags(self) -> JsonDict:
        with self._lock:
            tags = [
                {"id": tag_id, "name": name, "count": sum(tag_id in f.tags for f in self._followers.values())}
                for tag_id, name in sorted(self._tags.items())
            ]
        return {"tags": tags}

    def create_tag(self, body: JsonDict) -> JsonDict:
        tag = body.get("tag")
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not name:
            raise WeChatError(45157)
        if len(name.encode("utf-8")) > TAG_NAME_MAX_BYTES:
            raise WeChatError(45158)
        with self._lock:
            if name in self._tags.values():
                raise WeChatError(45157)
            if len(self._tags) >= TAG_LIMIT:
                raise WeChatError(45056)
            tag_id = self._next_tag_id
            self._next_tag_id += 1
            self._tags[tag_id] = name
        return {"tag": {"id": tag_id, "name": name}}

    def batch_tag(self, body: JsonDict) -> JsonDict:
        openids = body.get("openid_list")
        tag_id = body.get("tagid")
        if not isinstance(openids, list) or not openids or len(openids) > BATCHTAGGING_MAX:
            raise WeChatError(40032)
        with self._lock:
            if tag_id not in self._tags:
                raise WeChatError(45159)
            followers = [self._follower(openid) for openid in openids]
            if any(not f.subscribed for f in followers):
                raise WeChatError(40003)
            for follower in followers:
                if tag_id in follower.tags:
                    continue
                if len(follower.tags) >= TAGS_PER_USER:
                    raise WeChatError(45059)
                follower.tags.append(int(tag_id))
        return {"errcode": 0, "errmsg": "ok"}

    def tag_users(self, body: JsonDict) -> JsonDict:
        tag_id = body.get("tagid")
        with self._lock:
            if tag_id not in self._tags:
                raise WeChatError(45159)
            openids = [f.openid for f in self._followers.values() if f.subscribed and tag_id in f.tags]
            page, next_openid = self._page(openids, body.get("next_openid") or None, self.page_size)
        answer: JsonDict = {"count": len(page), "next_openid": next_openid}
        if page:
            answer["data"] = {"openid": page}
        return answer

    def user_tag_ids(self, body: JsonDict) -> JsonDict:
        with self._lock:
            follower = self._follower(body.get("openid"))
            return {"tagid_list": list(follower.tags)}


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
        if raw:
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
        return _json(_dispatch(fake, request.method, path, query, body))

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
