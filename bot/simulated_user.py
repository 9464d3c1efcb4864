"""A pretend WeChat user: signs (and encrypts) each message exactly as WeChat does, posts it to the webhook,
and reads back the passive reply and the customer-service messages that reached the fake WeChat API.

Used by ``qiaobot chat``, the ``/simulator`` page, the tests and the benchmark, so all of them exercise the
same bytes the real platform sends.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from wechat import inbound
from wechat.inbound import Mode


@dataclass
class SimulatedUser:
    http: httpx.AsyncClient  # base_url = the service, e.g. http://127.0.0.1:8000
    token: str
    appid: str
    aes_key: str | None
    openid: str = field(default_factory=lambda: "o" + secrets.token_hex(13))
    mode: Mode = "plain"
    fake_prefix: str = "/fake-wechat"
    interact: Callable[[str], object] | None = None  # tell an in-process fake directly instead of over HTTP
    # Store a file as the phone's upload in an in-process fake (FakeWeChatState.add_user_media) instead of HTTP.
    add_media: Callable[..., str] | None = None
    _cursor: int = 0

    def build(self, kind: str, text: str = "", key: str = "") -> str:
        if kind == "text":
            return inbound.text_message(self.openid, text)
        if kind == "voice":
            return inbound.voice_message(self.openid, recognition=text or None)
        if kind == "image":
            return inbound.image_message(self.openid)
        if kind == "location":
            return inbound.location_message(self.openid, 52.52, 13.40, label=text or "Berlin")
        if kind == "link":
            return inbound.link_message(self.openid, text or "https://example.org/", title="链接")
        if kind == "subscribe":
            return inbound.subscribe_event(self.openid, scene=key or None)
        if kind == "unsubscribe":
            return inbound.unsubscribe_event(self.openid)
        if kind == "click":
            return inbound.click_event(self.openid, key or "MENU")
        raise ValueError(f"unknown message kind {kind!r}")

    async def upload_media(self, kind: str, content: bytes, content_type: str | None = None) -> str:
        """What the phone does before sending a picture, voice or video: the file goes to WeChat, which names
        it with a MediaId (the fake's ``/_fake/media`` control, or the in-process fake)."""
        if self.add_media is not None:
            return self.add_media(kind, content, content_type=content_type)
        response = await self.http.post(
            f"{self.fake_prefix}/_fake/media",
            params={"type": kind},
            content=content,
            headers={"Content-Type": content_type or "application/octet-stream"},
        )
        response.raise_for_status()
        return str(response.json()["media_id"])

    def build_media(self, kind: str, media_id: str, recognition: str | None = None) -> str:
        if kind == "image":
            return inbound.image_message(self.openid, media_id=media_id)
        if kind == "voice":
            return inbound.voice_message(self.openid, media_id=media_id, recognition=recognition)
        if kind in ("video", "shortvideo"):
            return inbound.video_message(self.openid, media_id=media_id, short=kind == "shortvideo")
        raise ValueError(f"not a media message kind: {kind!r}")

    async def send_media(
        self, kind: str, content: bytes, content_type: str | None = None, *, recognition: str | None = None
    ) -> str | None:
        """Send a picture, voice or video with real content; returns the passive reply's text."""
        media_id = await self.upload_media(kind, content, content_type)
        response, reply = await self.post(self.build_media(kind, media_id, recognition))
        response.raise_for_status()
        return None if reply is None else str(reply.get("Content", ""))

    async def post(self, xml: str) -> tuple[httpx.Response, dict[str, Any] | None]:
        """Post one message as WeChat would; returns the HTTP response and the decoded passive reply."""
        nonce = str(secrets.randbelow(9 * 10**9) + 10**9)
        query, body = inbound.sign_post(xml, self.mode, self.token, self.aes_key, self.appid, nonce=nonce)
        await self._interact()
        response = await self.http.post("/wechat", params=query, content=body, headers={"Content-Type": "text/xml"})
        reply = None
        if response.status_code == 200:
            reply = inbound.decode_reply(
                response.content, self.mode, self.token, self.aes_key, self.appid, expect_nonce=nonce
            )
        return response, reply

    async def say(self, text: str, kind: str = "text", key: str = "") -> str | None:
        response, reply = await self.post(self.build(kind, text, key))
        response.raise_for_status()
        return None if reply is None else str(reply.get("Content", ""))

    async def pushed(self) -> list[str]:
        """Customer-service messages delivered to this user since the last call."""
        response = await self.http.get(
            f"{self.fake_prefix}/_fake/messages", params={"openid": self.openid, "after": str(self._cursor)}
        )
        response.raise_for_status()
        messages = response.json()["messages"]
        if messages:
            self._cursor = max(int(m["seq"]) for m in messages)
        return [str(m.get("text") or m.get("payload")) for m in messages]

    async def _interact(self) -> None:
        # Real WeChat knows when a user last wrote; the fake is told, so its 48-hour window is right.
        if self.interact is not None:
            self.interact(self.openid)
            return
        # Pointing at a deployment without the fake: nothing to tell.
        with contextlib.suppress(httpx.HTTPError):
            await self.http.post(f"{self.fake_prefix}/_fake/interactions", json={"openid": self.openid})
