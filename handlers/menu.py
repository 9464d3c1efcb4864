"""The topic menu: six groups of FAQ categories, reachable by number, by menu button (CLICK key) or “菜单”."""

from __future__ import annotations

from faq.kb import FaqEntry

TOPIC_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("出入境", ("出入境",)),
    ("国籍与身份", ("国籍与身份",)),
    ("投资", ("投资",)),
    ("人才与创业、子女教育", ("人才与创业", "教育")),
    ("法律援助与生活事务", ("法律", "生活事务")),
    ("热线服务", ("热线服务",)),
)

# Menu button keys configured in the account's custom menu (自定义菜单 CLICK 事件的 EventKey).
CLICK_TOPIC_PREFIX = "TOPIC_"
GROUP_TOKEN_PREFIX = "group:"


def group_token(index: int) -> str:
    return f"{GROUP_TOKEN_PREFIX}{index}"


def group_of_token(token: str) -> int | None:
    if token.startswith(GROUP_TOKEN_PREFIX) and token[len(GROUP_TOKEN_PREFIX) :].isdigit():
        index = int(token[len(GROUP_TOKEN_PREFIX) :])
        return index if 0 <= index < len(TOPIC_GROUPS) else None
    return None


def group_of_click(key: str) -> int | None:
    if key.upper().startswith(CLICK_TOPIC_PREFIX) and key[len(CLICK_TOPIC_PREFIX) :].isdigit():
        index = int(key[len(CLICK_TOPIC_PREFIX) :]) - 1
        return index if 0 <= index < len(TOPIC_GROUPS) else None
    return None


def entries_in_group(entries: list[FaqEntry], index: int, limit: int = 20) -> list[FaqEntry]:
    categories = TOPIC_GROUPS[index][1]
    return [entry for entry in entries if entry.category in categories][:limit]
