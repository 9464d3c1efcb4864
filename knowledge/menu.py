"""The topic menu as the KB check sees it: (title, categories) per group, from the conversation's menu file."""

from __future__ import annotations


def menu_categories() -> list[tuple[str, tuple[str, ...]]]:
    from handlers.menu import topic_groups

    return [(group.title, group.categories) for group in topic_groups()]
