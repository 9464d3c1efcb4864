"""The fake WeChat API's memory, shared by its parts (``fake_tokens``, ``fake_mass``, ``fake_tags``, ``fake_api``)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from wechat.fake_records import (
    DeliveredMessage,
    MassJob,
    RecordedCall,
    StoredMedia,
    TemplateMessage,
    _Fault,
    _Follower,
    _Token,
)
from wechat.fake_rules import (
    BEIJING,
    DEFAULT_TEMPLATE_FIELDS,
    FIRST_USER_TAG_ID,
    SERVICE_DAILY_MASS_CALLS,
    STAR_TAG_ID,
    AccountType,
    Clock,
    WeChatError,
)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FakeStateBase:
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
        template_ids: Iterable[str] = ("TPL_FAKE_NOTICE", "TPL_FAKE_STAFF"),
        templates: Mapping[str, Sequence[str]] | None = None,
        page_size: int = 10000,
        mass_retry_guard: timedelta | None = None,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.clock: Clock = clock or _utcnow
        self.account_type: AccountType = account_type
        default_quota = 1 if account_type == "subscription" else SERVICE_DAILY_MASS_CALLS
        self.mass_daily_quota = mass_daily_quota if mass_daily_quota is not None else default_quota
        # template id -> its fields, as the account's admin added it (None: any category-template field);
        # ``templates`` gives them, otherwise the known fake templates' or None.
        self.templates: dict[str, tuple[str, ...] | None] = {
            template_id: DEFAULT_TEMPLATE_FIELDS.get(template_id) for template_id in template_ids
        }
        self.templates.update({template_id: tuple(fields) for template_id, fields in (templates or {}).items()})
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
        self._media: dict[str, StoredMedia] = {}
        self._video_links: dict[str, str] = {}  # video_url token -> media_id

    def now(self) -> datetime:
        return self.clock()

    @property
    def followers(self) -> list[str]:
        """Openids currently following, in the order they followed."""
        with self._lock:
            return [f.openid for f in self._followers.values() if f.subscribed]

    def _follower(self, openid: Any) -> _Follower:
        follower = self._followers.get(openid) if isinstance(openid, str) else None
        if follower is None:
            raise WeChatError(40003)
        return follower

    def _beijing_day(self, at: datetime) -> tuple[int, int, int]:
        local = at.astimezone(BEIJING)
        return local.year, local.month, local.day
