"""What the matcher decides for one message: answer one entry, suggest a few, or hand over to staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from faq.smalltalk import SmallTalk


@dataclass(frozen=True)
class Decision:
    decision: Literal["answer", "suggest", "handover"]
    faq_id: str | None  # set for answer
    suggestions: tuple[str, ...]  # ids, best first, for suggest (also "related" for handover)
    score: float  # calibrated confidence of the top candidate, 0..1
    smalltalk: SmallTalk | None = None
    # A request the hotline does not serve (faq.out_of_scope: "live_rate", "medical_advice" …): never answered
    # from the KB; the conversation tells the user so, with any suggestions as choices.
    out_of_scope: str | None = None
