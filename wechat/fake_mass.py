"""The fake's mass sends (``mass/sendall``, ``mass/preview``, ``mass/get``): clientmsgid memory, quotas and
the monthly receive cap."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from wechat.fake_records import DeliveredMessage, MassJob, _Follower
from wechat.fake_rules import (
    CLIENTMSGID_MAX_BYTES,
    CLIENTMSGID_MEMORY,
    MASS_MSGTYPES,
    SERVICE_MONTHLY_RECEIVE_CAP,
    JsonDict,
    WeChatError,
)
from wechat.fake_state import FakeStateBase


class MassSends(FakeStateBase):
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
