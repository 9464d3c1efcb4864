"""The fake's followers list and tags (``user/get``, ``tags/*``)."""

from __future__ import annotations

from collections.abc import Mapping

from wechat.fake_rules import BATCHTAGGING_MAX, TAG_LIMIT, TAG_NAME_MAX_BYTES, TAGS_PER_USER, JsonDict, WeChatError
from wechat.fake_state import FakeStateBase


class UsersAndTags(FakeStateBase):
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
