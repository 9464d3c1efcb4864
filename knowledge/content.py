"""One entry as staff edit it: the matcher's fields plus what only people need (a hand-written Traditional
answer, the policy it rests on). Pure data and the conversions to and from stored JSON and ``FaqEntry``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from faq.kb import FaqEntry


@dataclass(frozen=True)
class PolicySource:
    """The document an answer rests on. ``expires_on`` is optional: most notices stand until replaced."""

    authority: str = ""  # 发布机关, e.g. 国家移民管理局
    title: str = ""  # 文件名称
    number: str = ""  # 文号, e.g. 国移管发〔2024〕1号
    url: str = ""
    effective_on: date | None = None
    expires_on: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.authority or self.title or self.number or self.url or self.effective_on or self.expires_on)

    def to_json(self) -> dict[str, Any]:
        return {
            "authority": self.authority,
            "title": self.title,
            "number": self.number,
            "url": self.url,
            "effective_on": self.effective_on.isoformat() if self.effective_on else None,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PolicySource:
        data = data or {}
        effective, expires = data.get("effective_on"), data.get("expires_on")
        return cls(
            authority=str(data.get("authority") or ""),
            title=str(data.get("title") or ""),
            number=str(data.get("number") or ""),
            url=str(data.get("url") or ""),
            effective_on=date.fromisoformat(effective) if effective else None,
            expires_on=date.fromisoformat(expires) if expires else None,
        )


@dataclass(frozen=True)
class EntryContent:
    id: str
    category: str
    question: str
    answer: str
    similar: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    reviewed: str | None = None  # YYYY-MM, as in the KB files
    answer_hant: str = ""  # hand-written Traditional answer; wins over automatic conversion
    source: PolicySource = field(default_factory=PolicySource)

    def to_faq_entry(self) -> FaqEntry:
        return FaqEntry(
            id=self.id,
            category=self.category,
            question=self.question,
            similar=self.similar,
            answer=self.answer,
            keywords=self.keywords,
            reviewed=self.reviewed,
        )

    def with_faq_entry(self, entry: FaqEntry) -> EntryContent:
        """This entry's extras on top of the matcher fields of ``entry`` (as the published table holds them)."""
        return replace(
            self,
            category=entry.category,
            question=entry.question,
            answer=entry.answer,
            similar=tuple(entry.similar),
            keywords=tuple(entry.keywords),
            reviewed=entry.reviewed,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "question": self.question,
            "answer": self.answer,
            "similar": list(self.similar),
            "keywords": list(self.keywords),
            "reviewed": self.reviewed,
            "answer_hant": self.answer_hant,
            "source": self.source.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryContent:
        return cls(
            id=str(data["id"]),
            category=str(data.get("category") or ""),
            question=str(data.get("question") or ""),
            answer=str(data.get("answer") or ""),
            similar=tuple(str(s) for s in data.get("similar") or ()),
            keywords=tuple(str(k) for k in data.get("keywords") or ()),
            reviewed=data.get("reviewed") or None,
            answer_hant=str(data.get("answer_hant") or ""),
            source=PolicySource.from_json(data.get("source")),
        )

    @classmethod
    def from_faq_entry(cls, entry: FaqEntry) -> EntryContent:
        return cls(id=entry.id, category="", question="", answer="").with_faq_entry(entry)
