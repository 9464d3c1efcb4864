"""Reads ``config/greetings.yaml``: greeting texts per festival and how and when they go out.

Staff edit the file by hand, so it is validated up front and every problem is reported with the field
that holds it, rather than surfacing as a half-created campaign on the morning of a festival.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calendars.festivals import CustomFestival
from config import CONFIG_DIR

DEFAULT_PATH = CONFIG_DIR / "greetings.yaml"

AccountType = Literal["subscription", "service"]
Script = Literal["hans", "hant"]
Mode = Literal["mass", "per_follower"]


class GreetingConfigError(ValueError):
    """The greetings file is malformed; the message names the field."""


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


def _quoted_time(value: object) -> object:
    # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540, which pydantic would take as
    # seconds (00:09); refuse it rather than send at nine minutes past midnight.
    if isinstance(value, int | float):
        raise ValueError('write the time in quotes, e.g. "09:00"')
    return value


class TagTarget(BaseModel):
    """One mass send to a WeChat tag, at its own local time (followers abroad are greeted in the morning)."""

    model_config = ConfigDict(extra="forbid")

    tag_id: int = Field(ge=0)
    tag_name: str = ""
    script: Script = "hans"
    send_time: time | None = None  # None: the file's send_time
    timezone: str | None = None  # None: the file's timezone

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str | None) -> str | None:
        return value if value is None else _zone(value)

    @field_validator("send_time", mode="before")
    @classmethod
    def _check_time(cls, value: object) -> object:
        return _quoted_time(value)


Audience = Literal["all"] | list[TagTarget]


class FestivalGreeting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hans: str = Field(min_length=1, max_length=600)
    hant: str = Field(min_length=1, max_length=600)
    audience: Audience | None = None
    mode: Mode | None = None


class GreetingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_type: AccountType = "subscription"
    timezone: str = "Asia/Shanghai"
    send_time: time = time(9, 0)
    days_ahead: int = Field(default=7, ge=0, le=60)
    grace_hours: float = Field(default=2.0, ge=0, le=23)
    remind_hours_before: list[float] = Field(default_factory=lambda: [48.0, 4.0])
    mode: Mode = "mass"
    audience: Audience = "all"
    script: Script = "hans"
    custom: list[dict[str, object]] = Field(default_factory=list)
    festivals: dict[str, FestivalGreeting] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        return _zone(value)

    @field_validator("send_time", mode="before")
    @classmethod
    def _check_time(cls, value: object) -> object:
        return _quoted_time(value)

    @model_validator(mode="after")
    def _check_custom(self) -> GreetingConfig:
        self.custom_festivals()  # raises ValueError with the festival's name
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.grace_hours)

    @property
    def reminders(self) -> list[timedelta]:
        """Reminder offsets before the send time, earliest first."""
        return sorted((timedelta(hours=h) for h in self.remind_hours_before if h > 0), reverse=True)

    def custom_festivals(self) -> list[CustomFestival]:
        found = []
        for raw in self.custom:
            try:
                found.append(
                    CustomFestival(
                        name=str(raw["name"]),
                        month=int(str(raw["month"])),
                        day=int(str(raw["day"])),
                        lunar=bool(raw.get("lunar", False)),
                    )
                )
            except KeyError as exc:
                raise ValueError(f"custom festival {raw!r} needs {exc.args[0]}") from None
        return found

    def audience_for(self, festival: str) -> Audience:
        greeting = self.festivals.get(festival)
        return greeting.audience if greeting is not None and greeting.audience is not None else self.audience

    def mode_for(self, festival: str) -> Mode:
        greeting = self.festivals.get(festival)
        return greeting.mode if greeting is not None and greeting.mode is not None else self.mode


def parse_greeting_config(text: str, source: str = "<greetings>") -> GreetingConfig:
    """Parse the YAML text; separate from reading the file so it is testable without I/O."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise GreetingConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise GreetingConfigError(f"{source}: expected a mapping at the top level")
    try:
        return GreetingConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or 'file'}: {error['msg']}" for error in exc.errors()
        ]
        raise GreetingConfigError(f"{source}:\n  " + "\n  ".join(problems)) from None


def load_greeting_config(path: Path = DEFAULT_PATH) -> GreetingConfig:
    return parse_greeting_config(path.read_text(encoding="utf-8"), source=str(path))
