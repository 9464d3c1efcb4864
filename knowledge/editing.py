"""Checking what staff typed into an entry before it becomes a draft: the KB files' own validator for the
matcher's fields (one set of rules however an entry arrives) plus the policy source's dates and link."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from faq.kb import KbValidationError, entry_to_row, parse_kb_rows
from knowledge.content import EntryContent, PolicySource

_LINES = re.compile(r"[\n|]")


class EditError(ValueError):
    """What is wrong with an edit, in words for the person who made it."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def split_lines(text: str) -> tuple[str, ...]:
    """A textarea of 相似问 or keywords: one per line (or separated by |), blanks and repeats dropped."""
    seen: dict[str, None] = {}
    for item in _LINES.split(text or ""):
        item = " ".join(item.split())
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def parse_day(value: str, label: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EditError(f"{label}应为 YYYY-MM-DD 格式的日期，收到 {value!r}") from None


def checked(content: EntryContent) -> EntryContent:
    """The content with whitespace tidied, or EditError naming every problem."""
    tidy = replace(
        content,
        question=" ".join(content.question.split()),
        category=content.category.strip(),
        answer=content.answer.strip(),
        answer_hant=content.answer_hant.strip(),
        similar=tuple(s for s in content.similar if s != " ".join(content.question.split())),
        source=_checked_source(content.source),
    )
    try:
        parse_kb_rows([entry_to_row(tidy.to_faq_entry())])
    except KbValidationError as exc:
        raise EditError("；".join(f"[{p.field}] {p.message}" for p in exc.problems)) from None
    return tidy


def _checked_source(source: PolicySource) -> PolicySource:
    url = source.url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise EditError(f"政策链接应以 https:// 或 http:// 开头，收到 {url!r}")
    if source.effective_on and source.expires_on and source.expires_on <= source.effective_on:
        raise EditError("失效日期应晚于生效日期")
    return replace(
        source,
        authority=source.authority.strip(),
        title=source.title.strip(),
        number=source.number.strip(),
        url=url,
    )
