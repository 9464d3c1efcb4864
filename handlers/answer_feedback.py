"""What the conversation needs to know of a presented FAQ answer and of the optional "was this helpful" line.

It sits in handlers/ (below knowledge/) so that the text handler can read feedback words and carry a presented
answer without importing the knowledge package, which builds these answers from its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

FEEDBACK_PROMPT = "这个回答有帮助吗？回复 有用 / 没用"
FEEDBACK_PROMPT_HANT = "這個回答有幫助嗎？回覆 有用 / 沒用"
HELPFUL_WORDS = frozenset({"有用", "有帮助", "有幫助", "helpful", "useful"})
UNHELPFUL_WORDS = frozenset(
    {"没用", "沒用", "没有用", "沒有用", "没帮助", "沒幫助", "无用", "無用", "not helpful", "useless"}
)
THANKS_HELPFUL = "感谢您的反馈！如还有其他问题，欢迎随时提问。"
THANKS_UNHELPFUL = "感谢您的反馈，我们会改进这条回答。需要工作人员帮助的话，请回复“人工”留言。"


@dataclass(frozen=True)
class PresentedAnswer:
    text: str  # Simplified; the pipeline converts it for a Traditional-script user …
    hant: str | None  # … unless staff wrote the Traditional answer themselves: then this is sent as is


def feedback_of(text: str) -> bool | None:
    """True for 有用, False for 没用 (either script, a trailing punctuation mark allowed), else None."""
    word = text.strip().strip("。！!.~～ ").lower()
    if word in HELPFUL_WORDS:
        return True
    if word in UNHELPFUL_WORDS:
        return False
    return None
