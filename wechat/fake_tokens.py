"""The fake's access tokens (``cgi-bin/token``, ``stable_token``) and the check every call makes of the one
it carries; the rules are in ``wechat.fake_api``'s docstring (official "获取稳定版接口调用凭据")."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from wechat.fake_records import _Token
from wechat.fake_rules import TOKEN_GRACE, TOKEN_TTL, JsonDict, WeChatError
from wechat.fake_state import FakeStateBase


class AccessTokens(FakeStateBase):
    def revoke_tokens(self) -> None:
        """Invalidate every issued token now, as a secret reset or a foreign force_refresh would."""
        now = self.now()
        with self._lock:
            for token in self._tokens.values():
                token.invalid_after = now
            self._current.clear()

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
