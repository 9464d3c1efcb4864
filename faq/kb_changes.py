"""What an import does to the stored KB, by entry id: the summary staff read after `faq import` or an upload.

Kept apart from the file formats (faq/kb.py): it compares entries of any kind that have an id, whichever
file or page they came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class KbChanges:
    """What an import does to the stored KB, by entry id: said after a successful import."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int

    @classmethod
    def between(cls, before: Sequence[_Identified], after: Sequence[_Identified]) -> KbChanges:
        """By id; an entry is changed when it compares unequal (the caller's entries: FaqEntry, or an entry
        with the fields only people read)."""
        old = {entry.id: entry for entry in before}
        new_ids = {entry.id for entry in after}
        added = tuple(e.id for e in after if e.id not in old)
        changed = tuple(e.id for e in after if e.id in old and old[e.id] != e)
        removed = tuple(e.id for e in before if e.id not in new_ids)
        return cls(added, changed, removed, len(after) - len(added) - len(changed))

    def summary(self) -> str:
        return (
            f"新增 {len(self.added)} 条，修改 {len(self.changed)} 条，删除 {len(self.removed)} 条，"
            f"未变 {self.unchanged} 条"
        )

    def details(self, limit: int = 10) -> list[str]:
        lines = []
        for label, ids in (("新增", self.added), ("修改", self.changed), ("删除", self.removed)):
            if ids:
                more = f" 等 {len(ids)} 条" if len(ids) > limit else ""
                lines.append(f"  {label}：{', '.join(ids[:limit])}{more}")
        return lines
