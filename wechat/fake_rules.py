"""What the fake WeChat API enforces, as data: error codes and messages, limits and windows, message
types, and the error a fake handler raises (sources in ``wechat.fake_api``'s docstring)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

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
# Temporary media (sources in wechat.fake_media): kept three days; upload limits and formats per type.
MEDIA_LIFETIME = timedelta(days=3)
MB = 1024 * 1024
UPLOAD_LIMITS = {"image": 10 * MB, "voice": 2 * MB, "video": 10 * MB, "thumb": 64 * 1024}
UPLOAD_FORMATS = {
    "image": frozenset({"png", "jpeg", "jpg", "gif"}),
    "voice": frozenset({"amr", "mp3"}),
    "video": frozenset({"mp4"}),
    "thumb": frozenset({"jpg"}),
}
UPLOAD_SIZE_ERRCODE = {"image": 40009, "voice": 40010, "video": 40011, "thumb": 40012}

# The fake account's templates as an admin would add them from the category library (类目模板, the only kind
# since 2023): "留言办理进度通知" (编号, 状态, 时间) and "待办事项提醒" (事项, 时间).
DEFAULT_TEMPLATE_FIELDS: dict[str, tuple[str, ...]] = {
    "TPL_FAKE_NOTICE": ("character_string1", "thing2", "time3"),
    "TPL_FAKE_STAFF": ("thing1", "time2"),
}


ERRMSG: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40010: "invalid voice size",
    40011: "invalid video size",
    40012: "invalid thumb size",
    40013: "invalid appid",
    40032: "invalid openid list size",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41005: "media data missing",
    41006: "media_id missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44001: "empty media data",
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
