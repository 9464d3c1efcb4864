"""What changed between two versions of an entry, field by field, with a line diff for the long texts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from knowledge.content import EntryContent

FIELD_LABELS: dict[str, str] = {
    "category": "分类",
    "question": "问题",
    "similar": "相似问",
    "answer": "答案（简体）",
    "answer_hant": "答案（繁體，手写）",
    "keywords": "关键词",
    "reviewed": "审核月份",
    "source": "政策依据",
}


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["same", "added", "removed"]
    text: str


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    lines: tuple[DiffLine, ...]


def _lines(content: EntryContent | None, name: str) -> list[str]:
    if content is None:
        return []
    if name in ("similar", "keywords"):
        return list(getattr(content, name))
    if name == "source":
        source = content.source
        parts = [
            ("发布机关", source.authority),
            ("文件", source.title),
            ("文号", source.number),
            ("链接", source.url),
            ("生效日期", source.effective_on.isoformat() if source.effective_on else ""),
            ("失效日期", source.expires_on.isoformat() if source.expires_on else ""),
        ]
        return [f"{label}：{value}" for label, value in parts if value]
    value = getattr(content, name) or ""
    return str(value).splitlines()


def diff(old: EntryContent | None, new: EntryContent | None) -> list[FieldChange]:
    """Changed fields only; ``old`` None is a new entry, ``new`` None a retired one."""
    changes: list[FieldChange] = []
    for name, label in FIELD_LABELS.items():
        before, after = _lines(old, name), _lines(new, name)
        if before == after:
            continue
        lines: list[DiffLine] = []
        for line in difflib.ndiff(before, after):
            tag, text = line[:2], line[2:]
            if tag == "  ":
                lines.append(DiffLine("same", text))
            elif tag == "- ":
                lines.append(DiffLine("removed", text))
            elif tag == "+ ":
                lines.append(DiffLine("added", text))
        changes.append(FieldChange(name, label, tuple(lines)))
    return changes
