"""What the conversation needs to know of a presented FAQ answer and of the optional "was this helpful" line.

It sits in handlers/ (below knowledge/) so that the text handler can read feedback words and carry a presented
answer without importing the knowledge package, which builds these answers from its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from faq.script import to_traditional
from handlers.commands import command_words, word

# The words come from config/command_words.yaml (helpful / unhelpful), so the line never names a word the
# bot would not take.
FEEDBACK_PROMPT = f"这个回答有帮助吗？回复 {word('helpful')} / {word('unhelpful')}"
FEEDBACK_PROMPT_HANT = to_traditional(FEEDBACK_PROMPT)
THANKS_HELPFUL = "感谢您的反馈！如还有其他问题，欢迎随时提问。"
THANKS_UNHELPFUL = f"感谢您的反馈，我们会改进这条回答。需要工作人员帮助的话，请回复“{word('human')}”留言。"


@dataclass(frozen=True)
class PresentedAnswer:
    text: str  # Simplified; the pipeline converts it for a Traditional-script user …
    hant: str | None  # … unless staff wrote the Traditional answer themselves: then this is sent as is


def feedback_of(text: str) -> bool | None:
    """True for a helpful word (有用), False for an unhelpful one (没用), else None; either script, any case,
    spaces and punctuation ignored, as every command word."""
    said = command_words().exact(text)
    if said == "helpful":
        return True
    if said == "unhelpful":
        return False
    return None
