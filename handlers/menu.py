"""The topic menu: groups of FAQ categories, reachable by number, by menu button (CLICK key) or “菜单”.

Defined once, in ``config/topic_menu.yaml``; the menu text and the group lists are both built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config.settings import TOPIC_MENU_PATH
from faq.kb import FaqEntry
from handlers.commands import word

# Menu button keys configured in the account's custom menu (自定义菜单 CLICK 事件的 EventKey).
CLICK_TOPIC_PREFIX = "TOPIC_"
GROUP_TOKEN_PREFIX = "group:"
MAX_GROUPS = 9  # one digit each, so a reply of "1" … "9" is unambiguous


class TopicMenuError(ValueError):
    """The menu file is malformed; the message says where."""


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=30)
    summary: str = Field(default="", max_length=60)
    categories: list[str] = Field(min_length=1)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups: list[_Group] = Field(min_length=1, max_length=MAX_GROUPS)


@dataclass(frozen=True)
class TopicGroup:
    title: str
    summary: str
    categories: tuple[str, ...]

    def line(self, number: int) -> str:
        summary = self.summary.format(human=word("human"), status=word("status"))
        return f"{number}. {self.title}：{summary}" if summary else f"{number}. {self.title}"


def load_topic_menu(path: Path) -> tuple[TopicGroup, ...]:
    try:
        parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise TopicMenuError(f"{path}: {exc}") from exc
    titles = [group.title for group in parsed.groups]
    if len(set(titles)) != len(titles):
        raise TopicMenuError(f"{path}: a group title is repeated")
    groups = tuple(TopicGroup(g.title, g.summary, tuple(g.categories)) for g in parsed.groups)
    for group in groups:
        try:
            group.line(1)
        except (KeyError, IndexError, ValueError) as exc:
            raise TopicMenuError(f"{path}: group {group.title}: summary placeholder {exc} is unknown") from exc
    return groups


@cache
def topic_groups() -> tuple[TopicGroup, ...]:
    return load_topic_menu(TOPIC_MENU_PATH)


def menu_text() -> str:
    return "\n".join(group.line(number) for number, group in enumerate(topic_groups(), start=1))


def group_token(index: int) -> str:
    return f"{GROUP_TOKEN_PREFIX}{index}"


def group_of_token(token: str) -> int | None:
    if token.startswith(GROUP_TOKEN_PREFIX) and token[len(GROUP_TOKEN_PREFIX) :].isdigit():
        index = int(token[len(GROUP_TOKEN_PREFIX) :])
        return index if 0 <= index < len(topic_groups()) else None
    return None


def group_of_click(key: str) -> int | None:
    if key.upper().startswith(CLICK_TOPIC_PREFIX) and key[len(CLICK_TOPIC_PREFIX) :].isdigit():
        index = int(key[len(CLICK_TOPIC_PREFIX) :]) - 1
        return index if 0 <= index < len(topic_groups()) else None
    return None


def entries_in_group(entries: list[FaqEntry], index: int, limit: int = 20) -> list[FaqEntry]:
    categories = topic_groups()[index].categories
    return [entry for entry in entries if entry.category in categories][:limit]
