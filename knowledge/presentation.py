"""How an FAQ answer reads to the user: the answer, the "依据：…" line when its entry names a policy source,
and the optional "was this helpful" line; with the hand-written Traditional version when there is one
(automatic conversion is only the fallback: a person's wording of a legal answer wins)."""

from __future__ import annotations

from dataclasses import dataclass

from faq.kb import FaqEntry
from faq.script import to_traditional
from knowledge.content import PolicySource
from knowledge.models import KbEntryDetails
from knowledge.sources import basis_line

FEEDBACK_PROMPT = "这个回答有帮助吗？回复 有用 / 没用"
FEEDBACK_PROMPT_HANT = "這個回答有幫助嗎？回覆 有用 / 沒用"
HELPFUL_WORDS = frozenset({"有用", "有帮助", "有幫助", "helpful", "useful"})
UNHELPFUL_WORDS = frozenset(
    {"没用", "沒用", "没有用", "沒有用", "没帮助", "沒幫助", "无用", "無用", "not helpful", "useless"}
)
THANKS_HELPFUL = "感谢您的反馈！如还有其他问题，欢迎随时提问。"
THANKS_UNHELPFUL = "感谢您的反馈，我们会改进这条回答。需要工作人员帮助的话，请回复“人工”留言。"


@dataclass(frozen=True)
class AnswerExtras:
    answer_hant: str
    basis: str  # the 依据 line, "" when the entry names no source

    @classmethod
    def of(cls, row: KbEntryDetails) -> AnswerExtras:
        source = PolicySource(
            authority=row.source_authority,
            title=row.source_title,
            number=row.source_number,
            effective_on=row.effective_on,
        )
        return cls(answer_hant=row.answer_hant.strip(), basis=basis_line(source))


@dataclass(frozen=True)
class PresentedAnswer:
    text: str  # Simplified; the pipeline converts it for a Traditional-script user …
    hant: str | None  # … unless staff wrote the Traditional answer themselves: then this is sent as is


def present(entry: FaqEntry, extras: AnswerExtras | None, *, show_basis: bool, ask_feedback: bool) -> PresentedAnswer:
    tail_hans: list[str] = []
    tail_hant: list[str] = []
    if show_basis and extras is not None and extras.basis:
        tail_hans.append(extras.basis)
    if ask_feedback:
        tail_hans.append(FEEDBACK_PROMPT)
    text = "\n".join([f"【{entry.question}】", entry.answer.strip(), *tail_hans])
    if extras is None or not extras.answer_hant:
        return PresentedAnswer(text, None)
    # The title and the 依据 line are not hand-written: they are converted as any other text.
    if show_basis and extras.basis:
        tail_hant.append(to_traditional(extras.basis))
    if ask_feedback:
        tail_hant.append(FEEDBACK_PROMPT_HANT)
    hant = "\n".join([to_traditional(f"【{entry.question}】"), extras.answer_hant, *tail_hant])
    return PresentedAnswer(text, hant)


def feedback_of(text: str) -> bool | None:
    """True for 有用, False for 没用 (either script, a trailing punctuation mark allowed), else None."""
    word = text.strip().strip("。！!.~～ ").lower()
    if word in HELPFUL_WORDS:
        return True
    if word in UNHELPFUL_WORDS:
        return False
    return None
